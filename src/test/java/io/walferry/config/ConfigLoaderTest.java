package io.walferry.config;

import io.walferry.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path tmp;

    private static final String VALID = """
            cluster: main
            nodes:
              - name: pg1
                region: us-east-1
                host: 10.0.0.1
                port: 5433
                data_directory: /var/lib/postgresql/15/main
            repositories:
              - name: local
                type: fs
                path: /var/lib/walferry/repo
            archive:
              compression: zstd
              compression_level: 6
              workers: 4
              spool_directory: /var/spool/walferry
              timeout: 2m
            """;

    private Path write(String yaml) throws IOException {
        Path p = tmp.resolve("walferry.yaml");
        Files.writeString(p, yaml);
        return p;
    }

    @Test
    void readsEveryKey() throws IOException {
        WalferryConfig c = new ConfigLoader(Map.of()).load(write(VALID));
        assertThat(c.cluster()).isEqualTo("main");
        NodeConfig n = c.nodes().get(0);
        assertThat(n.region()).isEqualTo("us-east-1");
        assertThat(n.port()).isEqualTo(5433);
        assertThat(c.repositories().get(0)).isEqualTo(new FsRepositoryConfig("local", Path.of("/var/lib/walferry/repo"), true, java.util.Optional.empty()));
        assertThat(c.archive().compression()).isEqualTo(new Compression(CompressionType.ZSTD, 6));
        assertThat(c.archive().workers()).isEqualTo(4);
        assertThat(c.archive().timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.connection().sslMode()).isEmpty();
        assertThat(c.connection().tlsFor("127.0.0.1").sslMode()).isEqualTo("prefer");
    }

    @Test
    void defaults() throws IOException {
        WalferryConfig c = new ConfigLoader(Map.of()).load(write("""
                cluster: c
                nodes: [{name: a, data_directory: /d}]
                repositories: [{type: fs, path: /r}]
                """));
        assertThat(c.archive().compression()).isEqualTo(new Compression(CompressionType.LZ4, 0));
        assertThat(c.archive().workers()).isEqualTo(2);
        assertThat(c.archive().timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.archive().stream()).isEqualTo(ArchiveConfig.NO_STREAM);
        assertThat(c.nodes().get(0).port()).isEqualTo(5432);
        assertThat(c.repositories().get(0).name()).isEqualTo("repo1");
        assertThat(c.monitoring().listen()).isEqualTo("127.0.0.1");
        assertThat(c.monitoring().metricsPort("a")).isEqualTo(9816);
        assertThat(c.monitoring().dashboard()).isEqualTo(MonitoringConfig.Dashboard.DEFAULT);
    }

    @Test
    void monitoring() throws IOException {
        WalferryConfig c = new ConfigLoader(Map.of("DASH_PW", "s3cret")).load(write("""
                cluster: c
                nodes: [{name: a, data_directory: /d, metrics_port: 9901}, {name: b, data_directory: /e}]
                repositories: [{type: fs, path: /r}]
                monitoring:
                  listen: 0.0.0.0
                  backup_max_age: 2d
                  dashboard: {listen: 0.0.0.0, port: 8443, tls_cert: /etc/w/c.pem, tls_key: /etc/w/k.pem, username: ops, password: "${env:DASH_PW}"}
                  alerts: {replica_lag_bytes: 64MiB, replica_lag_time: 5m}
                """));
        MonitoringConfig m = c.monitoring();
        assertThat(m.listen()).isEqualTo("0.0.0.0");
        assertThat(m.metricsPort("a")).isEqualTo(9901);
        assertThat(m.metricsPort("b")).isEqualTo(9816);
        assertThat(m.backupMaxAge()).isEqualTo(Duration.ofDays(2));
        assertThat(m.dashboard().port()).isEqualTo(8443);
        assertThat(m.dashboard().tlsKey()).contains(Path.of("/etc/w/k.pem"));
        assertThat(m.dashboard().password().orElseThrow().reveal()).isEqualTo("s3cret");
        assertThat(m.alerts()).isEqualTo(new MonitoringConfig.Alerts(64L << 20, Duration.ofMinutes(5),
                MonitoringConfig.Alerts.DEFAULT.slotRetainedBytes()));

        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write("""
                cluster: c
                nodes: [{name: a, data_directory: /d}]
                repositories: [{type: fs, path: /r}]
                monitoring: {dashboard: {tls_cert: /c.pem}}
                """))).hasMessageContaining("monitoring.dashboard.tls_key: tls_cert and tls_key go together");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "workers: 4|workers: lots|:15: archive.workers: expected a whole number from 1 to 64, got \"lots\"",
            "compression: zstd|compression: brotli|:13: archive.compression: expected one of none, lz4, zstd, got \"brotli\"",
            "compression_level: 6|compression_level: 40|:14: archive.compression_level: expected a whole number from 1 to 19, got \"40\"",
            "timeout: 2m|timeout: soon|:17: archive.timeout: expected a duration such as 500ms, 60s, 5m or 1h, got \"soon\"",
            "port: 5433|port: 99999|:6: nodes[0].port: expected a whole number from 1 to 65535, got \"99999\"",
            "type: fs|type: ftp|:10: repositories[0].type: expected fs or s3, got \"ftp\"",
            "path: /var/lib/walferry/repo|path: relative/repo|:11: repositories[0].path: expected an absolute path, got \"relative/repo\"",
            "    region: us-east-1|    regoin: us-east-1|:4: nodes[0].regoin: unknown key",
            "cluster: main|cluster: 'has space'|:1: cluster: expected a name of letters",
            "    host: 10.0.0.1|    host: [a, b]|:5: nodes[0].host: expected a single value",
    })
    void badValueGivesOneLineWithFileLineAndKey(String from, String to, String expected) throws IOException {
        refusedInOneLine(VALID.replace(from, to), expected);
    }

    private void refusedInOneLine(String yaml, String expected) throws IOException {
        Path file = write(yaml);
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static final String AUX = VALID + """
            aux_interval: 30s
            aux_directories:
              - name: models
                path: /var/lib/postgresql/.cache/huggingface
              - name: extras
                path: /srv/pg-extras
            """;

    @Test
    void auxDirectoriesAreReadInOrderWithTheirInterval() throws IOException {
        WalferryConfig c = new ConfigLoader(Map.of()).load(write(AUX));
        assertThat(c.aux().directories()).containsExactly(
                new AuxConfig.Directory("models", Path.of("/var/lib/postgresql/.cache/huggingface")),
                new AuxConfig.Directory("extras", Path.of("/srv/pg-extras")));
        assertThat(c.aux().interval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.aux().directory("extras")).isPresent();
        WalferryConfig none = new ConfigLoader(Map.of()).load(write(VALID));
        assertThat(none.aux().directories()).isEmpty();
        assertThat(none.aux().interval()).isEqualTo(AuxConfig.DEFAULT_INTERVAL);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "name: extras|name: models|:22: aux_directories[1].name: aux directory name \"models\" is used twice",
            "path: /srv/pg-extras|path: srv/pg-extras|:23: aux_directories[1].path: expected an absolute path, got \"srv/pg-extras\"",
            "path: /srv/pg-extras|path: /var/lib/postgresql/15/main/models|:23: aux_directories[1].path: /var/lib/postgresql/15/main/models "
                    + "overlaps the data directory of node pg1 (/var/lib/postgresql/15/main): an aux directory must lie outside it",
            "path: /srv/pg-extras|path: /var/lib|:23: aux_directories[1].path: /var/lib overlaps the data directory of node pg1",
            "path: /srv/pg-extras|path: /var/spool/walferry/aux|:23: aux_directories[1].path: /var/spool/walferry/aux overlaps archive.spool_directory",
            "path: /srv/pg-extras|path: /var/lib/walferry/repo/x|:23: aux_directories[1].path: /var/lib/walferry/repo/x overlaps repository local",
            "path: /srv/pg-extras|path: /var/lib/postgresql/.cache|:23: aux_directories[1].path: /var/lib/postgresql/.cache overlaps aux directory models (/var/lib/postgresql/.cache/huggingface) on node pg1",
            "path: /srv/pg-extras|path: /|:23: aux_directories[1].path: must be a directory below /, not / itself",
            "path: /srv/pg-extras|path: /srv/pg-extrasNL    mode: 0700|:24: aux_directories[1].mode: unknown key",
            "name: extras|name: 'two words'|:22: aux_directories[1].name: expected a name of letters",
            "aux_interval: 30s|aux_interval: 500ms|:18: aux_interval: must be at least 1s",
            "aux_interval: 30s|aux_interval: often|:18: aux_interval: expected a duration",
    })
    void badAuxDirectoriesGiveOneLineWithFileLineAndKey(String from, String to, String expected) throws IOException {
        Path file = write(AUX.replace(from, to.replace("NL", "\n")));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aNodeMayKeepAnAuxDirectoryElsewhere() throws IOException {
        String yaml = VALID.replace("repositories:", "  - name: pg2\n    data_directory: /var/lib/postgresql/15/second\nrepositories:") + """
                aux_directories:
                  - name: models
                    path: /srv/models
                    node_paths:
                      pg2: /srv/models-pg2
                """;
        WalferryConfig c = new ConfigLoader(Map.of()).load(write(yaml));
        assertThat(c.aux().directoriesOn("pg1")).containsExactly(new AuxConfig.Directory("models", Path.of("/srv/models")));
        assertThat(c.aux().directoriesOn("pg2")).containsExactly(new AuxConfig.Directory("models", Path.of("/srv/models-pg2")));
        Path unknown = write(yaml.replace("pg2: /srv/models-pg2", "pg3: /srv/models-pg3"));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(unknown)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":24: aux_directories[0].node_paths.pg3: unknown key (expected one of: pg1, pg2)");
        Path inData = write(yaml.replace("pg2: /srv/models-pg2", "pg2: /var/lib/postgresql/15/second/models"));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(inData)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":24: aux_directories[0].node_paths.pg2: /var/lib/postgresql/15/second/models overlaps the data "
                        + "directory of node pg2");
    }

    @Test
    void auxDirectoriesMustBeAList() throws IOException {
        Path file = write(VALID + "aux_directories: /var/lib/postgresql/.cache\n");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":18: aux_directories: expected a list");
    }

    private static final String STREAMING = VALID + """
              stream: on
              stream_interval: 500ms
              stream_chunk: 8MiB
              synchronous: on
            """;

    @Test
    void readsTheStreamKeys() throws IOException {
        WalferryConfig c = new ConfigLoader(Map.of()).load(write(STREAMING));
        assertThat(c.archive().stream()).isEqualTo(new ArchiveConfig.Stream(true, Duration.ofMillis(500), 8L << 20, true, Duration.ZERO, ArchiveConfig.WithStandbys.BOTH, 4));
    }

    @Test
    void readsHowManyPiecesMayBeInFlight() throws IOException {
        assertThat(new ConfigLoader(Map.of()).load(write(STREAMING + "  stream_in_flight: 8\n")).archive().stream().inFlight()).isEqualTo(8);
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(STREAMING + "  stream_in_flight: 0\n")))
                .hasMessageContaining("stream_in_flight");
    }

    @Test
    void readsTheSynchronousArchiveKeys() throws IOException {
        WalferryConfig c = new ConfigLoader(Map.of()).load(write(STREAMING + "  synchronous_timeout: 30s\n  synchronous_with_standbys: either\n"));
        assertThat(c.archive().stream().synchronousTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.archive().stream().withStandbys()).isEqualTo(ArchiveConfig.WithStandbys.EITHER);
    }

    @Test
    void badSynchronousArchiveValueGivesOneLine() throws IOException {
        refusedInOneLine(STREAMING + "  synchronous_timeout: 2h\n",
                ":22: archive.synchronous_timeout: expected 0 (commits wait) or a duration up to 1h, got 7200000ms");
        refusedInOneLine(STREAMING + "  synchronous_with_standbys: one\n",
                ":22: archive.synchronous_with_standbys: expected one of both, either, got \"one\"");
        refusedInOneLine(STREAMING.replace("synchronous: on", "synchronous: off") + "  synchronous_timeout: 10s\n",
                ":22: archive.synchronous_timeout: needs synchronous: on");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "stream: on|stream: maybe|:18: archive.stream: expected true or false, got \"maybe\"",
            "stream_interval: 500ms|stream_interval: 2h|:19: archive.stream_interval: expected a duration from 10ms to 1m, got 7200000ms",
            "stream_interval: 500ms|stream_interval: often|:19: archive.stream_interval: expected a duration such as 500ms",
            "stream: on|stream: off|:21: archive.synchronous: needs stream: on",
            "stream_chunk: 8MiB|stream_chunk: 1KiB|:20: archive.stream_chunk: expected a size from 1MiB to 64MiB such as 16MiB, got \"1KiB\"",
    })
    void badStreamValueGivesOneLineWithFileLineAndKey(String from, String to, String expected) throws IOException {
        refusedInOneLine(STREAMING.replace(from, to), expected);
    }

    @Test
    void missingRequiredKeysAndBrokenYaml() throws IOException {
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write("nodes: []\n")))
                .hasMessageContaining("cluster: is required");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write("cluster: a\nnodes: [{name: a, data_directory: /d}]\n")))
                .hasMessageContaining("repositories: is required");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write("cluster: a\n  nodes: - x\n")))
                .hasMessageContaining(":2: not valid YAML");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(VALID + "cluster: again\n")))
                .hasMessageContaining(":18: cluster: given twice");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(tmp.resolve("absent.yaml")))
                .hasMessageContaining("absent.yaml does not exist");
    }

    @Test
    void secretsComeFromEnvironmentOrPrivateFilesAndNeverShow() throws IOException {
        String yaml = VALID + "connection:\n  user: walferry\n  password: ${env:WF_PW}\n  sslmode: verify-full\n  sslrootcert: /etc/ca.pem\n";
        WalferryConfig c = new ConfigLoader(Map.of("WF_PW", "s3cret")).load(write(yaml));
        assertThat(c.connection().password().orElseThrow().reveal()).isEqualTo("s3cret");
        assertThat(c.toString()).doesNotContain("s3cret").contains("env:WF_PW");

        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(yaml)))
                .hasMessageContaining(":20: connection.password: environment variable WF_PW is not set");

        Path secret = tmp.resolve("pw");
        Files.writeString(secret, "fromfile\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        String fileYaml = yaml.replace("${env:WF_PW}", "${file:" + secret + "}");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(fileYaml)))
                .hasMessageContaining("secret file " + secret + " is readable by other users (rw-r--r--): run chmod 600 " + secret);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        assertThat(new ConfigLoader(Map.of()).load(write(fileYaml)).connection().password().orElseThrow().reveal()).isEqualTo("fromfile");
    }

    @Test
    void aSecretFileItsGroupCanReadOrWriteOrAnotherUserOwnsIsRefused() throws IOException {
        Path secret = tmp.resolve("key");
        Files.writeString(secret, "k".repeat(48));
        String yaml = VALID + "connection:\n  password: ${file:" + secret + "}\n";
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        int me = CurrentUser.uid();
        if (me != 0) {
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(yaml)))
                    .hasMessageContaining("is readable by its group (rw-r-----): run chmod 600 " + secret);
        } else {
            // root:postgres 0640 is how an administrator hands a secret to the server's user
            assertThat(new ConfigLoader(Map.of()).load(write(yaml)).connection().password()).isPresent();
        }
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw--w----"));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(yaml)))
                .hasMessageContaining("is writable by its group (rw--w----): run chmod 600 " + secret);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        assertThat(new ConfigLoader(Map.of()).load(write(yaml)).connection().password()).isPresent();
        if (me == 0) { // only root can give a file away
            Files.setAttribute(secret, "unix:uid", 65534);
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(yaml)))
                    .hasMessageContaining("secret file " + secret + " is owned by uid 65534, who could replace it");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(yaml))).as("a group share only from root")
                    .hasMessageContaining("is owned by uid 65534");
        }
    }

    @Test
    void inlinePasswordNeedsAPrivateConfigFile() throws IOException {
        Path file = write(VALID + "connection:\n  password: hunter2\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .hasMessageContaining("connection.password is written inline but the file is readable by other users (rw-r--r--): run chmod 600 " + file)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(new ConfigLoader(Map.of()).load(file).connection().password()).isPresent();
    }

    @Test
    void verifySslModesNeedACertificateAuthority() throws IOException {
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(VALID + "connection:\n  sslmode: verify-ca\n")))
                .hasMessageContaining("connection.sslrootcert: is required with sslmode verify-ca");
    }

    @Test
    void cliPrintsOneLineAndExitsTwo() throws IOException {
        Path file = write(VALID.replace("workers: 4", "workers: -1"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"-c", file.toString(), "info"}, new PrintWriter(out), new PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("walferry: " + file + ":15: archive.workers").doesNotContain("\n")
                .doesNotContain("Exception");

        err.getBuffer().setLength(0);
        code = Main.run(new String[]{"info"}, new PrintWriter(out), new PrintWriter(err), Map.of("WALFERRY_CONFIG", tmp.resolve("nope.yaml").toString()));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("nope.yaml does not exist");

        err.getBuffer().setLength(0);
        code = Main.run(new String[]{"-c", write(VALID).toString(), "--node", "pg9", "agent"}, new PrintWriter(out), new PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("node 'pg9' is not in").contains("use one of: pg1");

        err.getBuffer().setLength(0);
        code = Main.run(new String[]{"no-such-command"}, new PrintWriter(out), new PrintWriter(err), Map.of());
        assertThat(code).isEqualTo(2);
    }

    @Test
    void theExampleFileIsValid() {
        WalferryConfig c = new ConfigLoader(Map.of("WALFERRY_PGPASSWORD", "x")).load(Path.of("examples/walferry.yaml"));
        assertThat(c.nodes()).hasSize(2);
        assertThat(c.connection().sslMode()).contains("verify-full");
        assertThat(c.repositories()).hasSize(2);
        assertThat(c.repositories().get(1)).isInstanceOfSatisfying(S3RepositoryConfig.class,
                r -> assertThat(r.credentials().assumeRole()).isPresent());
    }

    private static final String S3 = """
            cluster: c
            nodes: [{name: a, data_directory: /d}]
            repositories:
              - name: east
                type: s3
                bucket: wal-east
                prefix: /prod/main/
                region: us-east-1
                storage_class: STANDARD_IA
                sse: kms
                sse_kms_key_id: alias/walferry
                part_size: 32MiB
                credentials:
                  access_key_id: ${env:AK}
                  secret_access_key: ${env:SK}
                  role_arn: arn:aws:iam::123456789012:role/walferry-writer
                  external_id: ext-id-value
                encryption:
                  key: ${env:REPO_KEY}
            """;
    private static final Map<String, String> S3_ENV = Map.of("AK", "AKIAEXAMPLE", "SK", "secret-key-value", "EXT", "ext-id-value",
            "REPO_KEY", "0+STWxI4QW1Zr9N45k7d1E9hkHXe6wOCa2Zfhr78UJgU1/ZwoE2jmN1NquwAUj/0");

    @Test
    void anS3RepositoryWithEverySetting() throws IOException {
        S3RepositoryConfig r = (S3RepositoryConfig) new ConfigLoader(S3_ENV).load(write(S3)).repositories().get(0);
        assertThat(r.bucket()).isEqualTo("wal-east");
        assertThat(r.prefix()).isEqualTo("prod/main");
        assertThat(r.sse()).isEqualTo(S3RepositoryConfig.ServerSideEncryption.KMS);
        assertThat(r.kmsKeyId()).contains("alias/walferry");
        assertThat(r.storageClass()).contains("STANDARD_IA");
        assertThat(r.partSize()).isEqualTo(32L << 20);
        assertThat(r.verifyTls()).isTrue();
        assertThat(r.credentials().assumeRole().orElseThrow().sessionName()).isEqualTo("walferry");
        assertThat(r.encryption()).isPresent();
        assertThat(r.toString() + r.describe()).doesNotContain("secret-key-value").doesNotContain("AKIAEXAMPLE").doesNotContain("0+STWxI4QW1Zr9N45k7d1E9hkHXe6wOCa2Zfhr78UJgU1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "region: us-east-1|path_style: false|repositories[0].region: is required for AWS S3",
            "part_size: 32MiB|part_size: 1MiB|repositories[0].part_size: expected a size from 5MiB",
            "bucket: wal-east|bucket: Wal_East|repositories[0].bucket: expected a bucket name",
            "sse: kms|sse: aes256|repositories[0].sse_kms_key_id: is only used with sse: kms",
            "      role_arn: arn:aws:iam::123456789012:role/walferry-writer|      session_name: x|repositories[0].credentials.external_id: is only used with role_arn",
            "      secret_access_key: ${env:SK}|      profile: p|repositories[0].credentials.secret_access_key: is required with access_key_id",
            "      key: ${env:REPO_KEY}|      key: short|repositories[0].encryption.key: must be at least 32 random bytes as base64 or hex",
            "type: s3|type: s4|repositories[0].type: expected fs or s3",
    })
    void badS3SettingsGiveOneLine(String from, String to, String expected) throws IOException {
        Path file = write(S3.replace(from, to));
        assertThatThrownBy(() -> new ConfigLoader(S3_ENV).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void inlineS3KeysNeedAPrivateConfigFile() throws IOException {
        Path file = write(S3.replace("${env:SK}", "inline-secret-value"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> new ConfigLoader(S3_ENV).load(file))
                .hasMessageContaining("repository east has a secret written inline but the file is readable by other users")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("inline-secret-value"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(new ConfigLoader(S3_ENV).load(file).repositories()).hasSize(1);
    }

    private static final String ENCRYPTED = """
            cluster: c
            nodes: [{name: a, data_directory: /d}]
            repositories:
              - type: fs
                path: /r
                encryption:
                  key: ${env:K}
            """;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // 39 characters of base64 are 28 bytes: accepted by their length before, 4 bytes short of a key
            "vq3Z0x8l4Rk2mWc9tYb7NfH1sJd6PaE5uGo0iQ=|this one decodes to 28",
            "0123456789abcdef0123456789abcdef|this one decodes to 16",
            "correct horse battery staple correct horse battery staple|this one is neither",
            "correcthorsebatterystaplecorrecthorsebatterystaple|this one is neither",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|this one is neither (or a repeated pattern)",
            "k2Vh7pQ9xR4tY8uI1oP6aS3dF5gH0jKlZxCvBnM=-0123456789abcdef|this one",
    })
    void anEncryptionKeyOfLessThan32RandomBytesIsRefused(String key, String expected) throws IOException {
        Path file = write(ENCRYPTED);
        assertThatThrownBy(() -> new ConfigLoader(Map.of("K", key)).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file.toString()).hasMessageContaining(":7: repositories[0].encryption.key: must be at least 32 random bytes")
                .hasMessageContaining(expected).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain(key));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0+STWxI4QW1Zr9N45k7d1E9hkHXe6wOCa2Zfhr78UJgU1/ZwoE2jmN1NquwAUj/0",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "Zm9vYmFyLWJhcm5hY2xlLTA5ODc2NTQzMjEtcXdlcnR5dWlvcC1Q_-sdaX",
    })
    void anEncryptionKeyOf32RandomBytesOrMoreIsTaken(String key) throws IOException {
        RepositoryConfig r = new ConfigLoader(Map.of("K", key)).load(write(ENCRYPTED)).repositories().get(0);
        assertThat(r.encryption().orElseThrow().legacyWeakKey()).isFalse();
    }

    @Test
    void aWeakKeyIsTakenOnlyWhenDeclaredLegacy() throws IOException {
        RepositoryConfig r = new ConfigLoader(Map.of("K", "vq3Z0x8l4Rk2mWc9tYb7NfH1sJd6PaE5uGo0iQ="))
                .load(write(ENCRYPTED + "      legacy_weak_key: true\n")).repositories().get(0);
        assertThat(r.encryption().orElseThrow().legacyWeakKey()).isTrue();
    }
}
