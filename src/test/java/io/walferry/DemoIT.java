package io.walferry;

import io.walferry.testing.S3ProxyServer;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command, as a user runs it: the whole flow, exit 0, every row on every replica. */
class DemoIT {
    @Test
    void theDemoRunsEndToEndAndEveryRowReachesEveryReplica() {
        Path dir = TempDirs.create("wf-demo-");
        ServerUser.chown(dir);
        try {
            WalferryFixture.Result r = WalferryFixture.exec(ServerUser.wrap(List.of(WalferryFixture.launcher().toString(), "demo",
                    "--seconds", "5", "--dir", dir.resolve("demo").toString())), dir, Duration.ofMinutes(5));
            assertThat(r.exitCode()).as(r.all()).isZero();
            assertThat(r.out()).contains("Took base backup").contains("streams from us-east-1 through replication slot")
                    .contains("replays only from the archive").contains("OK   us-west-2 holds").contains("OK   eu-central-1 holds")
                    .contains("Every row written is on every replica.");
            assertThat(r.out().lines().filter(l -> l.contains("| us-west-2 lag")).count()).as("live status every second").isGreaterThanOrEqualTo(4);
        } finally {
            TempDirs.deleteTree(dir);
        }
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

    private static Path secret(Path file, String value) throws Exception {
        Files.writeString(file, value);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
