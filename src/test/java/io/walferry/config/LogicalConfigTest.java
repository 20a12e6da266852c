package io.walferry.config;

import io.walferry.config.LogicalStreamConfig.ApplyMode;
import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Service;
import io.walferry.config.LogicalStreamConfig.Tables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The logical: section: every key read and checked, every mistake one line with file, line and key. */
class LogicalConfigTest {
    @TempDir
    Path tmp;

    private static final String CLUSTER = """
            cluster: main
            nodes:
              - name: pg1
                host: 10.0.0.1
                port: 5433
                data_directory: /var/lib/postgresql/15/main
            repositories:
              - type: fs
                path: /var/lib/walferry/repo
            connection:
              user: walferry
              database: postgres
              sslmode: require
            """;

    private Path write(String logical) throws IOException {
        Path p = tmp.resolve("walferry.yaml");
        Files.writeString(p, CLUSTER + logical);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    private WalferryConfig load(String logical) throws IOException {
        return new ConfigLoader(Map.of("TARGET_PW", "s3cret")).load(write(logical));
    }

    @Test
    void readsANodeSourceAndAnExternalTarget() throws IOException {
        WalferryConfig c = load("""
                logical:
                  - name: orders-to-rds
                    source:
                      node: pg1
                      database: shop
                    target:
                      host: shop.abc.us-east-1.rds.amazonaws.com
                      database: shop
                      user: app_writer
                      password: ${env:TARGET_PW}
                      sslmode: verify-full
                      sslrootcert: /etc/walferry/rds-ca.pem
                      service: rds
                    tables: [public.orders, sales.items, customers]
                    copy_jobs: 8
                    apply_commit: sync
                    apply_sessions: 4
                """);
        LogicalStreamConfig l = c.logicalStream("orders-to-rds");
        assertThat(l.source().node()).contains("pg1");
        assertThat(l.source().host()).isEqualTo("10.0.0.1");
        assertThat(l.source().port()).isEqualTo(5433);
        assertThat(l.source().connection().user()).isEqualTo("walferry");
        assertThat(l.source().connection().database()).isEqualTo("shop");
        assertThat(l.source().connection().sslMode()).contains("require");
        assertThat(l.target().node()).isEmpty();
        assertThat(l.target().port()).isEqualTo(5432);
        assertThat(l.target().connection().user()).isEqualTo("app_writer");
        assertThat(l.target().connection().password().orElseThrow().reveal()).isEqualTo("s3cret");
        assertThat(l.target().connection().sslRootCert()).contains(Path.of("/etc/walferry/rds-ca.pem"));
        assertThat(l.target().service()).isEqualTo(Service.RDS);
        assertThat(l.tables()).isEqualTo(new Tables.Listed(List.of(new QualifiedName("public", "orders"),
                new QualifiedName("sales", "items"), new QualifiedName("public", "customers"))));
        assertThat(l.slot()).isEqualTo("walferry_orders_to_rds");
        assertThat(l.publication()).isEqualTo("walferry_orders_to_rds");
        assertThat(l.mode()).isEqualTo(ApplyMode.WALFERRY);
        assertThat(l.copyJobs()).isEqualTo(8);
        assertThat(l.run()).isEqualTo(LogicalStreamConfig.RunBy.SERVICE);
        assertThat(l.applyCommit()).isEqualTo(LogicalStreamConfig.ApplyCommit.SYNC);
        assertThat(l.applySessions()).isEqualTo(4);
        assertThat(l.target().label()).isEqualTo("shop.abc.us-east-1.rds.amazonaws.com:5432/shop");
    }

    @Test
    void defaultsAndTheOtherForms() throws IOException {
        WalferryConfig c = load("""
                logical:
                  - name: a
                    source: {host: src.example.com, database: app, user: repl, service: crunchy_bridge}
                    target: {host: 127.0.0.1, port: 6432, database: app, user: app}
                  - name: b
                    source: {node: pg1}
                    target: {host: 127.0.0.1, database: app, user: app}
                    tables: {schema: sales}
                    slot: b_slot
                    publication: b_pub
                    mode: subscription
                    run: agent
                  - name: c
                    source: {node: pg1}
                    target: {host: 127.0.0.1, database: other, user: app}
                    tables: {schemas: [sales, billing]}
                  - name: d
                    source: {node: pg1, database: x}
                    target: {host: 127.0.0.1, database: x, user: app}
                    tables: all
                """);
        LogicalStreamConfig a = c.logicalStream("a");
        assertThat(c.logicalStream("b").run()).isEqualTo(LogicalStreamConfig.RunBy.AGENT);
        assertThat(a.tables()).isEqualTo(new Tables.All());
        assertThat(a.copyJobs()).isEqualTo(4);
        assertThat(a.applyCommit()).isEqualTo(LogicalStreamConfig.ApplyCommit.ASYNC);
        assertThat(a.applySessions()).isEqualTo(1);
        assertThat(a.source().service()).isEqualTo(Service.CRUNCHY_BRIDGE);
        assertThat(a.source().connection().connectTimeout()).hasSeconds(10);
        LogicalStreamConfig b = c.logicalStream("b");
        assertThat(b.source().connection().database()).isEqualTo("postgres");
        assertThat(b.tables()).isEqualTo(new Tables.Schemas(List.of("sales")));
        assertThat(b.slot()).isEqualTo("b_slot");
        assertThat(b.publication()).isEqualTo("b_pub");
        assertThat(b.mode()).isEqualTo(ApplyMode.SUBSCRIPTION);
        assertThat(c.logicalStream("c").tables()).isEqualTo(new Tables.Schemas(List.of("sales", "billing")));
        assertThat(c.logicalStream("d").tables()).isEqualTo(new Tables.All());
        assertThatThrownBy(() -> c.logicalStream("zz")).hasMessageContaining("no logical stream 'zz'")
                .extracting(e -> ((io.walferry.failure.WalferryException) e).hint()).isEqualTo("use one of: a, b, c, d");
    }

    @Test
    void noSectionIsNoStream() throws IOException {
        assertThat(load("").logical()).isEmpty();
        assertThat(load("logical:\n").logical()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // the line of the value, the key, what is said
            "source: {node: pg9}|16|logical[0].source.node|no node named \"pg9\" (one of: pg1)",
            "source: {node: pg1, host: x}|16|logical[0].source.host|comes from node pg1 and the connection: section",
            "source: {node: pg1, sslmode: disable}|16|logical[0].source.sslmode|with node: only database may be set",
            "source: {host: h, database: d}|16|logical[0].source.user|is required",
            "source: {host: h, user: u}|16|logical[0].source.database|is required",
            "source: {host: h, user: u, database: d, port: 0}|16|logical[0].source.port|expected a whole number from 1 to 65535",
            "source: {host: h, user: u, database: d, service: heroku}|16|logical[0].source.service|expected one of self_managed, rds, aurora",
            "source: {host: h, user: u, database: d, sslmode: verify-full}|16|logical[0].source.sslrootcert|is required with sslmode verify-full",
            "source: {host: h, user: u, database: d, password: '${env:NOPE}'}|16|logical[0].source.password|NOPE",
            "source: {host: h, user: u, database: d, colour: red}|16|logical[0].source.colour|unknown key",
            "source: {node: pg1, database: copy}|17|logical[0].target|is the source database itself",
            "tables: some|18|logical[0].tables|expected all, {schemas: [NAME, ...]} or a list of tables",
            "tables: [public.orders, 'a b']|18|logical[0].tables[1]|expected a table as SCHEMA.TABLE or TABLE",
            "tables: [orders, public.orders]|18|logical[0].tables|lists public.orders twice",
            "tables: {schema: sales, schemas: [x]}|18|logical[0].tables.schemas|not both",
            "tables: {schema: 'sa les'}|18|logical[0].tables.schema|expected a schema name",
            "tables: {}|18|logical[0].tables.schemas|is required",
            "slot: My-Slot|18|logical[0].slot|expected at most 63 characters: letters a-z, digits and '_', got \"My-Slot\"",
            "publication: 9pub|18|logical[0].publication|expected at most 63 characters",
            "mode: native|18|logical[0].mode|expected one of walferry, subscription, got \"native\"",
            "copy_jobs: 0|18|logical[0].copy_jobs|expected a whole number from 1 to 64",
            "run: elsewhere|18|logical[0].run|expected one of service, agent, got \"elsewhere\"",
            "apply_commit: later|18|logical[0].apply_commit|expected one of async, sync, got \"later\"",
            "apply_sessions: 0|18|logical[0].apply_sessions|expected a whole number from 1 to 32",
            "apply: fast|18|logical[0].apply|unknown key (expected one of: apply_commit, apply_sessions, copy_jobs, mode, name, publication, run, slot, source, tables, target)",
    })
    void everyMistakeIsOneLineWithItsPlace(String entry, int line, String key, String problem) throws IOException {
        // the stream starts at line 15 of the file; its source on 16, target on 17; an extra key on 18
        String source = entry.startsWith("source:") ? entry : "source: {node: pg1, database: app}";
        String extra = entry.startsWith("source:") ? "" : "    " + entry + "\n";
        Path file = write("""
                logical:
                  - name: s
                    %s
                    target: {host: 10.0.0.1, port: 5433, database: copy, user: app}
                %s""".formatted(source, extra));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":" + line + ": " + key + ": ")
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void onlyAStreamFromANodeRunsInTheAgent() {
        assertThatThrownBy(() -> load("""
                logical:
                  - {name: s, source: {host: h, database: a, user: u}, target: {host: t, database: a, user: u}, run: agent}
                """)).hasMessageContaining(":15: logical[0].run: agent runs a stream whose source is a node of this cluster")
                .hasMessageContaining("walferry logical run s");
    }

    @Test
    void streamsAreNamedOnceAndASlotFeedsOneStream() throws IOException {
        assertThatThrownBy(() -> load("""
                logical:
                  - {name: s, source: {node: pg1}, target: {host: t, database: a, user: u}}
                  - {name: s, source: {node: pg1}, target: {host: t, database: b, user: u}}
                """)).hasMessageContaining(":16: logical[1].name: logical stream name \"s\" is used twice");
        assertThatThrownBy(() -> load("""
                logical:
                  - {name: s, source: {node: pg1}, target: {host: t, database: a, user: u}, slot: one}
                  - {name: t, source: {node: pg1}, target: {host: t, database: b, user: u}, slot: one}
                """)).hasMessageContaining(":16: logical[1].slot: stream s uses slot one on the same source");
        assertThatThrownBy(() -> load("""
                logical:
                  - {name: s, source: {node: pg1}, target: {node: pg1}}
                """)).hasMessageContaining("logical[0].target.node: the target is a server outside the cluster");
        assertThatThrownBy(() -> load("""
                logical:
                  - {name: s, source: {node: pg1}}
                """)).hasMessageContaining("logical[0].target: is required: host, port, database and user");
        assertThatThrownBy(() -> load("""
                logical:
                  - name: a-long-stream-name-that-makes-the-default-slot-name-too-long
                    source: {node: pg1}
                    target: {host: t, database: a, user: u}
                """)).hasMessageContaining("logical[0].name: the default slot name walferry_a_long_stream")
                .hasMessageContaining("set slot: to a shorter one");
    }

    @Test
    void anInlinePasswordNeedsAPrivateFile() throws IOException {
        Path file = write("""
                logical:
                  - {name: s, source: {node: pg1}, target: {host: t, database: a, user: u, password: hunter2}}
                """);
        assertThat(new ConfigLoader(Map.of()).load(file).logicalStream("s").target().connection().password()).isPresent();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .hasMessageContaining("logical stream s has a password written inline but the file")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }
}
