package io.walferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Monitoring (the {@code monitoring:} section and each node's {@code metrics_port}): where every agent serves
 * {@code /metrics}, and how {@code walferry dashboard} serves its page. See docs/monitoring.md.
 *
 * @param listen       the address every agent's HTTP server binds (loopback unless configured)
 * @param metricsPorts each node's agent's port, by node name (absent: {@link #DEFAULT_METRICS_PORT})
 * @param backupMaxAge a repository whose newest backup is older than this needs attention (alert rules, dashboard)
 * @param dashboard    walferry dashboard's server
 * @param alerts       the thresholds of the rules walferry alert-rules prints
 */
public record MonitoringConfig(String listen, Map<String, Integer> metricsPorts, Duration backupMaxAge, Dashboard dashboard,
                               Alerts alerts) {
    public static final int DEFAULT_METRICS_PORT = 9816;
    public static final int DEFAULT_DASHBOARD_PORT = 9817;
    public static final String LOOPBACK = "127.0.0.1";

    public MonitoringConfig {
        metricsPorts = Map.copyOf(metricsPorts);
    }

    /**
     * walferry dashboard's server: read-only; TLS when a certificate and key are given; HTTP basic authentication
     * when a user name and password are.
     */
    public record Dashboard(String listen, int port, Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<String> username,
                            Optional<Secret> password) {
        public static final Dashboard DEFAULT = new Dashboard(LOOPBACK, DEFAULT_DASHBOARD_PORT, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /**
     * The thresholds of walferry alert-rules: a replica alerts when it is both {@code replicaLagBytes} and
     * {@code replicaLagTime} behind (a burst of writes alone does not page); a slot when it holds
     * {@code slotRetainedBytes} of WAL back.
     */
    public record Alerts(long replicaLagBytes, Duration replicaLagTime, long slotRetainedBytes) {
        public static final Alerts DEFAULT = new Alerts(16L << 20, Duration.ofMinutes(1), 10L << 30);
    }

    public static MonitoringConfig defaults(Map<String, Integer> metricsPorts) {
        return new MonitoringConfig(LOOPBACK, metricsPorts, Duration.ofHours(26), Dashboard.DEFAULT, Alerts.DEFAULT);
    }

    public int metricsPort(String node) {
        return metricsPorts.getOrDefault(node, DEFAULT_METRICS_PORT);
    }
}
