package io.walferry.monitor;

import io.walferry.config.MonitoringConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Prometheus alerting rules over the agents' metrics (walferry alert-rules): the bundled rules file with the thresholds
 * of {@code monitoring.alerts} and {@code monitoring.backup_max_age} filled in. See docs/monitoring.md.
 */
public final class AlertRules {
    private static final String TEMPLATE = "alert-rules.yml";

    private AlertRules() {
    }

    /** The rules file, as YAML. */
    public static String render(MonitoringConfig config) {
        MonitoringConfig.Alerts a = config.alerts();
        Duration backupMaxAge = config.backupMaxAge();
        String text;
        try (InputStream in = AlertRules.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException(TEMPLATE + " is missing from the jar");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> values = Map.of("lag_bytes", Long.toString(a.replicaLagBytes()),
                "lag_seconds", Long.toString(a.replicaLagTime().toSeconds()), "slot_bytes", Long.toString(a.slotRetainedBytes()),
                "backup_max_age_seconds", Long.toString(backupMaxAge.toSeconds()),
                "backup_max_age", backupMaxAge.toString().substring(2).toLowerCase(Locale.ROOT));
        for (Map.Entry<String, String> e : values.entrySet()) {
            text = text.replace("${" + e.getKey() + "}", e.getValue());
        }
        return text;
    }
}
