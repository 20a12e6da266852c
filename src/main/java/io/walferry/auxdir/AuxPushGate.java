package io.walferry.auxdir;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether a node may push its aux directory over a manifest: only a tree it knows to be complete is published, or a
 * replica whose pull failed would, once promoted, publish its empty or partial tree, and every other replica would
 * remove what its last pull placed. A node is in step with a manifest it wrote, or one it pulled completely (or one
 * older than that); with any other it must pull first.
 */
final class AuxPushGate {
    private AuxPushGate() {
    }

    /** True if {@code node}, whose last complete pull followed manifest {@code completePull}, may push over {@code newest}. */
    static boolean inStep(Optional<AuxManifest> newest, String node, Optional<String> completePull) {
        return newest.isEmpty() || newest.get().node().equals(node)
                || completePull.filter(id -> id.compareTo(newest.get().id()) >= 0).isPresent();
    }

    /**
     * Why a push of {@code recorded} over {@code newest} is refused, if it is: it would drop more than half of the files
     * of a manifest that {@code node} is not in step with (a safety brake behind {@link #inStep}: such a push follows a
     * pull that did not reach this node).
     */
    static Optional<String> brake(AuxManifest newest, AuxContent recorded, String node, Optional<String> completePull) {
        if (inStep(Optional.of(newest), node, completePull) || newest.files().isEmpty()) {
            return Optional.empty();
        }
        Set<String> kept = recorded.files().stream().map(AuxContent.File::path).collect(Collectors.toSet());
        long dropped = newest.files().stream().filter(f -> !kept.contains(f.path())).count();
        if (dropped * 2 <= newest.files().size()) {
            return Optional.empty();
        }
        return Optional.of("it would drop " + dropped + " of the " + newest.files().size() + " files of manifest " + newest.id()
                + " (written by node " + newest.node() + "), which node " + node + " never pulled completely");
    }
}
