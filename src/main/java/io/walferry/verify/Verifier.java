package io.walferry.verify;

import io.walferry.backup.BaseBackup;
import io.walferry.config.FsRepositoryConfig;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.Repository;

import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Reads every object of every repository (or of one, or of one backup), {@code jobs} at a time, and decides
 * what is wrong: probe, then decide ({@link VerifyRules}). Nothing is changed; {@link Repairer} acts on the report.
 */
public final class Verifier {
    /**
     * @param repository only this repository
     * @param backup     only this backup, and the WAL it needs
     * @param jobs       objects read at the same time
     */
    public record Options(Optional<String> repository, Optional<String> backup, int jobs) {
    }

    private final WalferryConfig config;
    private final Options options;
    private final BaseBackup.Progress progress;

    public Verifier(WalferryConfig config, Options options, BaseBackup.Progress progress) {
        this.config = config;
        this.options = options;
        this.progress = progress;
    }

    public VerifyReport run() {
        Instant started = Instant.now();
        List<RepositoryConfig> chosen = config.repositories().stream()
                .filter(rc -> options.repository().map(rc.name()::equals).orElse(true)).toList();
        if (chosen.isEmpty()) {
            throw WalferryException.config("no repository named " + options.repository().orElse(""), "use one of: "
                    + config.repositories().stream().map(RepositoryConfig::name).collect(Collectors.joining(", ")));
        }
        // Every repository is listed before anything is read, so that progress knows the total.
        List<Opened> opened = new ArrayList<>();
        for (RepositoryConfig rc : chosen) {
            opened.add(open(rc));
        }
        if (options.backup().isPresent()) {
            opened.removeIf(o -> o.problem() == null && o.plan().isEmpty());
            if (opened.isEmpty()) {
                throw WalferryException.config(options.repository().map(r -> "repository " + r + " holds no complete backup ")
                        .orElse("no repository holds a complete backup ") + options.backup().get(), "walferry info lists the backups");
            }
        }
        long total = opened.stream().mapToLong(o -> o.plan().map(RepositoryScanner.Plan::bytes).orElse(0L)).sum();
        AtomicLong done = new AtomicLong();
        List<RepositoryVerification> out = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(options.jobs(), Thread.ofPlatform().name("verify-", 0).daemon().factory());
        try {
            for (Opened o : opened) {
                if (o.problem() != null) {
                    out.add(new RepositoryVerification(o.config(), Optional.empty(), Optional.empty(), Optional.empty(),
                            RepositoryResult.unusable(o.config().name(), o.config().required(), o.problem()), List.of()));
                    continue;
                }
                RepositoryScan scan = o.scanner().read(o.plan().orElseThrow(), pool, n -> progress.copied(done.addAndGet(n), total));
                scan = o.scanner().recheckGaps(scan);
                out.add(new RepositoryVerification(o.config(), Optional.of(o.repository()), Optional.of(o.identity()), Optional.of(scan),
                        VerifyRules.judge(scan), List.of()));
            }
        } finally {
            pool.shutdownNow();
        }
        return new VerifyReport(started, Instant.now(), options.backup().map(b -> "backup " + b).orElse(VerifyRecord.SCOPE_ALL), out);
    }

    /** A repository opened and listed, or why it could not be. */
    private record Opened(RepositoryConfig config, Repository repository, ClusterIdentity identity, RepositoryScanner scanner,
                          Optional<RepositoryScanner.Plan> plan, Finding problem) {
        static Opened unusable(RepositoryConfig rc, Finding.Kind kind, String detail) {
            return new Opened(rc, null, null, null, Optional.empty(), new Finding(kind, rc.name(), "cluster.json", detail, List.of()));
        }
    }

    /**
     * Opens and lists a repository. One that is not there (an unmounted directory), cannot be reached or holds no
     * registration is a finding; a configuration error (a wrong key, say) ends verify.
     */
    private Opened open(RepositoryConfig rc) {
        if (rc instanceof FsRepositoryConfig fs && !Files.isDirectory(fs.path())) {
            return Opened.unusable(rc, Finding.Kind.UNREADABLE, "directory " + fs.path() + " does not exist: is it mounted?");
        }
        try {
            Repository repo = Repository.open(rc, config.cluster(), false);
            Optional<ClusterRecord> record = repo.clusterRecord();
            if (record.isEmpty()) {
                return Opened.unusable(rc, Finding.Kind.MISSING, "cluster " + config.cluster()
                        + " is not registered here, so nothing of it could be verified (is it mounted? else run walferry repo-create)");
            }
            ClusterIdentity identity = record.get().identity();
            RepositoryScanner scanner = new RepositoryScanner(repo, rc.required(), identity);
            return new Opened(rc, repo, identity, scanner, scanner.plan(options.backup()), null);
        } catch (WalferryException e) {
            if (e.kind() == Failure.CONFIG) {
                throw e;
            }
            return Opened.unusable(rc, Finding.Kind.UNREADABLE, e.getMessage());
        }
    }
}
