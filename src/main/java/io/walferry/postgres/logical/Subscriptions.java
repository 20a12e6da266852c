package io.walferry.postgres.logical;

import io.walferry.config.ConnectionConfig;
import io.walferry.postgres.Lsn;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Native subscriptions on a stream's target ({@code mode: subscription}): whether the role may create one, create one
 * on the stream's existing slot, read how it does, drop it. The connection string a subscription holds is
 * PostgreSQL's to keep (pg_subscription.subconninfo); walferry never logs it or puts it in a message.
 */
public final class Subscriptions {
    private Subscriptions() {
    }

    /**
     * What lets the target's role create a subscription.
     *
     * @param createSubscription a member of pg_create_subscription (PostgreSQL 16 and later)
     * @param rdsSuperuser       a member of rds_superuser (Amazon RDS and Aurora)
     */
    public record Rights(String role, int major, boolean superuser, boolean createSubscription, boolean rdsSuperuser) {
    }

    public static Rights rights(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select current_user, current_setting('server_version_num')::int, "
                + "rolsuper, coalesce((select pg_has_role(current_user, g.oid, 'member') from pg_roles g where g.rolname = 'pg_create_subscription'), false), "
                + "coalesce((select pg_has_role(current_user, g.oid, 'member') from pg_roles g where g.rolname = 'rds_superuser'), false) "
                + "from pg_roles where rolname = current_user")) {
            r.next();
            return new Rights(r.getString(1), r.getInt(2) / 10000, r.getBoolean(3), r.getBoolean(4), r.getBoolean(5));
        }
    }

    /**
     * The libpq connection string by which the target's subscription reaches the source. With a password file the
     * target's server reads the password from it and the string holds none; otherwise a configured password goes into
     * the string (and so into pg_subscription on the target). Pure.
     */
    public static String conninfo(String host, int port, ConnectionConfig c) {
        ConnectionConfig.Tls tls = c.tlsFor(host);
        StringBuilder b = new StringBuilder();
        pair(b, "host", host);
        pair(b, "port", String.valueOf(port));
        pair(b, "dbname", c.database());
        pair(b, "user", c.user());
        pair(b, "sslmode", tls.sslMode());
        pair(b, "channel_binding", tls.channelBinding());
        pair(b, "connect_timeout", String.valueOf(Math.max(2, c.connectTimeout().toSeconds())));
        pair(b, "application_name", "walferry subscription");
        c.sslRootCert().ifPresent(p -> pair(b, "sslrootcert", p.toString()));
        c.sslCert().ifPresent(p -> pair(b, "sslcert", p.toString()));
        c.sslKey().ifPresent(p -> pair(b, "sslkey", p.toString()));
        if (c.passfile().isPresent()) {
            pair(b, "passfile", c.passfile().get().toString());
        } else {
            c.password().ifPresent(p -> pair(b, "password", p.reveal()));
        }
        return b.toString();
    }

    private static void pair(StringBuilder b, String key, String value) {
        if (!b.isEmpty()) {
            b.append(' ');
        }
        b.append(key).append("='").append(value.replace("\\", "\\\\").replace("'", "\\'")).append('\'');
    }

    /** A string as an SQL literal (standard_conforming_strings). */
    private static String literal(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a literal cannot hold a NUL character");
        }
        return "'" + s.replace("'", "''") + "'";
    }

    /**
     * Creates and enables a subscription that streams from the existing {@code slot} (which it does not create, and
     * whose consistent point the data was copied at, so it copies nothing itself). {@code c} must be in autocommit.
     */
    public static void create(Connection c, String name, String conninfo, String publication, String slot) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SUBSCRIPTION " + Identifiers.quote(name) + " CONNECTION " + literal(conninfo) + " PUBLICATION "
                    + Identifiers.quote(publication) + " WITH (create_slot = false, slot_name = " + literal(slot)
                    + ", copy_data = false, enabled = true)");
        }
    }

    /**
     * Has the subscription learn the publication's tables it does not know yet and copy their data (its table
     * synchronization workers, each in a snapshot that meets the stream). {@code c} must be in autocommit.
     */
    public static void refresh(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("ALTER SUBSCRIPTION " + Identifiers.quote(name) + " REFRESH PUBLICATION WITH (copy_data = true)");
        }
    }

    public static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select 1 from pg_subscription where subname = ? and subdbid = "
                + "(select oid from pg_database where datname = current_database())")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    /**
     * Drops the subscription if it exists, leaving its slot on the source to the caller: disabled first (its worker
     * stops), then detached from the slot, so the drop neither needs the source nor removes the slot.
     */
    public static boolean dropIfExists(Connection c, String name) throws SQLException {
        if (!exists(c, name)) {
            return false;
        }
        String quoted = Identifiers.quote(name);
        try (Statement s = c.createStatement()) {
            s.execute("ALTER SUBSCRIPTION " + quoted + " DISABLE");
            s.execute("ALTER SUBSCRIPTION " + quoted + " SET (slot_name = NONE)");
            s.execute("DROP SUBSCRIPTION " + quoted);
        }
        return true;
    }

    /**
     * A subscription as the target shows it.
     *
     * @param workerPid          its apply worker's pid; empty while none runs (disabled, or failing and restarting)
     * @param receiptAgeSeconds  since the last message from the source; {@code endAgeSeconds}: since the last position
     *                           reported back to it
     * @param tables             how many of its tables are in each state of pg_subscription_rel (i, d, f, s, r)
     * @param applyErrors        pg_stat_subscription_stats (PostgreSQL 15 and later), else empty; likewise {@code syncErrors}
     */
    public record State(boolean enabled, Optional<Integer> workerPid, Optional<Lsn> receivedLsn, Optional<Lsn> latestEndLsn,
                        Optional<Double> receiptAgeSeconds, Optional<Double> endAgeSeconds, Map<String, Integer> tables,
                        Optional<Long> applyErrors, Optional<Long> syncErrors) {
    }

    public static Optional<State> read(Connection c, String name) throws SQLException {
        boolean stats = c.getMetaData().getDatabaseMajorVersion() >= 15;
        State base;
        long oid;
        try (PreparedStatement p = c.prepareStatement("select s.oid, s.subenabled, w.pid, w.received_lsn::text, w.latest_end_lsn::text, "
                + "extract(epoch from now() - w.last_msg_receipt_time), extract(epoch from now() - w.latest_end_time)"
                + (stats ? ", st.apply_error_count, st.sync_error_count" : ", null::bigint, null::bigint")
                + " from pg_subscription s left join pg_stat_subscription w on w.subid = s.oid and w.relid is null"
                + (stats ? " left join pg_stat_subscription_stats st on st.subid = s.oid" : "")
                + " where s.subname = ? and s.subdbid = (select oid from pg_database where datname = current_database())")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                oid = r.getLong(1);
                base = new State(r.getBoolean(2), Optional.ofNullable((Integer) r.getObject(3)), lsn(r.getString(4)), lsn(r.getString(5)),
                        seconds(r, 6), seconds(r, 7), Map.of(), Optional.ofNullable((Long) r.getObject(8)),
                        Optional.ofNullable((Long) r.getObject(9)));
            }
        }
        Map<String, Integer> tables = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement("select srsubstate::text, count(*)::int from pg_subscription_rel where srsubid = ? "
                + "group by srsubstate")) {
            p.setLong(1, oid);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    tables.put(r.getString(1), r.getInt(2));
                }
            }
        }
        return Optional.of(new State(base.enabled(), base.workerPid(), base.receivedLsn(), base.latestEndLsn(), base.receiptAgeSeconds(),
                base.endAgeSeconds(), Map.copyOf(tables), base.applyErrors(), base.syncErrors()));
    }

    private static Optional<Double> seconds(ResultSet r, int column) throws SQLException {
        Object o = r.getObject(column);
        return o == null ? Optional.empty() : Optional.of(((Number) o).doubleValue());
    }

    private static Optional<Lsn> lsn(String text) {
        return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
    }
}
