package io.walferry.auxdir;

import io.walferry.repository.storage.Storage;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What {@code walferry expire} removes of one aux directory in one repository (pure): the manifests older than the
 * newest {@code keep}, and the objects no kept manifest names that are older than the grace (a younger one may belong
 * to a push whose manifest is not written yet: a push stores its objects before the manifest that names them).
 *
 * @param manifestsRemoved ids of the manifests removed, oldest first
 * @param manifestsKept    ids of the manifests kept, oldest first
 * @param objectsRemoved   the objects removed (their names below the objects directory)
 * @param objectsYoung     how many objects no kept manifest names were left as younger than the grace
 * @param objectsKept      how many objects a kept manifest names
 */
record AuxExpiryPlan(List<String> manifestsRemoved, List<String> manifestsKept, List<Storage.Entry> objectsRemoved, int objectsYoung,
                     int objectsKept) {

    /** The manifests of {@code ids} (oldest first) that stay: the newest {@code keep}. */
    static List<String> kept(List<String> ids, int keep) {
        return List.copyOf(ids.subList(Math.max(0, ids.size() - keep), ids.size()));
    }

    /**
     * @param ids     the stored manifests' ids, oldest first
     * @param named   the addresses the kept manifests name
     * @param objects the stored objects
     */
    static AuxExpiryPlan decide(List<String> ids, int keep, Set<String> named, List<Storage.Entry> objects, Instant now, Duration grace) {
        List<String> kept = kept(ids, keep);
        List<String> removed = List.copyOf(ids.subList(0, ids.size() - kept.size()));
        Instant youngFrom = now.minus(grace);
        List<Storage.Entry> unnamed = objects.stream().filter(o -> !o.directory() && !named.contains(o.name())).toList();
        List<Storage.Entry> old = unnamed.stream().filter(o -> o.modified() != null && o.modified().isBefore(youngFrom)).toList();
        return new AuxExpiryPlan(removed, kept, old, unnamed.size() - old.size(), (int) objects.stream()
                .filter(o -> !o.directory() && named.contains(o.name())).count());
    }
}
