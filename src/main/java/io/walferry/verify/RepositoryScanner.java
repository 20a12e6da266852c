package io.walferry.verify;

import io.walferry.auxdir.AuxManifest;
import io.walferry.backup.BackupCatalog;
import io.walferry.backup.BackupManifest;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.CorruptObjectException;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.ObjectHeader;
import io.walferry.repository.Repository;
import io.walferry.repository.storage.Storage;
import io.walferry.repository.StoredWal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * Reads one repository for verify: lists what it holds (so that progress knows the total before any reading),
 * then reads every object in parallel, each one decoded completely (decrypted, decompressed, checked against its
 * header's checksum), every WAL file checked to be what its name says, and every aux object to hold the content its
 * address names.
 */
final class RepositoryScanner {
    private final Repository repository;
    private final boolean required;
    private final ClusterIdentity identity;

    RepositoryScanner(Repository repository, boolean required, ClusterIdentity identity) {
        this.repository = repository;
        this.required = required;
        this.identity = identity;
    }

    /** What there is to read. */
    record Plan(List<StoredWal> wal, List<BackupDirectory> backups, List<AuxDirectory> aux, List<StreamedSegment> streamed) {
        long bytes() {
            return wal.stream().mapToLong(StoredWal::storedBytes).sum()
                    + streamed.stream().flatMap(p -> p.pieces().stream()).mapToLong(Storage.Entry::size).sum()
                    + backups.stream().flatMap(b -> b.objects().stream()).mapToLong(Storage.Entry::size).sum()
                    + aux.stream().flatMap(a -> java.util.stream.Stream.concat(a.manifests().stream(), a.objects().stream()))
                    .mapToLong(Storage.Entry::size).sum();
        }
    }

    /** An aux directory's manifests and objects, each named by its key below the cluster's directory. */
    record AuxDirectory(String name, List<Storage.Entry> manifests, List<Storage.Entry> objects) {
    }

    /** A segment's streamed pieces, as listed. */
    record StreamedSegment(WalFileName.Segment segment, List<Storage.Entry> pieces) {
    }

    /** A complete backup's objects, each named by its key below the cluster's directory. */
    record BackupDirectory(String id, List<Storage.Entry> objects) {
    }

    /**
     * Lists the objects to read: every WAL file and every complete backup, or, for one backup, its objects and
     * the WAL it needs (its range, and its timeline's history file). Empty when {@code backup} is not here.
     */
    Optional<Plan> plan(Optional<String> backup) {
        List<BackupDirectory> backups = new ArrayList<>();
        for (Storage.Entry e : repository.list(RepositoryLayout.BACKUPS)) {
            if (e.directory() && backup.map(e.name()::equals).orElse(true)) {
                List<Storage.Entry> objects = repository.listObjects(RepositoryLayout.backup(e.name()));
                // without a manifest a backup never finished, or is running now: nothing of it is restored
                if (objects.stream().anyMatch(o -> o.name().equals(manifestKey(e.name())))) {
                    backups.add(new BackupDirectory(e.name(), objects));
                }
            }
        }
        if (backup.isPresent() && backups.isEmpty()) {
            return Optional.empty();
        }
        List<StoredWal> wal = repository.listWal();
        if (backup.isPresent()) {
            Optional<WalChain.Needed> range = manifestOf(backups.get(0)).flatMap(m -> VerifyRules.walRange(m, identity.walSegmentSize()));
            wal = wal.stream().filter(w -> range.map(r -> r.covers(w.name(), identity.walSegmentSize())).orElse(false)).toList();
        }
        List<AuxDirectory> aux = new ArrayList<>();
        if (backup.isEmpty()) {
            for (Storage.Entry e : repository.list(RepositoryLayout.AUX)) {
                if (e.directory()) {
                    aux.add(new AuxDirectory(e.name(), keys(RepositoryLayout.auxManifests(e.name())), keys(RepositoryLayout.auxObjects(e.name()))));
                }
            }
        }
        List<StreamedSegment> streamed = new ArrayList<>();
        if (backup.isEmpty()) {
            for (WalFileName.Segment segment : repository.streamedSegments()) {
                streamed.add(new StreamedSegment(segment, repository.streamPieceEntries(segment)));
            }
        }
        return Optional.of(new Plan(wal, backups, aux, streamed));
    }

    /** The objects directly below {@code directory}, each named by its key. */
    private List<Storage.Entry> keys(String directory) {
        return repository.list(directory).stream().filter(e -> !e.directory())
                .map(e -> new Storage.Entry(directory + "/" + e.name(), e.size(), false, e.modified())).toList();
    }

    /** The manifest of a backup, for the plan of a single backup; empty when it cannot be read (that is found again later). */
    private Optional<BackupManifest> manifestOf(BackupDirectory b) {
        try {
            return new BackupCatalog(repository).manifest(b.id());
        } catch (WalferryException e) {
            if (e.kind() == Failure.CONFIG) {
                throw e;
            }
            return Optional.empty();
        }
    }

    private static String manifestKey(String id) {
        return RepositoryLayout.backupObject(id, RepositoryLayout.MANIFEST);
    }

    /** Reads everything the plan lists on {@code pool}; {@code progress} is told of each object's stored bytes. */
    RepositoryScan read(Plan plan, ExecutorService pool, LongConsumer progress) {
        List<Future<WalRead>> wal = new ArrayList<>();
        for (StoredWal w : plan.wal()) {
            wal.add(pool.submit(() -> {
                WalRead r = readWal(w.name());
                progress.accept(w.storedBytes());
                return r;
            }));
        }
        Map<String, List<Future<ObjectRead>>> backupReads = new HashMap<>();
        for (BackupDirectory b : plan.backups()) {
            List<Future<ObjectRead>> reads = new ArrayList<>();
            for (Storage.Entry o : b.objects()) {
                reads.add(pool.submit(() -> {
                    ObjectRead r = readObject(o.name(), o.name().equals(manifestKey(b.id())));
                    progress.accept(o.size());
                    return r;
                }));
            }
            backupReads.put(b.id(), reads);
        }
        Map<String, List<Future<AuxRead>>> auxReads = new LinkedHashMap<>();
        for (AuxDirectory a : plan.aux()) {
            List<Future<AuxRead>> reads = new ArrayList<>();
            for (Storage.Entry o : a.manifests()) {
                reads.add(pool.submit(() -> {
                    AuxRead r = readAuxManifest(o.name(), a.name());
                    progress.accept(o.size());
                    return r;
                }));
            }
            for (Storage.Entry o : a.objects()) {
                reads.add(pool.submit(() -> {
                    AuxRead r = readAuxObject(o.name());
                    progress.accept(o.size());
                    return r;
                }));
            }
            auxReads.put(a.name(), reads);
        }
        List<Future<Map<String, ObjectCheck>>> pieceReads = new ArrayList<>();
        for (StreamedSegment p : plan.streamed()) {
            pieceReads.add(pool.submit(() -> {
                Map<String, ObjectCheck> r = readPieces(p);
                progress.accept(p.pieces().stream().mapToLong(Storage.Entry::size).sum());
                return r;
            }));
        }
        Map<WalFileName, ObjectCheck> walChecks = new HashMap<>();
        Map<Integer, TimelineHistory> histories = new HashMap<>();
        for (WalRead r : results(wal)) {
            if (r != null) {
                walChecks.put(r.name(), r.check());
                r.history().ifPresent(h -> histories.put(h.timeline(), h));
            }
        }
        List<BackupScan> backups = new ArrayList<>();
        for (BackupDirectory b : plan.backups()) {
            ObjectCheck manifestCheck = null;
            Optional<BackupManifest> manifest = Optional.empty();
            Map<String, ObjectCheck> objects = new HashMap<>();
            boolean vanished = false;
            for (ObjectRead r : results(backupReads.get(b.id()))) {
                if (r == null) {
                    vanished = true;
                } else if (r.key().equals(manifestKey(b.id()))) {
                    manifestCheck = r.check();
                    manifest = r.manifest();
                } else {
                    objects.put(RepositoryLayout.BackupObject.of(r.key()).orElseThrow().name(), r.check());
                }
            }
            // expire removes the manifest first, then the objects: a backup whose manifest is gone now was expired meanwhile
            if (manifestCheck == null || (vanished && repository.list(RepositoryLayout.backup(b.id())).stream()
                    .noneMatch(e -> e.name().equals(RepositoryLayout.MANIFEST)))) {
                continue;
            }
            backups.add(new BackupScan(b.id(), manifestCheck, manifest, objects));
        }
        List<AuxDirectoryScan> aux = new ArrayList<>();
        for (AuxDirectory a : plan.aux()) {
            Map<String, ObjectCheck> manifests = new HashMap<>();
            Map<String, ObjectCheck> objects = new HashMap<>();
            Map<String, List<String>> named = new HashMap<>();
            for (AuxRead r : results(auxReads.get(a.name()))) {
                if (r == null) {
                    continue;
                }
                if (r.manifest().isEmpty() && r.key().startsWith(RepositoryLayout.auxObjects(a.name()) + "/")) {
                    objects.put(r.key(), r.check());
                    continue;
                }
                manifests.put(r.key(), r.check());
                r.manifest().ifPresent(m -> m.content().files().forEach(f -> f.chunks().forEach(sha256 -> {
                    List<String> ids = named.computeIfAbsent(RepositoryLayout.auxObject(a.name(),
                            repository.contentAddress(HexFormat.of().parseHex(sha256))), k -> new ArrayList<>());
                    if (!ids.contains(m.id())) {
                        ids.add(m.id());
                    }
                })));
            }
            aux.add(new AuxDirectoryScan(a.name(), manifests, objects, named));
        }
        Map<String, ObjectCheck> pieces = new java.util.TreeMap<>();
        results(pieceReads).forEach(pieces::putAll);
        return new RepositoryScan(repository.name(), required, identity.walSegmentSize(), walChecks, histories, backups, plan.bytes(), aux,
                pieces);
    }

    /**
     * Reads a segment's streamed pieces (docs/streaming.md), each decoded and checked; where the segment is stored whole
     * too, each piece must hold the very bytes the whole segment holds at its offset. By key ("stream/SEGMENT/OFFSET").
     */
    Map<String, ObjectCheck> readPieces(StreamedSegment p) {
        long segmentSize = identity.walSegmentSize();
        ByteArrayOutputStream wholeBytes = new ByteArrayOutputStream();
        boolean whole = decode(() -> repository.decodeWal(p.segment(), wholeBytes)).map(ObjectCheck::good).orElse(false)
                && wholeBytes.size() == segmentSize;
        byte[] segment = whole ? wholeBytes.toByteArray() : null;
        Map<String, ObjectCheck> out = new HashMap<>();
        for (Storage.Entry e : p.pieces()) {
            long offset = Repository.pieceOffset(e);
            String key = "stream/" + p.segment().fileName() + "/" + e.name();
            if (offset >= segmentSize) {
                out.put(key, ObjectCheck.corrupt("starts at byte " + offset + ", past the end of a " + segmentSize + "-byte segment"));
                continue;
            }
            ByteArrayOutputStream piece = new ByteArrayOutputStream();
            Optional<ObjectCheck> read = decode(() -> repository.streamPiece(p.segment(), offset, piece, segmentSize - offset));
            if (read.isEmpty()) {
                continue; // removed since the listing: the segment is stored whole
            }
            ObjectCheck check = read.get();
            if (check.good() && piece.size() == 0) {
                check = ObjectCheck.corrupt("is an empty piece");
            } else if (check.good() && segment != null && !java.util.Arrays.equals(piece.toByteArray(), 0, piece.size(), segment, (int) offset,
                    (int) offset + piece.size())) {
                check = ObjectCheck.corrupt("holds other bytes than the whole segment " + p.segment().fileName() + " stored here (bytes " + offset
                        + ".." + (offset + piece.size()) + "); recovery reads the whole segment: check it, then remove the piece");
            }
            out.put(key, check);
        }
        return out;
    }

    /** An aux manifest's or object's check, and the parsed manifest when it is a good one. */
    record AuxRead(String key, ObjectCheck check, Optional<AuxManifest> manifest) {
    }

    /** Reads manifest {@code key} of aux directory {@code name}; null when it vanished since it was listed (a push removed it). */
    private AuxRead readAuxManifest(String key, String name) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        Optional<ObjectCheck> read = decode(() -> repository.get(key, json, AuxManifest.MAX_JSON_SIZE));
        if (read.isEmpty()) {
            return null;
        }
        if (!read.get().good()) {
            return new AuxRead(key, read.get(), Optional.empty());
        }
        try {
            AuxManifest m = AuxManifest.parse(json.toByteArray(), name);
            if (!key.endsWith("/" + m.id())) {
                return new AuxRead(key, ObjectCheck.corrupt("holds manifest " + m.id() + ", not the one its name says"), Optional.empty());
            }
            return new AuxRead(key, read.get(), Optional.of(m));
        } catch (IOException e) {
            return new AuxRead(key, ObjectCheck.corrupt("is refused as a manifest of aux directory " + name + ": " + e.getMessage()),
                    Optional.empty());
        }
    }

    /** Reads aux object {@code key} and checks that its content is what its address names; null when it vanished (expired). */
    private AuxRead readAuxObject(String key) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Optional<ObjectCheck> read = decode(() -> repository.get(key, new DigestOutputStream(OutputStream.nullOutputStream(), sha256),
                Repository.MAX_OBJECT));
        if (read.isEmpty()) {
            return null;
        }
        String address = key.substring(key.lastIndexOf('/') + 1);
        if (read.get().good() && !repository.contentAddress(sha256.digest()).equals(address)) {
            return new AuxRead(key, ObjectCheck.corrupt("decodes to content that is not what its address names"), Optional.empty());
        }
        return new AuxRead(key, read.get(), Optional.empty());
    }

    /**
     * Reads the segments missing from a chain that are stored by now: the agent pushes several at once, so the
     * newest segments do not always arrive in order, and one may have come while verify read the others.
     */
    RepositoryScan recheckGaps(RepositoryScan scan) {
        Map<WalFileName, ObjectCheck> wal = new HashMap<>(scan.wal());
        for (WalChain.Gap g : VerifyRules.gaps(scan)) {
            for (long segno = g.from(); segno <= g.to(); segno++) {
                WalRead r = readWal(WalFileName.Segment.of(g.timeline(), segno, scan.segmentSize()));
                if (r != null) {
                    wal.put(r.name(), r.check());
                }
            }
        }
        return wal.size() == scan.wal().size() ? scan : new RepositoryScan(scan.repository(), scan.required(), scan.segmentSize(), wal,
                scan.histories(), scan.backups(), scan.storedBytes(), scan.aux(), scan.pieces());
    }

    /** A WAL file's check, and its parsed content when it is a good history file. */
    record WalRead(WalFileName name, ObjectCheck check, Optional<TimelineHistory> history) {
    }

    /** A backup object's check, and the parsed manifest when it is a good one. */
    record ObjectRead(String key, ObjectCheck check, Optional<BackupManifest> manifest) {
    }

    /** Null when the file vanished since it was listed (expired meanwhile). */
    WalRead readWal(WalFileName name) {
        WalContent.Head head = new WalContent.Head(name);
        Optional<ObjectCheck> read = decode(() -> repository.decodeWal(name, head));
        if (read.isEmpty()) {
            return null;
        }
        if (!read.get().good()) {
            return new WalRead(name, read.get(), Optional.empty());
        }
        Optional<String> problem = WalContent.problem(name, head, identity);
        if (problem.isPresent()) {
            return new WalRead(name, ObjectCheck.corrupt("decodes to a file that " + problem.get()), Optional.empty());
        }
        return new WalRead(name, read.get(), name instanceof WalFileName.History h ? WalContent.history(h, head) : Optional.empty());
    }

    /** Reads an object of a backup (its key below the cluster's directory); null when it vanished since it was listed. */
    ObjectRead readObject(String key, boolean manifest) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        Optional<ObjectCheck> read = decode(() -> manifest ? repository.get(key, json, BackupManifest.MAX_JSON_SIZE)
                : repository.get(key, OutputStream.nullOutputStream(), Repository.MAX_OBJECT));
        if (read.isEmpty()) {
            return null;
        }
        if (!manifest || !read.get().good()) {
            return new ObjectRead(key, read.get(), Optional.empty());
        }
        try {
            return new ObjectRead(key, read.get(), Optional.of(BackupManifest.fromJson(json.toByteArray())));
        } catch (IOException e) {
            return new ObjectRead(key, ObjectCheck.unreadable("cannot be parsed (" + e.getMessage().lines().findFirst().orElse("")
                    + "): this walferry may be older than the one that wrote it"), Optional.empty());
        }
    }

    /** A verified read of one object: its header, or empty when it is not there. */
    private interface Read {
        Optional<ObjectHeader> run();
    }

    /**
     * Runs a verified read: a good check, a corrupt or unreadable one, or empty when the object is not there.
     * A configuration problem (a wrong or missing key) is the user's to fix, not a property of the object: it ends verify.
     */
    private static Optional<ObjectCheck> decode(Read read) {
        try {
            // the content's checksum, as a manifest records it (an encrypted object's header holds only an HMAC)
            return read.run().map(h -> ObjectCheck.good(h.contentChecksumText()));
        } catch (CorruptObjectException e) {
            return Optional.of(ObjectCheck.corrupt(e.problem()));
        } catch (WalferryException e) {
            if (e.kind() == Failure.CONFIG) {
                throw e;
            }
            return Optional.of(ObjectCheck.unreadable(e.getMessage()));
        }
    }

    /** The futures' values in order; a configuration error or a defect in one ends them all. */
    private static <T> List<T> results(List<Future<T>> futures) {
        List<T> out = new ArrayList<>();
        try {
            for (Future<T> f : futures) {
                out.add(f.get());
            }
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new WalferryException(Failure.INTERRUPTED, "verify interrupted", null);
        }
        return out;
    }
}
