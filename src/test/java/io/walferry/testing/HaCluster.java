package io.walferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.WalferryFixture.Result;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL nodes in HA through a real etcd, as the HA tests and the router's failover test need them: the first node
 * the primary with table {@code t} (1000 rows), the others streaming replicas made by walferry, each with its agent
 * once started. Closing it stops everything, the watchdogs too, and deletes its directory.
 */
public final class HaCluster implements AutoCloseable {
    /** The HA timing most tests run with: a failover within seconds. */
    public static final String FAST = """
              ttl: 10s
              loop_wait: 1s
              retry_timeout: 2s
            """;
    /** Synchronous mode with one synchronous standby. */
    public static final String SYNCHRONOUS = "  synchronous: on\n  synchronous_count: 1\n";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path dir;
    private final List<String> nodes;
    private final Map<String, PgCluster> pg = new LinkedHashMap<>();
    private final Map<String, Integer> api = new HashMap<>();
    private final Map<String, AgentProcess> agents = new HashMap<>();
    private EtcdServer etcd;
    private WalferryFixture wf;
    private String haYaml;
    private String archiveYaml = "";
    private TwoPrimaries checker;

    private HaCluster(Path dir, List<String> nodes) {
        this.dir = dir;
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Builds the cluster in a new temporary directory: etcd with {@code etcdMembers} members, the nodes' configuration
     * with {@code ha} (timing and more) under {@code ha:}, a backup of the first node and the others made from it.
     * Agents are not started.
     */
    public static HaCluster create(String prefix, List<String> nodes, int etcdMembers, String ha) throws Exception {
        return create(prefix, nodes, etcdMembers, ha, "");
    }

    /** As {@link #create(String, List, int, String)}, with more {@code archive:} settings (stream, synchronous). */
    public static HaCluster create(String prefix, List<String> nodes, int etcdMembers, String ha, String archive) throws Exception {
        HaCluster c = new HaCluster(TempDirs.create(prefix), nodes);
        c.archiveYaml = archive;
        try {
            c.build(etcdMembers, ha);
            return c;
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
    }

    private void build(int etcdMembers, String ha) throws Exception {
        etcd = EtcdServer.start(dir.resolve("etcd"), etcdMembers);
        String first = nodes.get(0);
        PgCluster p1 = PgCluster.init(dir, first, 1);
        pg.put(first, p1);
        wf = new WalferryFixture(dir.resolve("wf"), p1, "  workers: 2\n");
        wf.enableArchiving(p1);
        p1.set("wal_keep_size", "256MB");
        p1.set("wal_log_hints", "on");
        p1.start();
        for (String n : nodes.subList(1, nodes.size())) {
            pg.put(n, PgCluster.existing(dir, n));
        }
        haYaml = """
                  etcd:
                    endpoints: %s
                  maximum_lag_on_failover: 64MB
                """.formatted(etcd.endpoints()) + ha;
        for (String n : nodes) {
            api.put(n, freePort());
        }
        writeConfig();
        ok("repo-create", "--node", first);
        p1.execute("create table t (id bigint primary key, note text)");
        p1.execute("insert into t select g, 'first' from generate_series(1, 1000) g");
        ok("backup", "--node", first);
        for (String n : nodes.subList(1, nodes.size())) {
            ok("replica", "create", "--node", n);
        }
    }

    private void writeConfig() throws IOException {
        Map<String, String> perNode = new HashMap<>();
        api.forEach((n, port) -> perNode.put(n, "    api_port: " + port + "\n"));
        wf.writeConfig(new ArrayList<>(pg.values()), "  workers: 2\n" + archiveYaml);
        wf.ha(haYaml, perNode);
    }

    /** New {@code archive:} settings in the configuration; agents started after this read them. */
    public void archive(String archive) throws IOException {
        archiveYaml = archive;
        writeConfig();
    }

    /** One more node in the configuration (not in HA's failover set unless it is a streaming replica), not yet made. */
    public PgCluster addNode(String name) throws IOException {
        PgCluster c = PgCluster.existing(dir, name);
        pg.put(name, c);
        api.put(name, freePort());
        writeConfig();
        return c;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public Result ok(String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }

    public Path dir() {
        return dir;
    }

    public List<String> nodes() {
        return nodes;
    }

    public EtcdServer etcd() {
        return etcd;
    }

    public WalferryFixture wf() {
        return wf;
    }

    public PgCluster pg(String node) {
        return pg.get(node);
    }

    public Map<String, PgCluster> servers() {
        return pg;
    }

    public AgentProcess agent(String node) {
        return agents.get(node);
    }

    public TwoPrimaries checker() {
        return checker;
    }

    /** Every node's agent, then the first node as the leader, then the two-primaries checker. */
    public void startAgents() {
        for (String n : nodes) {
            startAgent(n);
        }
        awaitLeader(nodes.get(0));
        startChecker();
    }

    public AgentProcess startAgent(String node) {
        AgentProcess a = wf.startAgent(node);
        agents.put(node, a);
        return a;
    }

    public AgentProcess startAgent(String node, Path config) {
        AgentProcess a = wf.startAgent(node, config);
        agents.put(node, a);
        return a;
    }

    /** Every node's agent, {@code node}'s reaching etcd through {@code proxy}; then as {@link #startAgents()}. */
    public void startAgentsWithEtcdThrough(String node, TcpProxy proxy) throws IOException {
        Path own = wf.dir().resolve(node + ".yaml");
        Files.writeString(own, Files.readString(wf.config()).replace(etcd.endpoints(), "http://127.0.0.1:" + proxy.port()));
        ServerUser.chown(own);
        for (String n : nodes) {
            if (n.equals(node)) {
                startAgent(n, own);
            } else {
                startAgent(n);
            }
        }
        awaitLeader(nodes.get(0));
        startChecker();
    }

    public void startChecker() {
        checker = new TwoPrimaries(pg);
    }

    /** The member whose API says it is the primary holding the leader key. */
    public Optional<String> leader() {
        for (String n : nodes) {
            if (status(n, "/primary") == 200) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    public String awaitLeader(String... among) {
        String[] found = new String[1];
        Await.until(Duration.ofSeconds(90), "a leader among " + List.of(among), () -> {
            Optional<String> l = leader();
            if (l.isPresent() && List.of(among).contains(l.get())) {
                found[0] = l.get();
                return true;
            }
            return false;
        });
        return found[0];
    }

    /** {@code node}, the leader, renewing its key in etcd again (not serving on a lease or in failsafe mode). */
    public void awaitLeaderWithTheLock(String node) {
        Await.until(Duration.ofSeconds(90), node + " to renew its leader key in etcd",
                () -> apiJson(node, "/member").path("decision").asText().equals("no action: I am the leader with the lock"));
    }

    /** The leader among every node but {@code lost}. */
    public String awaitLeaderOtherThan(String lost) {
        return awaitLeader(nodes.stream().filter(n -> !n.equals(lost)).toArray(String[]::new));
    }

    /** The HTTP status of {@code path} on the node's API, -1 when it does not answer. */
    public int status(String node, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.get(node) + path)).timeout(Duration.ofSeconds(2))
                    .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The node's API document at {@code path} ("/cluster", "/member"). */
    public JsonNode apiJson(String node, String path) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.get(node) + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    public long rows(String node) throws SQLException {
        return pg.get(node).queryLong("select count(*) from t");
    }

    public void awaitFollowing(String replica, String primary) {
        Await.until(Duration.ofSeconds(120), replica + " to stream from " + primary, () -> ("streaming:" + pg.get(primary).port())
                .equals(pg.get(replica).queryString("select status || ':' || sender_port from pg_stat_wal_receiver")));
    }

    public void awaitRows(String node, long n) {
        Await.until(Duration.ofSeconds(120), node + " to hold " + n + " rows", () -> rows(node) == n);
    }

    /** Inserts {@code count} rows from id {@code from} on the primary, waits for every running replica to hold them. */
    public long writeAndReplicate(String primary, int from, int count) throws SQLException {
        pg.get(primary).execute("insert into t select g, 'w' from generate_series(" + from + ", " + (from + count - 1) + ") g");
        long n = rows(primary);
        for (String r : nodes) {
            if (!r.equals(primary) && pg.get(r).isRunning()) {
                awaitRows(r, n);
            }
        }
        return n;
    }

    /** Until {@code node} takes a write of row {@code id}. */
    public void awaitWrite(String node, long id, String note) {
        Await.until(Duration.ofSeconds(60), node + " to take writes again", () -> {
            try {
                pg.get(node).execute("insert into t values (" + id + ", '" + note + "')");
                return true;
            } catch (SQLException e) {
                return false;
            }
        });
    }

    /** Until the leader's commits wait for one synchronous standby that confirms them. */
    public void awaitSynchronousStandby(String leader) {
        Await.until(Duration.ofSeconds(90), leader + "'s commits to wait for a synchronous standby",
                () -> pg.get(leader).queryString("show synchronous_standby_names").matches("FIRST 1 \\(\"[^\"]+\"\\)")
                        && pg.get(leader).queryLong("select count(*) from pg_stat_replication where sync_state = 'sync'") == 1);
    }

    /** Writes go on on {@code node}, then every row the writer saw acknowledged, before and after the fault, is there. */
    public void assertEveryAcknowledgedRowOn(AckedWriter w, String node, int atFault) throws Exception {
        Await.until(Duration.ofSeconds(90), "writes to go on on " + node, () -> w.acknowledged().size() > atFault + 50);
        w.stop();
        for (long id : w.acknowledged()) {
            assertThat(pg.get(node).queryLong("select count(*) from t where id = " + id)).as("acknowledged row " + id + " on " + node)
                    .isEqualTo(1);
        }
    }

    /** A writer of table {@code t} through a URL that finds the primary among every node. */
    public AckedWriter writer() {
        return new AckedWriter(pg);
    }

    /** A node lost at once: its agent, its watchdog and its PostgreSQL killed. */
    public void lose(String node) {
        agents.get(node).kill9();
        ServerUser.exec(List.of("pkill", "-9", "-f", "walferry-watchdog.sh " + wf.dir().resolve("spool/test/" + node)), null,
                Duration.ofSeconds(10));
        pg.get(node).crash();
    }

    /** Sends a signal (STOP, CONT, ...) to a process of the server's user. */
    public static void signal(String which, String pid) {
        ServerUser.exec(List.of("kill", "-" + which, pid), null, Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        if (checker != null) {
            checker.stop();
        }
        agents.values().forEach(AgentProcess::close);
        // the watchdogs outlive their agents: stop them with their data directories
        pg.values().forEach(PgCluster::close);
        if (etcd != null) {
            etcd.close();
        }
        ServerUser.exec(List.of("pkill", "-f", "walferry-watchdog.sh " + dir), null, Duration.ofSeconds(10));
        TempDirs.deleteTree(dir);
    }
}
