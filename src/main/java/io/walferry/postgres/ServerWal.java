package io.walferry.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** A primary's WAL: where it is written, segment switches, restore points. */
public final class ServerWal {
    private ServerWal() {
    }

    /** A primary's WAL position and the timeline it writes. */
    public record Position(Lsn lsn, int timeline) {
    }

    public static Lsn current(Connection c) throws SQLException {
        return Lsn.parse(Sql.one(c, "select pg_current_wal_lsn()::text"));
    }

    /** How far the primary has flushed its WAL: what a synchronous standby must confirm for a commit to return. */
    public static Lsn flushPosition(Connection c) throws SQLException {
        return Lsn.parse(Sql.one(c, "select pg_current_wal_flush_lsn()::text"));
    }

    public static Position position(Connection c) throws SQLException {
        String[] f = Sql.one(c, "select pg_current_wal_lsn()::text || ' ' || pg_walfile_name(pg_current_wal_lsn())").split(" ");
        return new Position(Lsn.parse(f[0]), (int) Long.parseLong(f[1].substring(0, 8), 16));
    }

    /** Where the next record will be inserted: past every record of every transaction that committed. */
    public static Lsn insertPosition(Connection c) throws SQLException {
        return Lsn.parse(Sql.one(c, "select pg_current_wal_insert_lsn()::text"));
    }

    /** Ends the current segment, so that it is archived; the name of the segment it ended. */
    public static String switchSegment(Connection c) throws SQLException {
        return Sql.one(c, "select pg_walfile_name(pg_switch_wal())");
    }

    /**
     * A restore point, then a segment switch: the segment ended always holds a record, so the switch happens even
     * on an idle server. The name of the segment it ended.
     */
    public static String markAndSwitch(Connection c, String restorePoint) throws SQLException {
        Sql.run(c, "select pg_create_restore_point(?)", restorePoint);
        return switchSegment(c);
    }
}
