package io.walferry.auxdir;

import io.walferry.config.AuxConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ServerInfo;
import io.walferry.repository.Repository;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.storage.PrivateFiles;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Keeps a node's aux directories (aux_directories) and the repositories in step: {@link #push} on the primary stores
 * what changed and a new manifest in every repository; {@link #pull} on a replica makes the directory hold what the
 * newest manifest of any repository lists. One sync of a directory runs at a time on a node (a lock in its spool,
 * where the index of hashed files is kept too). See docs/ha.md and docs/repository-format.md.
 */
public final class AuxSync {
    /** Told of the bytes uploaded or written so far, of all that this sync moves. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> { };

        void copied(long done, long total);
    }

    /** Something in the directory that is not stored, and why. */
    public record Skipped(String path, String reason) {
    }

    /** Something that went wrong, as one line; the sync went on with the rest. */
    public record Problem(Failure kind, String message) {
    }

    /** What a sync of one directory did. */
    public sealed interface Outcome permits Pushed, Pulled {
        String name();

        Path path();

        List<Skipped> skipped();

        List<Problem> problems();
    }

    /** A push into one repository: the newest manifest there afterwards, and whether this push wrote it. */
    public record RepositoryPush(String repository, Optional<String> manifest, boolean written, int objectsStored, long bytesStored) {
    }

    /**
     * A push: what the directory holds ({@code present} false: it does not exist here, and nothing was pushed), and what
     * each repository received (a repository that failed is a problem instead); {@code withheld}: why nothing was pushed
     * at all, this node not knowing its directory to be complete.
     */
    public record Pushed(String name, Path path, boolean present, int files, long bytes, List<RepositoryPush> repositories,
                         List<Skipped> skipped, List<Problem> problems, Optional<String> withheld) implements Outcome {
        static Pushed withheld(AuxConfig.Directory d, String why, List<Problem> problems) {
            return new Pushed(d.name(), d.path(), Files.isDirectory(d.path()), 0, 0, List.of(), List.of(), problems, Optional.of(why));
        }
    }

    /**
     * A pull: the manifest followed (none: no repository holds one yet) and where it was found, the files it lists,
     * and what changed here.
     */
    public record Pulled(String name, Path path, Optional<String> manifest, Optional<String> repository, int files, long bytes,
                         int written, long bytesWritten, int unchanged, int links, int modes, int removed,
                         List<Skipped> skipped, List<Problem> problems) implements Outcome {
        /** A pull that changed nothing: no manifest could be followed, for {@code problems} (none: no repository holds one). */
        static Pulled nothing(AuxConfig.Directory d, List<Problem> problems) {
            return new Pulled(d.name(), d.path(), Optional.empty(), Optional.empty(), 0, 0, 0, 0, 0, 0, 0, 0, List.of(), problems);
        }
    }

    private final WalferryConfig config;
    private final NodeConfig node;
    private final List<Repository> repositories;
    private final EncodeGate gate;
    private final Progress progress;
    /** The manifest last read of each directory in each repository: a manifest is never rewritten, so its id says it is the same. */
    private final Map<String, AuxManifest> lastRead = new ConcurrentHashMap<>();

    public AuxSync(WalferryConfig config, NodeConfig node, List<Repository> repositories, EncodeGate gate, Progress progress) {
        this.config = config;
        this.node = node;
        this.repositories = List.copyOf(repositories);
        this.gate = gate;
        this.progress = progress;
    }

    /** A push (on the primary) or a pull (on a replica). */
    public enum Direction { PUSH, PULL }

    /** Which way {@code node}'s directories go, as its server says (a primary pushes); empty while it cannot be asked. */
    public static Optional<Direction> direction(PgConnector pg, NodeConfig node) {
        try (Connection c = pg.connect(node)) {
            return Optional.of(ServerInfo.inRecovery(c) ? Direction.PULL : Direction.PUSH);
        } catch (SQLException | WalferryException e) {
            return Optional.empty();
        }
    }

    /** The configured repositories, in order, each checked only when used (one may be down). */
    public static List<Repository> repositories(WalferryConfig config) {
        List<Repository> out = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            out.add(Repository.unchecked(rc, config.cluster()));
        }
        return out;
    }

    /** The aux directory {@code name} as this node has it, or every one when {@code name} is null. */
    public List<AuxConfig.Directory> directories(String name) {
        if (name == null) {
            return config.aux().directoriesOn(node.name());
        }
        return List.of(config.aux().directory(name).map(d -> d.on(node.name())).orElseThrow(() -> WalferryException.config("no aux directory '"
                + name + "' in " + config.source(), config.aux().directories().isEmpty() ? "list it under aux_directories (docs/configuration.md)"
                : "use one of: " + String.join(", ", config.aux().directories().stream().map(AuxConfig.Directory::name).toList()))));
    }

    /**
     * Stores what changed in {@code d} since the newest manifest of each repository, and a new manifest where it changed;
     * with {@code recheck}, also every object that manifest names and that is missing. Only a directory this node knows
     * to be complete is pushed ({@link AuxPushGate}): when the newest manifest is another node's and no pull here
     * completed it, it is pulled first, and if that pull fails nothing is pushed ({@link Pushed#withheld} says why).
     */
    public Pushed push(AuxConfig.Directory d, boolean recheck) {
        try (Held held = hold(d)) {
            Lookup found = lookUp(d);
            if (found.failed()) {
                return Pushed.withheld(d, "the newest manifest could not be read", found.problems());
            }
            List<Problem> problems = new ArrayList<>(found.problems());
            Optional<Newest> newest = found.newest();
            Optional<String> completePull = completePull(d, held);
            if (!AuxPushGate.inStep(newest.map(Newest::manifest), node.name(), completePull)) {
                AuxManifest m = newest.orElseThrow().manifest();
                Pulled first = pull(d, held, newest.get(), false, problems);
                completePull = completePull(d, held);
                if (!AuxPushGate.inStep(newest.map(Newest::manifest), node.name(), completePull)) {
                    List<Problem> own = first.problems().subList(problems.size(), first.problems().size());
                    String why = "the newest manifest " + m.id() + " (written by node " + m.node() + ") was never pulled completely here, "
                            + "and pulling it failed";
                    List<Problem> all = new ArrayList<>(first.problems());
                    all.add(new Problem(own.isEmpty() ? Failure.FAILED : own.get(0).kind(), "aux directory " + d.name() + ": nothing pushed: "
                            + why + " (" + own.size() + (own.size() == 1 ? " problem" : " problems") + ", above); a node pushes only a "
                            + "directory it knows is complete (hint: mend what the pull names, or run walferry aux sync --push --recheck on "
                            + "a node whose pull of it succeeded)"));
                    return Pushed.withheld(d, why, all);
                }
                problems = new ArrayList<>(first.problems());
            }
            if (!Files.isDirectory(d.path())) {
                return new Pushed(d.name(), d.path(), false, 0, 0, List.of(), List.of(), problems, Optional.empty());
            }
            Path root = d.path().toRealPath();
            AuxIndex index = AuxIndex.load(held.index(), root);
            AuxLocal local = AuxLocal.read(root, index, s -> true);
            index.save();
            AuxPush push = new AuxPush(config.cluster(), node.name(), root, config.archive().compression(), gate, progress);
            List<RepositoryPush> pushed = new ArrayList<>();
            for (Repository r : repositories) {
                try {
                    pushed.add(push.push(local, store(r, d.name()), recheck, completePull));
                } catch (WalferryException e) {
                    problems.add(new Problem(e.kind(), "aux directory " + d.name() + ": repository " + r.name() + ": " + e.oneLine()));
                }
            }
            return new Pushed(d.name(), d.path(), true, local.content().files().size(), local.content().bytes(), pushed,
                    local.skipped(), problems, Optional.empty());
        } catch (IOException e) {
            throw local(d, e);
        }
    }

    /** The manifest the last complete pull of {@code d} here followed; none if the directory is not here. */
    private static Optional<String> completePull(AuxConfig.Directory d, Held held) throws IOException {
        if (!Files.isDirectory(d.path())) {
            return Optional.empty();
        }
        return AuxIndex.load(held.index(), d.path().toRealPath()).completePull();
    }

    /**
     * Makes {@code d} hold what the newest manifest of any repository lists (created if it is missing): files of other
     * content are replaced; of what it does not list, what the last pull placed and is unchanged is removed, the rest
     * only with {@code prune}. What fails is a problem of the outcome: nothing here is replaced by what was not verified.
     */
    public Pulled pull(AuxConfig.Directory d, boolean prune) {
        try (Held held = hold(d)) {
            Lookup found = lookUp(d);
            if (found.newest().isEmpty()) {
                return Pulled.nothing(d, found.problems());
            }
            return pull(d, held, found.newest().get(), prune, found.problems());
        } catch (IOException e) {
            throw local(d, e);
        }
    }

    /**
     * A pull of {@code newest} into {@code d}, whose lock is {@code held}; {@code problems} are those found so far. A pull
     * with no problem of its own is remembered as complete (the node is in step with that manifest).
     */
    private Pulled pull(AuxConfig.Directory d, Held held, Newest newest, boolean prune, List<Problem> problems) throws IOException {
        AuxManifest m = newest.manifest();
        Files.createDirectories(d.path());
        Path root = d.path().toRealPath();
        AuxIndex index = AuxIndex.load(held.index(), root);
        Map<String, Long> wantedSizes = new HashMap<>();
        m.files().forEach(f -> wantedSizes.put(f.path(), f.size()));
        Map<String, Long> placedSizes = new HashMap<>();
        index.pulled().files().forEach(f -> placedSizes.put(f.path(), f.size()));
        // Only a file of the size the manifest (or the last one pulled) gives can hold its content: no other needs hashing.
        AuxLocal local = AuxLocal.read(root, index, s -> wantedSizes.getOrDefault(s.path(), -1L) == s.size()
                || placedSizes.getOrDefault(s.path(), -1L) == s.size());
        AuxPlan.Pull plan = AuxPlan.pull(local.content(), local.unstable(),
                local.skipped().stream().map(Skipped::path).collect(Collectors.toSet()), m.content(), index.pulled(), prune);
        List<AuxStore> sources = new ArrayList<>();
        sources.add(newest.store());
        repositories.stream().filter(r -> r != newest.store().repository()).forEach(r -> sources.add(store(r, d.name())));
        AuxPull.Done done = new AuxPull(root, d.name(), index, progress).run(local, plan, sources);
        index.pulled(m.content());
        if (done.problems().isEmpty()) {
            index.completePull(m.id());
        }
        index.save();
        List<Problem> all = new ArrayList<>(problems);
        all.addAll(done.problems());
        return new Pulled(d.name(), d.path(), Optional.of(m.id()), Optional.of(newest.store().repository().name()),
                m.files().size(), m.bytes(), done.written(), done.bytesWritten(), plan.unchanged(), done.links(), done.modes(),
                done.removed(), local.skipped(), all);
    }

    private AuxStore store(Repository r, String name) {
        return new AuxStore(r, name, lastRead);
    }

    private record Newest(AuxStore store, AuxManifest manifest) {
    }

    /** The newest manifest of a directory, if any, and the problems met looking for it; {@code failed}: it could not be read. */
    private record Lookup(Optional<Newest> newest, List<Problem> problems, boolean failed) {
    }

    private Lookup lookUp(AuxConfig.Directory d) {
        List<Problem> problems = new ArrayList<>();
        try {
            return new Lookup(newest(d.name(), problems), problems, false);
        } catch (WalferryException e) {
            problems.add(new Problem(e.kind(), "aux directory " + d.name() + ": " + e.oneLine()));
            return new Lookup(Optional.empty(), problems, true);
        }
    }

    /**
     * The newest manifest of aux directory {@code name} in any repository (of equal ids, the first repository's); a
     * repository that cannot be read is a problem, and the others are used.
     */
    private Optional<Newest> newest(String name, List<Problem> problems) {
        AuxStore best = null;
        String bestId = null;
        for (Repository r : repositories) {
            AuxStore s = store(r, name);
            try {
                Optional<String> id = s.newestId();
                if (id.isPresent() && (bestId == null || id.get().compareTo(bestId) > 0)) {
                    best = s;
                    bestId = id.get();
                }
            } catch (WalferryException e) {
                problems.add(new Problem(e.kind(), "aux directory " + name + ": repository " + r.name() + ": " + e.oneLine()));
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        String id = bestId;
        AuxManifest m = best.read(id).orElseThrow(() -> new WalferryException(Failure.FAILED, "aux directory " + name
                + ": manifest " + id + " was removed while it was read", "run the sync again"));
        return Optional.of(new Newest(best, m));
    }

    /** The directory's lock (held) and where its index is, in this node's spool. */
    private record Held(FileChannel channel, FileLock lock, Path index) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            lock.release();
            channel.close();
        }
    }

    private Held hold(AuxConfig.Directory d) {
        Path spool = config.spoolFor(node).resolve("aux").resolve(d.name());
        try {
            PrivateFiles.createDirectories(spool);
            FileChannel c = PrivateFiles.open(spool.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new Held(c, c.lock(), spool.resolve("index.json"));
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        } catch (IOException e) {
            throw WalferryException.config("cannot use spool directory " + spool + ": " + e.getMessage(),
                    "set archive.spool_directory to a directory walferry's OS user may write");
        }
    }

    private static WalferryException local(AuxConfig.Directory d, IOException e) {
        return new WalferryException(Failure.LOCAL, "aux directory " + d.name() + " (" + d.path() + "): " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()), "run walferry as the OS user that owns " + d.path(), e);
    }
}
