package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.Service;
import io.walferry.postgres.logical.SourceFacts;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a source can feed a logical stream, and, where it cannot, exactly what to change where: in postgresql.conf
 * of a server someone runs, or in the console or parameter group of a managed service. Pure: a decision over
 * {@link SourceFacts}.
 */
public final class SourceReadiness {
    private SourceReadiness() {
    }

    /** What is wrong, and the fix. */
    public record Problem(String what, String fix) {
    }

    /**
     * @param slotExists the stream's slot exists already (it needs no free slot then)
     */
    public static List<Problem> check(SourceFacts f, Service configured, boolean slotExists) {
        Service service = effective(f, configured);
        List<Problem> problems = new ArrayList<>();
        if (f.versionNum() < 100000) {
            problems.add(new Problem("the source runs PostgreSQL " + f.major() + ", and logical replication with pgoutput needs 10 or later",
                    "upgrade the source, or replicate it physically"));
            return problems;
        }
        if (f.inRecovery()) {
            problems.add(new Problem("the source is a standby (in recovery)", "point the stream's source at the primary"));
        }
        if (!f.walLevel().equals("logical")) {
            problems.add(new Problem("wal_level is " + f.walLevel() + " on the source, and logical decoding needs logical",
                    switch (service) {
                        case RDS -> "set rds.logical_replication = 1 in the DB instance's parameter group and reboot the instance";
                        case AURORA -> "set rds.logical_replication = 1 in the DB cluster parameter group and reboot the writer instance";
                        case CLOUD_SQL -> "set the database flag cloudsql.logical_decoding = on (the instance restarts)";
                        case AZURE -> "set the server parameter wal_level = logical (portal: Server parameters) and restart the server";
                        case CRUNCHY_BRIDGE -> "set wal_level = logical in the cluster's configuration parameters (or ask Crunchy Bridge "
                                + "support) and restart the cluster";
                        case SELF_MANAGED -> "set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and "
                                + "restart the server";
                    }));
        }
        if (!slotExists && f.usedReplicationSlots() >= f.maxReplicationSlots()) {
            problems.add(new Problem("the source has no free replication slot (max_replication_slots = " + f.maxReplicationSlots()
                    + ", " + f.usedReplicationSlots() + " in use)", "raise max_replication_slots" + where(service)
                    + " and restart, or drop a slot nothing uses"));
        }
        if (f.usedWalSenders() >= f.maxWalSenders()) {
            problems.add(new Problem("the source has no free WAL sender (max_wal_senders = " + f.maxWalSenders() + ", "
                    + f.usedWalSenders() + " in use)", "raise max_wal_senders" + where(service) + " and restart"));
        }
        boolean mayReplicate = f.superuser() || f.replicationRole() || f.rdsReplicationMember().orElse(false);
        if (!mayReplicate) {
            problems.add(new Problem("role " + f.role() + " may not replicate from the source", switch (service) {
                case RDS, AURORA -> "as the master user: GRANT rds_replication TO " + f.role();
                case CLOUD_SQL -> "as a cloudsqlsuperuser: ALTER USER " + f.role() + " WITH REPLICATION";
                case AZURE -> "as the server's admin: ALTER ROLE " + f.role() + " WITH REPLICATION";
                case CRUNCHY_BRIDGE -> "as the application role: ALTER ROLE " + f.role() + " WITH REPLICATION (or use a role that has it)";
                case SELF_MANAGED -> "as a superuser: ALTER ROLE " + f.role() + " WITH REPLICATION";
            }));
        }
        return problems;
    }

    /** The service the facts show, where the configuration did not say (an RDS parameter exists only on RDS and Aurora). */
    static Service effective(SourceFacts f, Service configured) {
        if (configured == Service.SELF_MANAGED) {
            if (f.rdsLogicalReplication().isPresent()) {
                return Service.RDS;
            }
            if (f.cloudSqlLogicalDecoding().isPresent()) {
                return Service.CLOUD_SQL;
            }
        }
        return configured;
    }

    private static String where(Service service) {
        return switch (service) {
            case RDS -> " in the DB instance's parameter group";
            case AURORA -> " in the DB cluster parameter group";
            case CLOUD_SQL -> " (a database flag)";
            case AZURE -> " (Server parameters)";
            case CRUNCHY_BRIDGE -> " in the cluster's configuration parameters";
            case SELF_MANAGED -> " in postgresql.conf";
        };
    }
}
