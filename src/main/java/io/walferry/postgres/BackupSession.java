package io.walferry.postgres;

import io.walferry.failure.WalferryException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL's non-exclusive backup API on one session: the backup lasts as long as this session, and a
 * session that dies (walferry killed) ends it by itself, leaving nothing to clean up on the server.
 * pg_backup_start/stop from PostgreSQL 15, pg_start_backup/pg_stop_backup before.
 */
public final class BackupSession {
    private final Connection connection;
    private final int versionNum;
    private final Lsn start;
    private final boolean fromStandby;

    /** What pg_backup_stop returns: the files a restore must write, and where the backup's WAL ends. */
    public record Stop(Lsn lsn, String backupLabel, String tablespaceMap) {
    }

    private BackupSession(Connection connection, int versionNum, Lsn start, boolean fromStandby) {
        this.connection = connection;
        this.versionNum = versionNum;
        this.start = start;
        this.fromStandby = fromStandby;
    }

    /** Starts a backup with an immediate checkpoint on {@code connection}, which must stay open until {@link #stop()}. */
    public static BackupSession start(Connection connection, String label) {
        try {
            connection.setAutoCommit(true);
            int version;
            boolean standby;
            try (Statement s = connection.createStatement();
                 ResultSet r = s.executeQuery("select current_setting('server_version_num')::int, pg_is_in_recovery()")) {
                r.next();
                version = r.getInt(1);
                standby = r.getBoolean(2);
            }
            // The backup lives as long as this session, which sits idle while the files are copied, for hours on a
            // large cluster: a timeout set for the role or database (idle_session_timeout from PostgreSQL 14) must
            // not end it, nor cut pg_backup_start's checkpoint or pg_backup_stop's wait short.
            try (Statement s = connection.createStatement()) {
                s.execute("set statement_timeout = 0");
                s.execute("set idle_in_transaction_session_timeout = 0");
                if (version >= 140000) {
                    s.execute("set idle_session_timeout = 0");
                }
            }
            String sql = version >= 150000 ? "select pg_backup_start(?, true)" : "select pg_start_backup(?, true, false)";
            try (PreparedStatement s = connection.prepareStatement(sql)) {
                s.setString(1, label);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return new BackupSession(connection, version, Lsn.parse(r.getString(1)), standby);
                }
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot start the backup: " + e.getMessage(),
                    "the role needs the pg_backup_start privilege (superuser, or GRANT EXECUTE ON FUNCTION pg_backup_start)", e);
        }
    }

    public Lsn startLsn() {
        return start;
    }

    public boolean fromStandby() {
        return fromStandby;
    }

    public int versionNum() {
        return versionNum;
    }

    /**
     * Ends the backup. On a primary PostgreSQL switches to a new segment and, with {@code waitForArchive},
     * waits until archive_command has taken the last one the backup needs.
     */
    public Stop stop(boolean waitForArchive) {
        String sql = versionNum >= 150000 ? "select lsn, labelfile, spcmapfile from pg_backup_stop(?)"
                : "select lsn, labelfile, spcmapfile from pg_stop_backup(false, ?)";
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setBoolean(1, waitForArchive);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                String map = r.getString(3);
                return new Stop(Lsn.parse(r.getString(1)), r.getString(2), map == null ? "" : map);
            }
        } catch (SQLException e) {
            throw WalferryException.postgres("cannot stop the backup: " + e.getMessage(),
                    "see the server log; the backup is not usable and nothing was recorded as complete", e);
        }
    }
}
