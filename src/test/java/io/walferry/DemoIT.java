package io.walferry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.S3ProxyServer;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command, as a user runs it: the whole flow, exit 0, every row on every replica. */
class DemoIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDemoRunsEndToEndAndEveryRowReachesEveryReplica() throws Exception {
        Path dir = TempDirs.create("wf-demo-");
        ServerUser.chown(dir);
        try {
            WalferryFixture.Result r = WalferryFixture.exec(ServerUser.wrap(List.of(WalferryFixture.launcher().toString(), "demo",
                    "--seconds", "5", "--dir", dir.resolve("demo").toString())), dir, Duration.ofMinutes(5), DemoIT::dashboardIsLive);
            assertThat(r.exitCode()).as(r.all()).isZero();
            assertThat(r.out()).containsPattern("Dashboard: http://127\\.0\\.0\\.1:\\d+/");
            assertThat(r.out()).contains("Took base backup").contains("streams from us-east-1 through replication slot")
                    .contains("replays only from the archive").contains("OK   us-west-2 holds").contains("OK   eu-central-1 holds")
                    .contains("Every row written is on every replica.");
            assertThat(r.out()).as("writes and reads through the router").contains("Started walferry router")
                    .containsPattern("Reads through the router's ro endpoint: \\d+ on us-east-1, [1-9]\\d* on us-west-2, 0 on eu-central-1");
            assertThat(r.out().lines().filter(l -> l.contains("| us-west-2 lag")).count()).as("live status every second").isGreaterThanOrEqualTo(4);
            // the second act: the primary's node lost under writes, a replica promoted through etcd, the old one back as a replica,
            // and every acknowledged row on every node
            assertThat(r.out()).contains("us-east-1 holds the leader key").contains("Lost node us-east-1")
                    .containsPattern("us-west-2 is the primary [0-9.]+ s after the loss")
                    .containsPattern("us-east-1 follows us-west-2 [0-9.]+ s after the loss")
                    .contains("A client writes one row per transaction through the router's rw endpoint")
                    .containsPattern("Writes go on on us-west-2 through the same router endpoint: the first acknowledged [0-9.]+ s after the loss")
                    .containsPattern("OK   us-east-1 holds (\\d+) of the \\1 acknowledged rows")
                    .containsPattern("OK   us-west-2 holds (\\d+) of the \\1 acknowledged rows")
                    .containsPattern("OK   eu-central-1 holds (\\d+) of the \\1 acknowledged rows")
                    .contains("No acknowledged row was lost in the failover.").doesNotContain("WARNING");
            assertThat(r.all()).doesNotContain("sun.misc.Unsafe");
            // Another local user can reach the ports: no connection is trusted for being local.
            Path demo = dir.resolve("demo");
            for (String node : List.of("us-east-1", "us-west-2", "eu-central-1")) {
                assertThat(Files.readString(demo.resolve(node).resolve("pg_hba.conf")).lines().filter(l -> !l.startsWith("#")))
                        .as(node).noneMatch(l -> l.contains("trust")).anyMatch(l -> l.contains("scram-sha-256"));
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(demo))).isEqualTo("rwx------");
            assertThat(Files.readString(demo.resolve("walferry.yaml"))).contains("password: ${file:" + demo.resolve("postgres.password") + "}");
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    /** The address the demo prints answers while it runs, with the streaming replica's lag read anew every few seconds. */
    private static void dashboardIsLive(Path stdout) {
        String[] url = new String[1];
        Await.until(Duration.ofMinutes(3), "the demo to print the dashboard's address", () -> {
            Matcher m = Pattern.compile("Dashboard: (\\S+)").matcher(Files.readString(stdout));
            url[0] = m.find() ? m.group(1) : null;
            return url[0] != null;
        });
        String[] first = new String[1];
        Await.until(Duration.ofMinutes(2), "the dashboard to show us-west-2 as a replica, and read it again", () -> {
            JsonNode doc = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url[0] + "api/status")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            boolean replica = false;
            for (JsonNode n : doc.path("nodes")) {
                replica |= n.path("name").asText().equals("us-west-2") && n.path("role").asText().equals("replica") && n.has("lagBytes");
            }
            if (!replica) {
                return false;
            }
            if (first[0] == null) {
                first[0] = doc.path("time").asText();
                return false;
            }
            return !first[0].equals(doc.path("time").asText());
        });
    }

    @Test
    void withAConfigurationTheDemoArchivesAndBacksUpIntoItsRepositories() throws Exception {
        Path dir = TempDirs.create("wf-demo-s3-");
        try (S3ProxyServer s3 = S3ProxyServer.start(false)) {
            s3.createBucket("demo-bucket");
            Path keyId = secret(dir.resolve("key-id"), S3ProxyServer.ACCESS_KEY);
            Path key = secret(dir.resolve("secret"), S3ProxyServer.SECRET_KEY);
            Path config = dir.resolve("walferry.yaml");
            Files.writeString(config, """
                    cluster: main
                    nodes:
                      - name: pg1
                        port: 5432
                        data_directory: /var/lib/postgresql/15/main
                    repositories:
                      - name: bucket
                        type: s3
                        bucket: demo-bucket
                        prefix: walferry
                        endpoint: %s
                        path_style: true
                        credentials:
                          access_key_id: ${file:%s}
                          secret_access_key: ${file:%s}
                    """.formatted(s3.endpoint(), keyId, key));
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
            ServerUser.chown(dir);

            WalferryFixture.Result r = WalferryFixture.exec(ServerUser.wrap(List.of(WalferryFixture.launcher().toString(), "-c",
                    config.toString(), "demo", "--seconds", "3", "--dir", dir.resolve("demo").toString())), dir, Duration.ofMinutes(5));
            assertThat(r.exitCode()).as(r.all()).isZero();
            assertThat(r.out()).contains("Using the repositories configured in " + config).contains("Every row written is on every replica.")
                    .doesNotContain(S3ProxyServer.SECRET_KEY);
            assertThat(dir.resolve("demo/repository")).as("no filesystem repository of its own").doesNotExist();
            String demoYaml = Files.readString(dir.resolve("demo/walferry.yaml"));
            assertThat(demoYaml).as("secrets stay references").contains("${file:" + key + "}").doesNotContain(S3ProxyServer.SECRET_KEY);
            try (var client = s3.client()) {
                var keys = client.listObjectsV2Paginator(b -> b.bucket("demo-bucket").prefix("walferry/")).contents().stream()
                        .map(o -> o.key()).toList();
                assertThat(keys).as("the demo's WAL and backup in the bucket").anyMatch(k -> k.matches("walferry/demo-[0-9-]+/wal/.*"))
                        .anyMatch(k -> k.matches("walferry/demo-[0-9-]+/backup/.*"));
            }
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void aDirectoryAnotherUserPreparedIsRefusedAndNothingInItIsStoppedOrFollowed() throws Exception {
        Path dir = TempDirs.create("wf-demo-planted-");
        PgCluster victim = PgCluster.init(dir, "victim");
        Process sleeper = new ProcessBuilder(ServerUser.wrap(List.of("sleep", "300"))).start();
        try {
            victim.start();
            ProcessHandle sleep = sleeper.descendants().findFirst().orElse(sleeper.toHandle());
            // As a fixed /tmp/walferry-demo-<user> could be, by another user before the demo's first run: open to all,
            // with the server's user's agent pid and a link to a data directory of the server's user.
            Path planted = Files.createDirectories(dir.resolve("planted"));
            Files.createSymbolicLink(planted.resolve("us-east-1"), victim.dataDir());
            Files.writeString(planted.resolve("agent.pid"), sleep.pid() + "\n");
            Files.setAttribute(planted, "unix:uid", 65534);
            Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));

            WalferryFixture.Result r = WalferryFixture.exec(ServerUser.wrap(List.of(WalferryFixture.launcher().toString(), "demo",
                    "--seconds", "3", "--dir", planted.toString())), dir, Duration.ofMinutes(5));
            assertThat(r.exitCode()).as(r.all()).isEqualTo(2);
            assertThat(r.err().strip()).contains("the demo will not use " + planted).contains("belongs to uid 65534").doesNotContain("\n");
            assertThat(victim.isRunning()).as("the server behind the planted link still runs").isTrue();
            assertThat(sleep.isAlive()).as("the process agent.pid named still runs").isTrue();
        } finally {
            sleeper.descendants().forEach(ProcessHandle::destroy);
            sleeper.destroy();
            victim.close();
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void asRootTheDemoRunsFromAPrivateCopyThatItRemovesAfterwards() throws Exception {
        Path dir = TempDirs.create("wf-demo-root-");
        try {
            // A checkout the demo's user cannot read: the launcher copies itself for that user.
            Path checkout = Files.createDirectories(dir.resolve("checkout/target")).getParent();
            Files.copy(WalferryFixture.launcher(), checkout.resolve("walferry"), StandardCopyOption.COPY_ATTRIBUTES);
            Files.copy(WalferryFixture.launcher().resolveSibling("target/walferry.jar"), checkout.resolve("target/walferry.jar"));
            Files.setPosixFilePermissions(checkout, PosixFilePermissions.fromString("rwx------"));
            Path tmp = Files.createDirectories(dir.resolve("tmp"));
            Path fixed = Path.of("/tmp/walferry-demo-dist");
            FileTime before = Files.exists(fixed, LinkOption.NOFOLLOW_LINKS) ? Files.getLastModifiedTime(fixed, LinkOption.NOFOLLOW_LINKS) : null;

            ProcessBuilder pb = new ProcessBuilder(checkout.resolve("walferry").toString(), "demo", "--no-such-option")
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("WALFERRY") || k.startsWith("PG"));
            pb.environment().put("TMPDIR", tmp.toString());
            pb.environment().put("WALFERRY_NO_STARTUP_CACHE", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(out).isEqualTo(2);
            assertThat(out).as("the copy ran").contains("Unknown option: '--no-such-option'");
            assertThat(tmp).as("the copy is gone").isEmptyDirectory();
            FileTime after = Files.exists(fixed, LinkOption.NOFOLLOW_LINKS) ? Files.getLastModifiedTime(fixed, LinkOption.NOFOLLOW_LINKS) : null;
            assertThat(after).as("no fixed name in /tmp").isEqualTo(before);
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    private static Path secret(Path file, String value) throws Exception {
        Files.writeString(file, value);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
