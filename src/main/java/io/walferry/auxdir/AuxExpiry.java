package io.walferry.auxdir;

import io.walferry.failure.WalferryException;
import io.walferry.repository.Repository;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code walferry expire} for the aux directories of one repository: removes each directory's manifests beyond the
 * newest few, then the objects no kept manifest names once they are older than a grace ({@link AuxExpiryPlan}
 * decides). A kept manifest that cannot be read keeps every object of its directory. See docs/repository-format.md.
 */
public final class AuxExpiry {
    private static final Logger LOG = LoggerFactory.getLogger(AuxExpiry.class);
    /** Manifests kept by default: a pull that is reading an older one still finds its objects. */
    public static final int DEFAULT_KEEP_MANIFESTS = 3;
    /** Unnamed objects younger than this are kept by default: a push stores its objects before the manifest naming them. */
    public static final Duration DEFAULT_GRACE = Duration.ofHours(48);
    private static final Pattern ADDRESS = Pattern.compile("[0-9a-f]{64}");

    /** What was (or, in a dry run, would be) removed of one aux directory; {@code problems}: one line each. */
    public record Result(String name, List<String> manifestsRemoved, int manifestsKept, int objectsRemoved, long bytesRemoved,
                         int objectsYoung, int objectsKept, List<String> problems) {
    }

    private final Repository repository;

    public AuxExpiry(Repository repository) {
        this.repository = repository;
    }

    /** Expires every aux directory the repository holds (configured or not). */
    public List<Result> apply(int keepManifests, Duration grace, Instant now, boolean dryRun) {
        List<Result> out = new ArrayList<>();
        for (Storage.Entry e : repository.list(RepositoryLayout.AUX)) {
            if (e.directory()) {
                out.add(expire(e.name(), keepManifests, grace, now, dryRun));
            }
        }
        return out;
    }

    private Result expire(String name, int keep, Duration grace, Instant now, boolean dryRun) {
        AuxStore store = new AuxStore(repository, name, new ConcurrentHashMap<>());
        List<String> problems = new ArrayList<>();
        List<String> ids = store.manifestIds();
        Set<String> named;
        try {
            named = named(store, AuxExpiryPlan.kept(ids, keep));
        } catch (WalferryException ex) {
            problems.add("aux directory " + name + " in repository " + repository.name() + ": " + ex.oneLine()
                    + "; nothing of it removed (hint: walferry verify names what is wrong)");
            return new Result(name, List.of(), ids.size(), 0, 0, 0, 0, problems);
        }
        List<Storage.Entry> objects = repository.list(RepositoryLayout.auxObjects(name)).stream()
                .filter(o -> !o.directory() && ADDRESS.matcher(o.name()).matches()).toList();
        AuxExpiryPlan plan = AuxExpiryPlan.decide(ids, keep, named, objects, now, grace);
        List<Storage.Entry> removed = plan.objectsRemoved();
        if (!dryRun) {
            // a manifest a push wrote since the listing keeps what it names
            Set<String> seen = new HashSet<>(ids);
            named.addAll(named(store, newSince(store, seen)));
            removed = removed.stream().filter(o -> !named.contains(o.name())).toList();
            for (String id : plan.manifestsRemoved()) {
                repository.delete(RepositoryLayout.auxManifest(name, id));
            }
            for (Storage.Entry o : removed) {
                repository.delete(RepositoryLayout.auxObject(name, o.name()));
            }
            // a push that found an object stored just before it was removed names it in a manifest written meanwhile
            Set<String> gone = new HashSet<>(removed.stream().map(Storage.Entry::name).toList());
            for (String id : newSince(store, seen)) {
                Set<String> needs = named(store, List.of(id));
                needs.retainAll(gone);
                if (!needs.isEmpty()) {
                    problems.add("aux directory " + name + " in repository " + repository.name() + ": manifest " + id + ", written while expire ran, "
                            + "names " + needs.size() + " objects expire removed (hint: run walferry aux sync --push --recheck on the primary)");
                }
            }
            LOG.info("aux directory {} in repository {}: removed {} manifests and {} objects", name, repository.name(),
                    plan.manifestsRemoved().size(), removed.size());
        }
        return new Result(name, plan.manifestsRemoved(), plan.manifestsKept().size(), removed.size(),
                removed.stream().mapToLong(Storage.Entry::size).sum(), plan.objectsYoung(), plan.objectsKept(), problems);
    }

    /** The ids of the manifests stored now that are not in {@code seen}; adds them to it. */
    private static List<String> newSince(AuxStore store, Set<String> seen) {
        List<String> fresh = store.manifestIds().stream().filter(id -> !seen.contains(id)).toList();
        seen.addAll(fresh);
        return fresh;
    }

    /** The addresses of the objects manifests {@code ids} name (one removed since it was listed names none). */
    private static Set<String> named(AuxStore store, List<String> ids) {
        Set<String> out = new HashSet<>();
        for (String id : ids) {
            store.read(id).ifPresent(m -> AuxPlan.chunks(m.content()).forEach(sha256 -> out.add(store.address(sha256))));
        }
        return out;
    }
}
