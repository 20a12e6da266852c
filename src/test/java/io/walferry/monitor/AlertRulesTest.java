package io.walferry.monitor;

import io.walferry.config.MonitoringConfig;
import io.walferry.testing.PrometheusServer;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The rules walferry alert-rules prints pass promtool's checks and its unit tests on recorded series. */
class AlertRulesTest {
    @Test
    void theRulesPassPromtoolsTestsOnRecordedSeries() throws IOException {
        Path dir = TempDirs.create("wf-alert-rules-");
        try {
            String rules = AlertRules.render(MonitoringConfig.defaults(Map.of()));
            Files.writeString(dir.resolve("alert-rules.yml"), rules);
            try (InputStream in = AlertRulesTest.class.getResourceAsStream("/monitoring/alert-rules-test.yml")) {
                Files.write(dir.resolve("alert-rules-test.yml"), in.readAllBytes());
            }
            Result check = PrometheusServer.promtool(null, "check", "rules", dir.resolve("alert-rules.yml").toString());
            assertThat(check.exitCode()).as(check.out()).isZero();
            assertThat(check.out()).contains("SUCCESS: " + (rules.split("- alert: ", -1).length - 1) + " rules found");
            assertThat(rules).contains("- alert: WalferryLogicalStreamBehind").contains("- alert: WalferryLogicalStreamStopped")
                    .contains("- alert: WalferryWalStreamNotRunning").contains("- alert: WalferryWalStreamBehind")
                    .contains("- alert: WalferryWalStreamLagging");
            Result test = PrometheusServer.promtool(null, "test", "rules", dir.resolve("alert-rules-test.yml").toString());
            assertThat(test.exitCode()).as(test.out()).isZero();
            assertThat(test.out()).contains("SUCCESS");
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void theThresholdsComeFromTheConfiguration() {
        MonitoringConfig m = new MonitoringConfig("127.0.0.1", Map.of(), Duration.ofDays(2), MonitoringConfig.Dashboard.DEFAULT,
                new MonitoringConfig.Alerts(1L << 30, Duration.ofMinutes(5), 1L << 20));
        String rules = AlertRules.render(m);
        assertThat(rules).contains("walferry_replica_lag_seconds > 300 and walferry_replica_lag_bytes > 1073741824")
                .contains("walferry_slot_retained_wal_bytes > 1048576")
                .contains("(walferry_repository_newest_backup_timestamp_seconds) > 172800")
                .contains("no backup newer than 48h")
                .doesNotContain("${");
    }

    @Test
    void theDocsShipTheDefaultRules() throws IOException {
        assertThat(Files.readString(Path.of("docs/alert-rules.yml"))).isEqualTo(AlertRules.render(MonitoringConfig.defaults(Map.of())));
    }
}
