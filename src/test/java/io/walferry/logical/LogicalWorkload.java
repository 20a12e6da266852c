package io.walferry.logical;

import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source database {@code shop} of the logical ITs and a workload of concurrent transactions over it: numeric,
 * jsonb, arrays, bytea, timestamps with zones, non-ASCII text, NULLs, TOASTed values (and UPDATEs that leave them
 * unchanged), a table without a key (replica identity full), deletes and truncates. Every transaction adds to an
 * account's balance, so a transaction applied twice shows in the balances.
 */
final class LogicalWorkload implements AutoCloseable {
    static final String DATABASE = "shop";
    static final List<String> TABLES = List.of("accounts", "items", "ledger", "events", "big");

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong refused = new AtomicLong();
    private boolean outlasting;

    static void createSchema(PgCluster source) throws SQLException {
        source.execute("create database " + DATABASE);
        execute(source, """
                create table accounts (id int primary key, balance numeric(20,2) not null, doc jsonb, tags text[], updated timestamptz);
                insert into accounts select g, 0, jsonb_build_object('id', g, 'n', array[g, g * 2]), array['a' || g, 'ü' || g], now()
                  from generate_series(1, 300) g;
                create table items (id bigserial primary key, name text not null, payload bytea, big text, price numeric,
                  created timestamptz not null default clock_timestamp(), note text);
                create table ledger (account int not null, amount numeric not null, at timestamptz not null);
                alter table ledger replica identity full;
                create table events (id int primary key, msg text);
                create table big (id int primary key, filler text);
                """);
    }

    /** Clients that fail on any error but a serialization failure or deadlock (which they retry). */
    static LogicalWorkload start(PgCluster source, int clients) {
        return start(source, clients, false);
    }

    /**
     * With {@code outlasting}, the clients also outlast a cutover: a session ended is opened again, a write refused in
     * a read-only database is tried again, until {@link #stop}.
     */
    static LogicalWorkload start(PgCluster source, int clients, boolean outlasting) {
        LogicalWorkload w = new LogicalWorkload();
        w.outlasting = outlasting;
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread t = new Thread(() -> w.loop(source, client), "workload-" + i);
            t.setDaemon(true);
            w.threads.add(t);
            t.start();
        }
        return w;
    }

    private void loop(PgCluster source, int client) {
        long n = 0;
        while (!stop.get()) {
            try {
                n = session(source, client, n);
            } catch (SQLException e) {
                if (!outlasting || failure.get() != null) {
                    failure.compareAndSet(null, e);
                    return;
                }
                refused.incrementAndGet();
                pause();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                return;
            }
        }
    }

    private static void pause() {
        io.walferry.testing.Pace.pause(java.time.Duration.ofMillis(10)); // a client retrying
    }

    /** Transactions on one connection until stop or an error that ends the session; the number of the last. */
    private long session(PgCluster source, int client, long n) throws SQLException {
        try (Connection c = source.connect(DATABASE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            while (!stop.get()) {
                n++;
                int account = ThreadLocalRandom.current().nextInt(1, 301);
                long key = client * 1_000_000_000L + n;
                try {
                    s.execute("update accounts set balance = balance + 1.25, updated = clock_timestamp(), doc = jsonb_set(doc, '{b}', "
                            + "to_jsonb(balance)) where id = " + account);
                    s.execute("insert into ledger values (" + account + ", 1.25, clock_timestamp())");
                    s.execute("insert into items (name, payload, big, price, note) values ('item " + key + " ✓ ß', decode(md5('" + key
                            + "'), 'hex'), " + (n % 10 == 0 ? "(select string_agg(md5(g::text || '" + key + "'), '') from generate_series(1, 300) g)"
                            : "null") + ", " + key + " * 1.001, " + (n % 3 == 0 ? "null" : "'note'") + ")");
                    if (n % 5 == 0) {
                        // leaves the TOASTed column unchanged: pgoutput does not send it
                        s.execute("update items set name = name || '+' where id = (select max(id) from items where big is not null)");
                    }
                    if (n % 7 == 0) {
                        s.execute("delete from items where id = (select min(id) from items)");
                        s.execute("delete from ledger where ctid = (select ctid from ledger where account = " + account + " limit 1)");
                    }
                    s.execute("insert into events values (" + (int) (key % 2_000_000_000L) + ", 'e') on conflict do nothing");
                    if (client == 0 && n % 97 == 0) {
                        s.execute("truncate events");
                    }
                    c.commit();
                    commits.incrementAndGet();
                } catch (SQLException e) {
                    if (!c.isValid(5)) {
                        throw e;
                    }
                    c.rollback();
                    if (outlasting && "25006".equals(e.getSQLState())) {
                        refused.incrementAndGet();
                        pause();
                        continue;
                    }
                    if (e.getSQLState() == null || !e.getSQLState().startsWith("40")) {
                        throw e;
                    }
                }
            }
        }
        return n;
    }

    /** Transactions refused (read-only) or cut short (session ended) so far. */
    long refused() {
        return refused.get();
    }

    long commits() {
        check();
        return commits.get();
    }

    void awaitCommits(long n) {
        Await.until(Duration.ofSeconds(180), n + " workload commits", () -> commits() >= n);
    }

    /** Stops the clients once their transactions are done. */
    void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        check();
    }

    private void check() {
        if (failure.get() != null) {
            throw new AssertionError("the workload failed", failure.get());
        }
    }

    @Override
    public void close() {
        stop.set(true);
    }

    /** Per table: row count and an order-independent checksum of the rows' text. */
    static Map<String, String> checksums(PgCluster pg) throws SQLException {
        Map<String, String> m = new LinkedHashMap<>();
        try (Connection c = pg.connect(DATABASE); Statement s = c.createStatement()) {
            s.execute("set timezone = 'UTC'");
            s.execute("set extra_float_digits = 3");
            for (String t : TABLES) {
                m.put(t, checksum(s, t));
            }
        }
        return m;
    }

    /** One table's row count and checksum. */
    static String checksum(PgCluster pg, String table) throws SQLException {
        try (Connection c = pg.connect(DATABASE); Statement s = c.createStatement()) {
            s.execute("set timezone = 'UTC'");
            s.execute("set extra_float_digits = 3");
            return checksum(s, table);
        }
    }

    private static String checksum(Statement s, String table) throws SQLException {
        try (ResultSet r = s.executeQuery("select count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0) "
                + "from " + table + " t")) {
            r.next();
            return r.getLong(1) + " rows, checksum " + r.getString(2);
        }
    }

    static void awaitEqual(PgCluster source, PgCluster target, Duration timeout) {
        Await.until(timeout, "every table equal on the target", () -> checksums(source).equals(checksums(target)));
    }

    static void assertEqual(PgCluster source, PgCluster target) throws SQLException {
        assertThat(checksums(target)).isEqualTo(checksums(source));
        // nothing twice in the table without a key either: ledger rows are unique by their time stamp
        assertThat(queryLong(target, "select count(*) from (select account, at from ledger group by 1, 2 having count(*) > 1) d")).isZero();
    }

    static String accountsTotal(PgCluster pg) throws SQLException {
        return queryString(pg, "select sum(balance)::text from accounts");
    }

    static String phase(PgCluster target) throws SQLException {
        return queryString(target, "select phase from walferry.logical_stream where stream = 'shop'");
    }

    static long transactionsApplied(PgCluster target) throws SQLException {
        return queryLong(target, "select transactions from walferry.logical_stream where stream = 'shop'");
    }

    static boolean tableExists(PgCluster pg, String table) throws SQLException {
        return Objects.equals(queryString(pg, "select to_regclass('" + table + "') is not null"), "t");
    }

    static void execute(PgCluster pg, String sql) throws SQLException {
        try (Connection c = pg.connect(DATABASE); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static long queryLong(PgCluster pg, String sql) throws SQLException {
        return Long.parseLong(Objects.requireNonNull(queryString(pg, sql), sql));
    }

    static String queryString(PgCluster pg, String sql) throws SQLException {
        try (Connection c = pg.connect(DATABASE); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }
}
