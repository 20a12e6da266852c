package io.walferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code ha:} section: every key read, the defaults, and each mistake one line naming the file, line and key. */
class HaConfigLoaderTest {
    @TempDir
    Path tmp;

    private static final String VALID = """
            cluster: main
            nodes:
              - name: pg1
                data_directory: /d1
                failover_priority: 5
                api_port: 8101
              - name: pg2
                data_directory: /d2
                nofailover: true
              - name: pg3
                data_directory: /d3
                promote_from_archive: true
            repositories: [{type: fs, path: /r}]
            ha:
              etcd:
                endpoints: [http://127.0.0.1:2379, http://127.0.0.1:2380]
              ttl: 20s
              loop_wait: 2s
              retry_timeout: 5s
              maximum_lag_on_failover: 16MB
              synchronous: quorum
              synchronous_count: 2
              synchronous_strict: false
              failsafe: false
            """;

    private HaConfig load(String yaml) throws IOException {
        Path p = tmp.resolve("walferry.yaml");
        Files.writeString(p, yaml);
        return new ConfigLoader(Map.of()).load(p).ha().orElseThrow();
    }

    @Test
    void readsEveryKey() throws IOException {
        HaConfig ha = load(VALID);
        assertThat(ha.etcd().endpoints()).containsExactly(URI.create("http://127.0.0.1:2379"), URI.create("http://127.0.0.1:2380"));
        assertThat(List.of(ha.ttl(), ha.loopWait(), ha.retryTimeout()))
                .containsExactly(Duration.ofSeconds(20), Duration.ofSeconds(2), Duration.ofSeconds(5));
        assertThat(ha.maximumLagOnFailover()).isEqualTo(16L << 20);
        assertThat(ha.synchronous()).isEqualTo(HaConfig.Synchronous.QUORUM);
        assertThat(ha.synchronousCount()).isEqualTo(2);
        assertThat(ha.synchronousStrict()).isFalse();
        assertThat(ha.failsafe()).isFalse();
        assertThat(ha.member("pg1")).isEqualTo(new HaConfig.Member(5, false, false, 8101));
        assertThat(ha.member("pg2").noFailover()).isTrue();
        assertThat(ha.member("pg3").promoteFromArchive()).isTrue();
    }

    @Test
    void defaultsAreSafe() throws IOException {
        HaConfig ha = load(VALID.substring(0, VALID.indexOf("  ttl:")));
        assertThat(List.of(ha.ttl(), ha.loopWait(), ha.retryTimeout()))
                .containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10));
        assertThat(ha.synchronous()).isEqualTo(HaConfig.Synchronous.OFF);
        assertThat(ha.synchronousStrict()).as("commits wait rather than go on unprotected").isTrue();
        assertThat(ha.failsafe()).isTrue();
        assertThat(ha.primaryStartTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(ha.api().listen()).isEqualTo("127.0.0.1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "  ttl: 20s|  ttl: 6s|:17: ha.ttl: loop_wait + 2 * retry_timeout (12.0s) must be at most ttl (6s)",
            "  loop_wait: 2s|  loop_wait: 10ms|:18: ha.loop_wait: too short",
            "  synchronous: quorum|  synchronous: always|:21: ha.synchronous: expected one of off, on, quorum, got \"always\"",
            "  synchronous_count: 2|  synchronous_count: 3|:22: ha.synchronous_count: expected a whole number from 1 to 2, got \"3\"",
            "  synchronous_strict: false|  synchronous_strict: maybe|:23: ha.synchronous_strict: expected true or false",
            "    api_port: 8101|    api_port: 0|:6: nodes[0].api_port: expected a whole number from 1 to 65535",
            "  failsafe: false|  failsafe: false\\n  lease: 5s|:25: ha.lease: unknown key",
    })
    void aMistakeIsOneLineWithFileLineAndKey(String from, String to, String expected) throws IOException {
        String yaml = VALID.replace(from, to.replace("\\n", "\n"));
        assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aClusterWhereNoNodeMayBePromotedIsRefused() throws IOException {
        String yaml = VALID.replace("failover_priority: 5", "nofailover: true").replace("promote_from_archive: true", "nofailover: true");
        assertThatThrownBy(() -> load(yaml)).hasMessageContaining("every node has nofailover: true");
    }
}
