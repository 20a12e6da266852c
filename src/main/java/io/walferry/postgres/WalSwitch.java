package io.walferry.postgres;

import io.walferry.failure.WalferryException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Ending a primary's current WAL segment, so that it is archived now rather than when it fills. */
public final class WalSwitch {
    private WalSwitch() {
    }

    /**
     * A restore point named {@code restorePoint}, then a segment switch: the segment ended always holds a record, so
     * the switch happens even on an idle server. The name of the segment it ended.
     */
    public static String markAndSwitch(Connection c, String restorePoint) {
        try (Statement s = c.createStatement()) {
            try (var p = c.prepareStatement("select pg_create_restore_point(?)")) {
                p.setString(1, restorePoint);
                p.execute();
            }
            try (ResultSet r = s.executeQuery("select pg_walfile_name(pg_switch_wal())")) {
                r.next();
                return r.getString(1);
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot switch the server's WAL segment: " + e.getMessage(),
                    "the role needs to run pg_create_restore_point() and pg_switch_wal()", e);
        }
    }

    /** Switches the segment if the server is a primary; false (nothing done) for a server in recovery. */
    public static boolean switchIfPrimary(Connection c) {
        try (Statement s = c.createStatement()) {
            if (ServerInfo.inRecovery(c)) {
                return false;
            }
            s.execute("select pg_switch_wal()");
            return true;
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot switch the server's WAL segment: " + e.getMessage(),
                    "the role needs to run pg_switch_wal()", e);
        }
    }
}
