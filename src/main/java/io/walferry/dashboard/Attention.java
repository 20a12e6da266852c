package io.walferry.dashboard;

import io.walferry.ha.HaStatus;
import io.walferry.monitor.ClusterStatus;
import io.walferry.monitor.RepositoryState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What in the cluster needs a person's attention, in plain words, for the dashboard's banner; none: it is healthy. */
final class Attention {
    private Attention() {
    }

    static List<String> of(List<ClusterStatus.Node> nodes, List<RepositoryState> repositories, Optional<HaStatus.Seen> ha,
                           Duration backupMaxAge, Instant now) {
        List<String> out = new ArrayList<>();
        for (ClusterStatus.Node n : nodes) {
            if (n.error() != null) {
                out.add(n.name() + " is " + n.state() + ": " + n.error());
            } else if (n.diverged() != null) {
                out.add("replica " + n.name() + " has diverged " + n.diverged());
            }
        }
        List<String> writable = ClusterStatus.writablePrimaries(nodes);
        if (!writable.isEmpty()) {
            out.add(writable.size() + " writable primaries: " + String.join(", ", writable));
        } else if (nodes.stream().noneMatch(n -> Boolean.TRUE.equals(n.writable()))) {
            out.add("no writable primary");
        }
        ha.ifPresent(h -> {
            if (h.view().isEmpty()) {
                out.add("etcd does not answer: " + h.unavailable().orElse(""));
            } else if (h.view().get().leader().isEmpty()) {
                out.add("no HA leader");
            }
        });
        for (RepositoryState r : repositories) {
            if (r.error().isPresent()) {
                out.add("repository " + r.name() + " cannot be read: " + r.error().get());
            } else if (r.newestBackup().isEmpty()) {
                out.add("repository " + r.name() + " has no backup");
            } else if (r.newestBackup().get().stop().plus(backupMaxAge).isBefore(now)) {
                out.add("repository " + r.name() + " has no backup newer than " + backupMaxAge.toString().substring(2).toLowerCase(java.util.Locale.ROOT));
            }
        }
        return out;
    }
}
