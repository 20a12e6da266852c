package io.walferry.verify;

import io.walferry.config.DirectoryTree;
import io.walferry.archive.ArchiveGetter;
import io.walferry.backup.BackupManifest;
import io.walferry.config.Compression;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.format.ObjectCodec;
import io.walferry.repository.format.ObjectHeader;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Repairs what verify found bad or missing in optional repositories, from a verified copy in another one. For
 * each object: it is read again (one that reads well now is left as it is), a copy is fetched from the first
 * other repository that holds a good one (decoded and checked completely into a temporary file, a backup chunk
 * also against the checksum its manifest records), the bad object is read once more and only then deleted, the
 * copy is stored through the ordinary no-overwrite write, and the stored object is read back. An object that
 * reads well is never deleted or overwritten. Required repositories are left alone: they are what archive-push
 * acknowledged, and a DBA decides what happens to them.
 */
public final class Repairer {
    private static final Logger LOG = LoggerFactory.getLogger(Repairer.class);

    private final WalferryConfig config;
    private final Compression compression;
    private final Map<String, Optional<Repository>> sources = new HashMap<>();

    public Repairer(WalferryConfig config) {
        this.config = config;
        this.compression = config.archive().compression();
    }

    public VerifyReport repair(VerifyReport report) {
        Path temp;
        try {
            temp = Files.createTempDirectory("walferry-verify-");
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "cannot create a temporary directory for --repair: " + e.getMessage(),
                    "set java.io.tmpdir (JAVA_TOOL_OPTIONS=-Djava.io.tmpdir=DIR) to a directory with room for a WAL segment or backup chunk", e);
        }
        try {
            List<RepositoryVerification> out = new ArrayList<>();
            for (RepositoryVerification v : report.repositories()) {
                out.add(repair(v, temp));
            }
            return report.with(out);
        } finally {
            deleteTree(temp);
        }
    }

    private RepositoryVerification repair(RepositoryVerification v, Path temp) {
        if (v.result().ok()) {
            return v;
        }
        List<Repair> repairs = new ArrayList<>();
        if (v.scan().isEmpty() || v.config().required()) {
            String why = v.scan().isEmpty() ? "the repository could not be read"
                    : "repository " + v.config().name() + " is required: verify repairs optional repositories only";
            v.result().findings().forEach(f -> repairs.add(new Repair(f, f.object(), Repair.Outcome.NOT_REPAIRED, why)));
            return v.with(repairs);
        }
        Target target = new Target(v.repository().orElseThrow(), v.identity().orElseThrow(), v.scan().get());
        for (Finding f : v.result().findings()) {
            for (String object : objects(f, target.scan.segmentSize())) {
                Repair r = repairOne(target, f, object, temp);
                repairs.add(r);
                if (r.outcome() == Repair.Outcome.REPAIRED) {
                    LOG.info("repaired {} in repository {}: {}", object, v.config().name(), r.detail());
                }
            }
        }
        RepositoryScan scan = target.scan;
        return v.with(scan, VerifyRules.judge(scan), repairs);
    }

    /** The objects a finding is about: one, or each segment of a gap. */
    private static List<String> objects(Finding f, long segmentSize) {
        if (f.kind() != Finding.Kind.GAP) {
            return List.of(f.object());
        }
        String[] ends = f.object().split("\\.\\.");
        WalFileName.Segment first = new WalFileName.Segment(ends[0]);
        long to = new WalFileName.Segment(ends[ends.length - 1]).segmentNumber(segmentSize);
        List<String> out = new ArrayList<>();
        for (long s = first.segmentNumber(segmentSize); s <= to; s++) {
            out.add(WalFileName.Segment.of(first.timeline(), s, segmentSize).fileName());
        }
        return out;
    }

    /** The repository being repaired, and what is known of it: updated with every object read again. */
    private static final class Target {
        final Repository repository;
        final ClusterIdentity identity;
        final RepositoryScanner scanner;
        RepositoryScan scan;

        Target(Repository repository, ClusterIdentity identity, RepositoryScan scan) {
            this.repository = repository;
            this.identity = identity;
            this.scanner = new RepositoryScanner(repository, false, identity);
            this.scan = scan;
        }
    }

    private Repair repairOne(Target t, Finding f, String object, Path temp) {
        if (f.kind() == Finding.Kind.UNREADABLE) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "it could not be read, so it is not known to be bad: run verify again");
        }
        Path copy = temp.resolve("copy");
        try {
            Optional<RepositoryLayout.BackupObject> backupObject = RepositoryLayout.BackupObject.of(object);
            if (backupObject.isPresent()) {
                return repairBackupObject(t, f, backupObject.get(), copy);
            }
            WalFileName name;
            try {
                name = WalFileName.parse(object);
            } catch (IllegalArgumentException e) {
                return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "not an object verify can copy");
            }
            return repairWal(t, f, name, copy);
        } catch (WalferryException e) {
            if (e.kind() == Failure.CONFIG) {
                throw e;
            }
            return new Repair(f, object, Repair.Outcome.FAILED, e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            return new Repair(f, object, Repair.Outcome.FAILED, "cannot use the temporary copy: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(copy);
            } catch (IOException ignored) {
                // the temporary directory goes as a whole at the end
            }
        }
    }

    private Repair repairWal(Target t, Finding f, WalFileName name, Path copy) throws IOException {
        String object = name.fileName();
        if (readsWell(t, name)) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "it reads well now: left as it is");
        }
        Optional<String> source = Optional.empty();
        for (Repository s : otherRepositories(t.repository)) {
            try {
                if (new ArchiveGetter(List.of(s)).get(name, copy) != ArchiveGetter.Outcome.FOUND) {
                    continue;
                }
                WalContent.Head head = new WalContent.Head(name);
                try (InputStream in = Files.newInputStream(copy)) {
                    in.transferTo(head);
                }
                Optional<String> problem = WalContent.problem(name, head, t.identity);
                if (problem.isEmpty()) {
                    source = Optional.of(s.name());
                    break;
                }
                LOG.warn("the copy of {} in repository {} is not what its name says (it {}): not used", object, s.name(), problem.get());
            } catch (WalferryException e) {
                if (e.kind() == Failure.CONFIG) {
                    throw e;
                }
                LOG.warn("repository {} has no usable copy of {}: {}", s.name(), object, e.oneLine());
            }
            Files.deleteIfExists(copy);
        }
        if (source.isEmpty()) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "no other repository holds a good copy");
        }
        // read once more right before deleting: only an object that still does not read well goes
        RepositoryScanner.WalRead now = reread(t, name);
        if (now != null && now.check().good()) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "it reads well now: left as it is");
        }
        if (now != null) {
            t.repository.deleteWal(name);
        }
        t.repository.putWal(name, copy, compression);
        return readsWell(t, name) ? new Repair(f, object, Repair.Outcome.REPAIRED, "copied from repository " + source.get())
                : new Repair(f, object, Repair.Outcome.FAILED, "the copy stored from repository " + source.get() + " does not read well: "
                + Optional.ofNullable(t.scan.wal().get(name)).map(ObjectCheck::detail).orElse("it is not there"));
    }

    /** Reads a WAL file of the target again and records what was found; true when it is stored and reads well. */
    private static boolean readsWell(Target t, WalFileName name) {
        RepositoryScanner.WalRead r = reread(t, name);
        return r != null && r.check().good();
    }

    /** Reads a WAL file of the target again and records what was found; null when it is not stored. */
    private static RepositoryScanner.WalRead reread(Target t, WalFileName name) {
        RepositoryScanner.WalRead r = t.scanner.readWal(name);
        Map<WalFileName, ObjectCheck> wal = new HashMap<>(t.scan.wal());
        Map<Integer, io.walferry.postgres.TimelineHistory> histories = new HashMap<>(t.scan.histories());
        if (r == null) {
            wal.remove(name);
        } else {
            wal.put(name, r.check());
            r.history().ifPresent(h -> histories.put(h.timeline(), h));
        }
        RepositoryScan s = t.scan;
        t.scan = new RepositoryScan(s.repository(), s.required(), s.segmentSize(), wal, histories, s.backups(), s.storedBytes(), s.aux(), s.pieces());
        return r;
    }

    private Repair repairBackupObject(Target t, Finding f, RepositoryLayout.BackupObject backupObject, Path copy) throws IOException {
        String object = backupObject.key();
        String id = backupObject.id();
        String key = backupObject.name();
        Optional<BackupScan> backup = t.scan.backups().stream().filter(b -> b.id().equals(id)).findFirst();
        if (backup.isEmpty()) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "backup " + id + " is not in the repository any more");
        }
        // a chunk must be the one the manifest records; the manifest and the backup's label are the backup's own
        String expected = expectedChecksum(backup.get(), key);
        if (expected != null && !expected.startsWith(ObjectCodec.DEFAULT_CHECKSUM.label() + ":")) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "the manifest records a " + expected.substring(0, expected.indexOf(':'))
                    + " checksum, and walferry writes " + ObjectCodec.DEFAULT_CHECKSUM.label() + " now");
        }
        if (readsWell(t, id, key, expected)) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "it reads well now: left as it is");
        }
        Optional<String> source = Optional.empty();
        for (Repository s : otherRepositories(t.repository)) {
            try (OutputStream out = Files.newOutputStream(copy)) {
                Optional<ObjectHeader> h = s.get(object, out, Repository.MAX_OBJECT);
                if (h.isPresent() && (expected == null || expected.equals(h.get().contentChecksumText()))) {
                    source = Optional.of(s.name());
                    break;
                }
            } catch (WalferryException e) {
                if (e.kind() == Failure.CONFIG) {
                    throw e;
                }
                LOG.warn("repository {} has no usable copy of {}: {}", s.name(), object, e.oneLine());
            }
        }
        if (source.isEmpty()) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "no other repository holds a good copy");
        }
        // read once more right before deleting: only an object that still is not the good one goes
        RepositoryScanner.ObjectRead now = reread(t, id, key);
        if (good(now, expected)) {
            return new Repair(f, object, Repair.Outcome.NOT_REPAIRED, "it reads well now: left as it is");
        }
        if (now != null) {
            t.repository.delete(object);
        }
        try (InputStream in = Files.newInputStream(copy)) {
            t.repository.putNew(object, in, Files.size(copy), compression, EncodeGate.NONE);
        }
        return readsWell(t, id, key, expected) ? new Repair(f, object, Repair.Outcome.REPAIRED, "copied from repository " + source.get())
                : new Repair(f, object, Repair.Outcome.FAILED, "the copy stored from repository " + source.get() + " does not read well");
    }

    private static String expectedChecksum(BackupScan b, String key) {
        if (b.manifest().isEmpty()) {
            return null;
        }
        for (BackupManifest.FileEntry f : b.manifest().get().files()) {
            for (int i = 0; i < f.chunkChecksums().size(); i++) {
                if (key.equals(RepositoryLayout.chunk(f.path(), i))) {
                    return f.chunkChecksums().get(i);
                }
            }
        }
        return null;
    }

    /** Reads an object of a backup again and records what was found; true when it is stored, reads well and is the one expected. */
    private static boolean readsWell(Target t, String id, String key, String expected) {
        return good(reread(t, id, key), expected);
    }

    private static boolean good(RepositoryScanner.ObjectRead r, String expected) {
        return r != null && r.check().good() && (expected == null || expected.equals(r.check().checksum()));
    }

    /** Reads an object of a backup again and records what was found; null when it is not stored. */
    private static RepositoryScanner.ObjectRead reread(Target t, String id, String key) {
        boolean manifest = key.equals(RepositoryLayout.MANIFEST);
        RepositoryScanner.ObjectRead r = t.scanner.readObject(RepositoryLayout.backupObject(id, key), manifest);
        List<BackupScan> backups = new ArrayList<>();
        for (BackupScan b : t.scan.backups()) {
            if (!b.id().equals(id)) {
                backups.add(b);
            } else if (manifest) {
                backups.add(new BackupScan(id, r == null ? ObjectCheck.unreadable("it is not there") : r.check(),
                        r == null ? Optional.empty() : r.manifest(), b.objects()));
            } else {
                Map<String, ObjectCheck> objects = new HashMap<>(b.objects());
                if (r == null) {
                    objects.remove(key);
                } else {
                    objects.put(key, r.check());
                }
                backups.add(new BackupScan(id, b.manifestCheck(), b.manifest(), objects));
            }
        }
        RepositoryScan s = t.scan;
        t.scan = new RepositoryScan(s.repository(), s.required(), s.segmentSize(), s.wal(), s.histories(), backups, s.storedBytes(), s.aux(), s.pieces());
        return r;
    }

    /** The other configured repositories that can be opened, in the configuration's order. */
    private List<Repository> otherRepositories(Repository target) {
        List<Repository> out = new ArrayList<>();
        for (RepositoryConfig rc : config.repositories()) {
            if (rc.name().equals(target.name())) {
                continue;
            }
            sources.computeIfAbsent(rc.name(), n -> {
                try {
                    Repository r = Repository.open(rc, config.cluster(), false);
                    return r.clusterRecord().isPresent() ? Optional.of(r) : Optional.empty();
                } catch (WalferryException e) {
                    LOG.warn("repository {} cannot be used as a source for repairs: {}", rc.name(), e.oneLine());
                    return Optional.empty();
                }
            }).ifPresent(out::add);
        }
        return out;
    }

    private static void deleteTree(Path dir) {
        try {
            DirectoryTree.delete(dir);
        } catch (IOException e) {
            LOG.warn("cannot remove the temporary directory {}: {}", dir, e.getMessage());
        }
    }
}
