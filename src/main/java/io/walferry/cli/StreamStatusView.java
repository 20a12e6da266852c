package io.walferry.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walferry.logical.StreamStatus;
import io.walferry.postgres.Lsn;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Logical streams as {@code walferry status} and {@code walferry logical status} show them: a table, or JSON. */
final class StreamStatusView {
    private StreamStatusView() {
    }

    static ObjectNode json(StreamStatus s) {
        ObjectNode o = Output.object().put("kind", "logical_stream").put("stream", s.stream()).put("source", s.source())
                .put("target", s.target()).put("phase", s.phase().orElse(null)).put("running", s.running())
                .put("applier", s.applier().orElse(null)).put("source_lsn", lsn(s.sourceLsn())).put("confirmed_lsn", lsn(s.confirmedLsn()))
                .put("applied_lsn", lsn(s.appliedLsn())).put("slot_lag_bytes", s.behindBytes().orElse(null))
                .put("retained_bytes", s.retainedBytes().orElse(null)).put("safe_wal_size", s.safeWalSize().orElse(null))
                .put("wal_status", s.walStatus().orElse(null)).put("apply_lag_seconds", s.applyLagSeconds().orElse(null))
                .put("rows_per_second", s.rowsPerSecond()).put("transactions_per_second", s.transactionsPerSecond())
                .put("transactions", s.transactions()).put("rows", s.rows()).put("last_error", s.lastError().orElse(null))
                .put("source_error", s.sourceError().orElse(null)).put("target_error", s.targetError().orElse(null))
                .put("healthy", !s.unhealthy());
        s.subscription().ifPresent(name -> {
            ObjectNode sub = o.putObject("subscription").put("name", name).put("exists", s.subscriptionState().isPresent());
            s.subscriptionState().ifPresent(st -> {
                sub.put("enabled", st.enabled()).put("worker_pid", st.workerPid().orElse(null))
                        .put("received_lsn", lsn(st.receivedLsn())).put("latest_end_lsn", lsn(st.latestEndLsn()))
                        .put("last_message_seconds_ago", st.receiptAgeSeconds().orElse(null))
                        .put("apply_errors", st.applyErrors().orElse(null)).put("sync_errors", st.syncErrors().orElse(null));
                ObjectNode tables = sub.putObject("tables");
                st.tables().forEach((code, n) -> tables.put(StreamStatus.tableState(code), n));
            });
        });
        return o;
    }

    static void render(PrintWriter out, List<StreamStatus> streams) {
        List<List<String>> rows = new ArrayList<>();
        for (StreamStatus s : streams) {
            rows.add(List.of(s.stream(), s.phase().orElse("-"), s.running() ? "yes" : "no", s.behindBytes().map(Output::bytes).orElse("-"),
                    s.retainedBytes().map(Output::bytes).orElse("-"), s.safeWalSize().map(Output::bytes).orElse("unlimited"),
                    s.applyLagSeconds().map(l -> String.format("%.1f s", l)).orElse("-"), String.format("%.0f", s.rowsPerSecond()),
                    String.format("%.0f", s.transactionsPerSecond()), s.appliedLsn().map(Lsn::toString).orElse("-")));
        }
        Output.table(out, "", List.of("stream", "phase", "running", "slot lag", "retained", "safe wal", "apply lag", "rows/s", "tx/s",
                "applied"), rows);
        for (StreamStatus s : streams) {
            if (s.running()) {
                s.applier().ifPresent(a -> out.printf("stream %s: applied by %s from %s%n", s.stream(), a, s.source()));
            }
            s.subscriptionState().ifPresent(st -> out.printf("stream %s: subscription %s on the target, tables: %s%n", s.stream(),
                    s.subscription().orElseThrow(), st.tables().isEmpty() ? "none" : String.join(", ", st.tables().entrySet().stream()
                            .map(e -> e.getValue() + " " + StreamStatus.tableState(e.getKey())).toList())));
            s.sourceError().ifPresent(e -> out.printf("stream %s: source: %s%n", s.stream(), e));
            s.targetError().ifPresent(e -> out.printf("stream %s: target: %s%n", s.stream(), e));
            s.lastError().ifPresent(e -> out.printf("stream %s: last error: %s%n", s.stream(), e));
            if (s.walStatus().map("lost"::equals).orElse(false)) {
                out.printf("stream %s: its slot is LOST (max_slot_wal_keep_size): walferry logical resync %s%n", s.stream(), s.stream());
            }
        }
    }

    private static String lsn(Optional<Lsn> l) {
        return l.map(Lsn::toString).orElse(null);
    }
}
