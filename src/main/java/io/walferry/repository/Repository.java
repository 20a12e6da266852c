package io.walferry.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walferry.config.Compression;
import io.walferry.config.EncryptionConfig;
import io.walferry.config.FsRepositoryConfig;
import io.walferry.config.RepositoryConfig;
import io.walferry.config.S3RepositoryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.RepositoryLayout.SegmentGroup;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.format.ObjectCipher;
import io.walferry.repository.format.ObjectCodec;
import io.walferry.repository.format.ObjectHeader;
import io.walferry.repository.format.ObjectHeader.MalformedObjectException;
import io.walferry.repository.format.ObjectSeal;
import io.walferry.repository.format.PieceFrames;
import io.walferry.repository.storage.FsStorage;
import io.walferry.repository.storage.PrivateFiles;
import io.walferry.repository.storage.S3Storage;
import io.walferry.repository.storage.Storage;
import io.walferry.repository.storage.Storage.CommitOutcome;
import io.walferry.repository.storage.Storage.PendingObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.SoftReference;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One configured repository as seen by one cluster: its registration, its WAL archive and the objects of its
 * backups, at the keys {@link RepositoryLayout} gives (docs/repository-format.md). Every write is a verified,
 * no-clobber commit through {@link Storage}; every storage failure is one line ({@link ClusterStorage}).
 */
public final class Repository {
    /** Writes registrations (repo-create); in a holder of its own, so that the JVMs that only read one never build it. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private final String name;
    private final ClusterStorage storage;
    private final String cluster;
    private final Optional<EncryptionConfig> encryption;
    /** Resolved on first use from the registration (its salt and key fingerprint); null until then. */
    private volatile ObjectCipher cipher;
    private volatile boolean registrationSeen;

    public Repository(String name, Storage storage, String cluster) {
        this(name, storage, cluster, Optional.empty());
    }

    public Repository(String name, Storage storage, String cluster, Optional<EncryptionConfig> encryption) {
        this.name = name;
        this.storage = new ClusterStorage(name, storage, cluster);
        this.cluster = cluster;
        this.encryption = encryption;
    }

    /** Opens a configured repository; its location must exist unless {@code mayCreate}. */
    public static Repository open(RepositoryConfig config, String cluster, boolean mayCreate) {
        return switch (config) {
            case FsRepositoryConfig fs -> {
                Path root = fs.path();
                if (!Files.isDirectory(root)) {
                    if (!mayCreate || root.getParent() == null || !Files.isDirectory(root.getParent())) {
                        throw WalferryException.config("repository " + fs.name() + ": directory " + root + " does not exist",
                                "create or mount it" + (mayCreate ? "" : ", then run walferry repo-create"));
                    }
                    try {
                        PrivateFiles.createDirectory(root);
                    } catch (IOException e) {
                        throw WalferryException.repository("repository " + fs.name() + ": cannot create " + root + ": " + e.getMessage(),
                                "check the permissions of " + root.getParent(), e);
                    }
                }
                yield new Repository(fs.name(), new FsStorage(root), cluster, fs.encryption());
            }
            case S3RepositoryConfig s3 -> new Repository(s3.name(), S3Storage.connect(s3), cluster, s3.encryption());
        };
    }

    /**
     * A configured repository that may be unreachable now (an optional one): nothing is checked until it
     * is used, and {@link #putWal} refuses to write while its registration is not there.
     */
    public static Repository unchecked(RepositoryConfig config, String cluster) {
        return switch (config) {
            case FsRepositoryConfig fs -> new Repository(fs.name(), new FsStorage(fs.path()), cluster, fs.encryption());
            case S3RepositoryConfig s3 -> new Repository(s3.name(), S3Storage.connect(s3), cluster, s3.encryption());
        };
    }

    public String name() {
        return name;
    }

    public String describe() {
        return name + " (" + storage.describe() + ")";
    }

    // ---- registration --------------------------------------------------------------------------------

    public Optional<ClusterRecord> clusterRecord() {
        return storage.reading(RepositoryLayout.REGISTRATION, () -> {
            Optional<InputStream> in = storage.open(RepositoryLayout.REGISTRATION);
            if (in.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream s = in.get()) {
                return Optional.of(ClusterRecord.read(s));
            }
        });
    }

    public ClusterRecord requireClusterRecord() {
        return clusterRecord().orElseThrow(() -> new WalferryException(Failure.NOT_REGISTERED,
                "repository " + name + " has no registration for cluster " + cluster,
                "run walferry repo-create while the primary is running"));
    }

    /**
     * Writes the registration unless one exists, with the encryption salt and key fingerprint when this
     * repository is encrypted; returns the one that is stored afterwards.
     */
    public ClusterRecord register(ClusterRecord record) {
        if (encryption.isPresent() && record.encryption() == null) {
            if (encryption.get().legacyWeakKey() && clusterRecord().isEmpty()) {
                throw WalferryException.config("repository " + name + ": a new repository is never created with a weak key ("
                        + encryption.get().key().source() + " is not " + EncryptionConfig.MIN_KEY_BYTES + " random bytes as base64 or hex)",
                        "make one with: openssl rand -base64 48, and remove legacy_weak_key");
            }
            String salt = ObjectCipher.newSalt();
            record = record.withEncryption(new ClusterRecord.EncryptionRecord("aes-256-gcm", "hkdf-sha256", salt,
                    ObjectCipher.derive(encryption.get().key(), salt).fingerprint()));
        }
        ClusterRecord wanted = record;
        CommitOutcome outcome = storage.writing(RepositoryLayout.REGISTRATION, () -> {
            try (PendingObject p = storage.create(RepositoryLayout.REGISTRATION, 0, Storage.ReadBack.DEVICE)) {
                byte[] bytes = Json.MAPPER.writeValueAsBytes(wanted);
                p.write(bytes, 0, bytes.length);
                p.finish(ByteBuffer.allocate(0));
                return p.commitIfAbsent();
            }
        });
        if (outcome == CommitOutcome.CREATED) {
            return record;
        }
        ClusterRecord stored = requireClusterRecord();
        cipherFor(stored);
        return stored;
    }

    /** The cipher of this repository's objects, checked against the registration; null when not encrypted. */
    private ObjectCipher cipherFor(ClusterRecord record) {
        ClusterRecord.EncryptionRecord stored = record.encryption();
        if (stored == null) {
            if (encryption.isPresent()) {
                throw WalferryException.config("repository " + name + " was created without encryption, but the configuration gives it a key",
                        "a repository's encryption is fixed when it is created: remove encryption from it, or use a new repository");
            }
            return null;
        }
        if (encryption.isEmpty()) {
            throw WalferryException.config("repository " + name + " is encrypted (key fingerprint " + stored.keyFingerprint()
                    + ") and no key is configured", "set encryption.key of repository " + name + " to the key it was created with");
        }
        if (!stored.cipher().equals("aes-256-gcm") || !stored.kdf().equals("hkdf-sha256")) {
            throw WalferryException.config("repository " + name + " uses cipher " + stored.cipher() + " / " + stored.kdf()
                    + ", unknown to this walferry", "upgrade walferry");
        }
        ObjectCipher c = ObjectCipher.derive(encryption.get().key(), stored.salt());
        if (!c.fingerprint().equals(stored.keyFingerprint())) {
            throw WalferryException.config("repository " + name + ": wrong encryption key (its fingerprint is " + c.fingerprint()
                    + ", the repository was created with " + stored.keyFingerprint() + ")",
                    "set encryption.key to the key repository " + name + " was created with (" + encryption.get().key().source() + " now)");
        }
        return c;
    }

    /** How objects named {@code objectName} are sealed in this repository. */
    private ObjectSeal seal(String objectName) {
        if (encryption.isEmpty()) {
            return ObjectSeal.NONE;
        }
        return new ObjectSeal(cipher(), objectName);
    }

    /** The cipher of an encrypted repository, resolved from its registration on first use. */
    private ObjectCipher cipher() {
        ObjectCipher c = cipher;
        if (c == null) {
            c = cipherFor(requireClusterRecord());
            cipher = c;
        }
        return c;
    }

    // ---- WAL -----------------------------------------------------------------------------------------

    /**
     * Stores a WAL file. An identical intact copy already stored counts as success; different content is
     * refused with both checksums and the stored copy is left as it is.
     */
    public PutResult putWal(WalFileName file, Path source, Compression compression) {
        return putWal(file, source, compression, EncodeGate.NONE);
    }

    /** As {@link #putWal(WalFileName, Path, Compression)}, compressing only when {@code gate} allows. */
    public PutResult putWal(WalFileName file, Path source, Compression compression, EncodeGate gate) {
        String key = RepositoryLayout.wal(file);
        long t0 = System.nanoTime();
        return storage.writing(key, () -> {
            // An unmounted share is an empty directory: writing there would "archive" onto the local disk.
            // Object storage cannot be unmounted: there, seeing the registration once is enough.
            if (!(storage.remote() && registrationSeen) && !storage.exists(RepositoryLayout.REGISTRATION)) {
                throw WalferryException.repository("repository " + describe() + " holds no registration for cluster "
                        + cluster, "is it mounted? run walferry repo-create once it is", null);
            }
            registrationSeen = true;
            // On object storage the conditional commit finds an existing copy for the price of the upload;
            // a look first would cost every new file a round trip, to save work only on rare duplicates.
            Optional<ObjectHeader> stored = storage.remote() ? Optional.empty() : header(key);
            if (stored.isPresent()) {
                compareWithStored(key, file.fileName(), source);
                return PutResult.alreadyStored(Files.size(source), System.nanoTime() - t0);
            }
            ObjectHeader written;
            CommitOutcome outcome;
            long t1;
            long t2;
            try (PendingObject p = storage.create(key, ObjectHeader.SIZE, Storage.ReadBack.DEVICE);
                 InputStream in = Files.newInputStream(source)) {
                ObjectSeal seal = seal(file.fileName());
                written = gate.run(() -> ObjectCodec.encode(in, p, compression, seal));
                t1 = System.nanoTime();
                verifyWritten(key, p, written);
                t2 = System.nanoTime();
                outcome = p.commitIfAbsent();
            }
            if (outcome == CommitOutcome.ALREADY_EXISTS) {
                // Another writer (the agent, or a second archive-push) got there first.
                compareWithStored(key, file.fileName(), source);
                return PutResult.alreadyStored(written.originalSize(), System.nanoTime() - t0);
            }
            return new PutResult(PutOutcome.STORED, written.originalSize(), written.payloadSize() + ObjectHeader.SIZE,
                    t1 - t0, t2 - t1, System.nanoTime() - t2);
        });
    }

    /**
     * Compares {@code source} with the intact stored object at {@code key}: by its checksum, or for an encrypted
     * (format 2) object by its content MAC, computed for {@code source} under that object's key.
     */
    private void compareWithStored(String key, String sealName, Path source) throws IOException {
        ObjectHeader stored = checkStored(key).orElseThrow(() -> new IOException("object vanished while being compared"));
        long size = Files.size(source);
        byte[] field = readObject(key, in -> {
            try (InputStream content = Files.newInputStream(source)) {
                return ObjectCodec.checksumFor(in, stored.version() == ObjectHeader.ENCRYPTED_VERSION ? seal(sealName) : ObjectSeal.NONE, content);
            }
        }).orElseThrow(() -> new IOException("object vanished while being compared"));
        if (!stored.describes(size, stored.checksum(), field)) {
            throw new WalferryException(Failure.CONFLICT, key.substring(key.lastIndexOf('/') + 1) + " is already in repository " + name
                    + " with different content (stored: " + (stored.sizeKnown() ? stored.originalSize() + " bytes, " : "")
                    + stored.checksumText() + "; new: " + size + " bytes, " + stored.checksum().format(field) + "); the stored copy was kept",
                    "find out why PostgreSQL produced a different file of that name (a restored copy of the cluster "
                            + "archiving into the same repository?) before archiving it elsewhere");
        }
    }

    /** Reads back what was written, before it is published, so that only a checked copy is ever acknowledged. */
    private void verifyWritten(String key, PendingObject p, ObjectHeader written) throws IOException {
        try (InputStream stored = p.readBack()) {
            ObjectHeader back = ObjectCodec.checkStored(stored);
            if (back.payloadCrc32c() != written.payloadCrc32c() || back.payloadSize() != written.payloadSize()) {
                throw new IOException("read-back of " + storage.key(key) + " differs from what was written");
            }
        } catch (MalformedObjectException e) {
            throw new IOException("read-back of " + storage.key(key) + " " + e.getMessage());
        }
    }

    /** Reads an object with {@code reader}; empty if absent, {@link CorruptObjectException} if damaged. */
    private <T> Optional<T> readObject(String key, ObjectReader<T> reader) throws IOException {
        Optional<InputStream> in = storage.open(key);
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream s = in.get()) {
            return Optional.of(reader.read(s));
        } catch (MalformedObjectException e) {
            throw new CorruptObjectException(name, storage.key(key), e.getMessage());
        }
    }

    private interface ObjectReader<T> {
        T read(InputStream stored) throws IOException, MalformedObjectException;
    }

    /** The stored header, after checking the stored payload against it; empty if absent. */
    private Optional<ObjectHeader> checkStored(String key) throws IOException {
        return readObject(key, ObjectCodec::checkStored);
    }

    private Optional<ObjectHeader> header(String key) throws IOException {
        return readObject(key, ObjectCodec::readHeader);
    }

    /** The stored header of a WAL file, or empty if it is not stored. */
    public Optional<ObjectHeader> walHeader(WalFileName file) {
        String key = RepositoryLayout.wal(file);
        return storage.reading(key, () -> header(key));
    }

    /**
     * Decodes a WAL file to {@code out}, fully verified. Returns false if it is not stored; throws
     * {@link CorruptObjectException} if the copy is damaged, in which case out holds unverified bytes that the
     * caller must discard.
     */
    public boolean getWal(WalFileName file, OutputStream out) {
        return decodeWal(file, out).isPresent();
    }

    /** As {@link #getWal}, returning the stored header, or empty if the file is not stored. */
    public Optional<ObjectHeader> decodeWal(WalFileName file, OutputStream out) {
        return decode(RepositoryLayout.wal(file), file.fileName(), out, MAX_WAL_FILE);
    }

    /** The largest file PostgreSQL archives: a WAL segment of the largest size initdb allows. */
    static final long MAX_WAL_FILE = 1L << 30;
    /** The largest object walferry stores: a WAL segment, or a backup chunk, of the largest size allowed. */
    public static final long MAX_OBJECT = 1L << 30;

    /**
     * Decodes the object at {@code key}, sealed under {@code sealName}, verified and of at most {@code limit}
     * bytes; its header, or empty if absent.
     */
    private Optional<ObjectHeader> decode(String key, String sealName, OutputStream out, long limit) {
        return storage.reading(key, () -> {
            try {
                ObjectSeal seal = seal(sealName);
                return readObject(key, stored -> ObjectCodec.decode(stored, out, seal, limit));
            } catch (ObjectSeal.KeyRequiredException e) {
                throw WalferryException.config("repository " + name + " holds encrypted objects (" + storage.key(key)
                        + ") and no key is configured", "set encryption.key of repository " + name);
            }
        });
    }

    /** Every WAL file stored for this cluster, in name order within each group. */
    public List<StoredWal> listWal() {
        List<StoredWal> out = new ArrayList<>();
        for (Storage.Entry group : storage.list(RepositoryLayout.WAL)) {
            if (!group.directory()) {
                continue;
            }
            for (Storage.Entry e : storage.list(RepositoryLayout.walGroup(group.name()))) {
                if (e.directory()) {
                    continue;
                }
                try {
                    out.add(new StoredWal(WalFileName.parse(e.name()), e.size(), e.modified()));
                } catch (IllegalArgumentException ignored) {
                    // not ours: a file someone put there by hand is not part of the archive
                }
            }
        }
        return out;
    }

    /** The timelines that have WAL segments stored, from the names of the groups (one listing). */
    public SortedSet<Integer> timelinesWithSegments() {
        SortedSet<Integer> out = new TreeSet<>();
        for (SegmentGroup g : segmentGroups()) {
            out.add((int) g.timeline());
        }
        return out;
    }

    private List<SegmentGroup> segmentGroups() {
        return storage.list(RepositoryLayout.WAL).stream().filter(Storage.Entry::directory)
                .flatMap(e -> SegmentGroup.of(e.name()).stream()).toList();
    }

    /** The stored history file of {@code timeline}, verified and parsed; empty if it is not stored. */
    public Optional<TimelineHistory> history(int timeline) {
        WalFileName.History name = new WalFileName.History("%08X.history".formatted(timeline));
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        if (!getWal(name, text)) {
            return Optional.empty();
        }
        try {
            return Optional.of(TimelineHistory.parse(timeline, text.toString(StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException(this.name, storage.key(RepositoryLayout.wal(name)), "is not a timeline history file: " + e.getMessage());
        }
    }

    /**
     * The stored segment furthest in the WAL on a timeline from {@code fromTimeline} to {@code toTimeline}. Lists the
     * groups (a timeline's log files), then only the newest groups' contents, not the whole archive.
     */
    public Optional<StoredWal> newestSegment(int fromTimeline, int toTimeline) {
        // The newest log file first, and of two timelines at one position the later, which recovery follows.
        List<SegmentGroup> groups = segmentGroups().stream()
                .filter(g -> g.timeline() >= fromTimeline && g.timeline() <= toTimeline)
                .sorted(Comparator.comparing(SegmentGroup::logFile).thenComparing(SegmentGroup::timelineHex).reversed()).toList();
        Optional<StoredWal> newest = Optional.empty();
        for (SegmentGroup group : groups) {
            if (newest.isPresent() && group.logFile().compareTo(position(newest.get()).substring(0, 8)) < 0) {
                break; // an older log file than the newest segment found
            }
            for (Storage.Entry e : storage.list(RepositoryLayout.walGroup(group.name()))) {
                if (!e.directory() && e.name().matches("[0-9A-F]{24}")
                        && (newest.isEmpty() || e.name().substring(8).compareTo(position(newest.get())) > 0)) {
                    newest = Optional.of(new StoredWal(WalFileName.parse(e.name()), e.size(), e.modified()));
                }
            }
        }
        return newest;
    }

    /** A segment's log file and segment, 16 hex digits that sort as its position in the WAL. */
    private static String position(StoredWal segment) {
        return segment.name().fileName().substring(8);
    }

    // ---- streamed pieces of the newest segment ------------------------------------------------------------

    /**
     * Stores bytes {@code offset} to {@code offset + length} of {@code segment} as a streamed piece (docs/streaming.md):
     * verified like every object, never overwriting. A piece already stored with the same bytes counts as stored; one
     * with other bytes is refused (CONFLICT) and kept. A filesystem repository appends it to the segment's piece file
     * (docs/repository-format.md, "Appended pieces"), unless the segment's pieces are objects already (an older walferry).
     */
    public PutOutcome putStreamPiece(WalFileName.Segment segment, long offset, byte[] bytes, int from, int length, Compression compression) {
        String key = RepositoryLayout.streamPiece(segment, offset);
        boolean append = storage.appendsPieces() && appendsPieces(segment);
        String written = append ? RepositoryLayout.streamPieceFile(segment) : key;
        CommitOutcome outcome = storage.writing(written, () -> {
            if (!(storage.remote() && registrationSeen) && !storage.exists(RepositoryLayout.REGISTRATION)) {
                throw WalferryException.repository("repository " + describe() + " holds no registration for cluster "
                        + cluster, "is it mounted? run walferry repo-create once it is", null);
            }
            registrationSeen = true;
            // Not read back: a synchronous archive's commits wait for every piece, and its header's checksums are
            // computed from the bytes written (every read of the piece, and verify, checks them). The whole
            // segment, which replaces the pieces, is read back as every WAL file is.
            if (append) {
                PieceFrames.Sink frame = new PieceFrames.Sink(length);
                // sealed under the piece's own key, as a piece object is: a frame cannot be moved to another offset
                ObjectCodec.encode(new java.io.ByteArrayInputStream(bytes, from, length), frame, compression, seal(key), length);
                return storage.appendPiece(written, offset, length, frame.frame(offset, length));
            }
            try (PendingObject p = storage.create(key, ObjectHeader.SIZE, Storage.ReadBack.DEVICE)) {
                ObjectCodec.encode(new java.io.ByteArrayInputStream(bytes, from, length), p, compression, seal(key), length);
                return p.commitIfAbsent();
            }
        });
        if (outcome == CommitOutcome.CREATED) {
            return PutOutcome.STORED;
        }
        ByteArrayOutputStream stored = new ByteArrayOutputStream(length);
        streamPiece(segment, offset, stored, length + 1L);
        if (!java.util.Arrays.equals(stored.toByteArray(), 0, stored.size(), bytes, from, from + length)) {
            throw new WalferryException(Failure.CONFLICT, "repository " + name + " already holds " + storage.key(key) + " with other bytes ("
                    + stored.size() + " stored, " + length + " new); the stored piece was kept",
                    "is another walferry agent streaming this cluster's WAL into the same repository?");
        }
        return PutOutcome.ALREADY_STORED;
    }

    /** The segment whose pieces were found to go to its piece file: pieces of one segment come many a second. */
    private volatile String appendingSegment;

    /** True unless {@code segment}'s pieces are objects already (written by an older walferry): they go on as objects. */
    private boolean appendsPieces(WalFileName.Segment segment) {
        if (segment.fileName().equals(appendingSegment)) {
            return true;
        }
        boolean objects = storage.list(RepositoryLayout.streamSegment(segment)).stream()
                .anyMatch(e -> !e.directory() && RepositoryLayout.pieceOffset(e.name()).isPresent());
        if (!objects) {
            appendingSegment = segment.fileName();
        }
        return !objects;
    }

    /** A segment's piece file as it was read: its bytes, its frames, its listing. */
    private record PieceFileRead(byte[] bytes, PieceFrames.Scan scan, Storage.Entry entry) {
    }

    /** The piece file of {@code segment} when {@code listed} (its directory's listing) has one; empty if it vanished since. */
    private Optional<PieceFileRead> readPieceFile(WalFileName.Segment segment, List<Storage.Entry> listed) {
        Optional<Storage.Entry> entry = listed.stream().filter(e -> !e.directory() && e.name().equals(RepositoryLayout.PIECE_FILE)).findFirst();
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        String key = RepositoryLayout.streamPieceFile(segment);
        CachedPieceFile cached = lastPieceFile.get();
        if (cached != null && cached.key().equals(key) && cached.read().entry().equals(entry.get())) {
            return Optional.of(cached.read()); // listed unchanged since it was read whole: an appended file only grows
        }
        Optional<PieceFileRead> read = storage.reading(key, () -> {
            Optional<InputStream> in = storage.open(key);
            if (in.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream s = in.get()) {
                byte[] bytes = s.readAllBytes();
                return Optional.of(new PieceFileRead(bytes, PieceFrames.scan(bytes, bytes.length), entry.get()));
            }
        });
        read.filter(r -> r.bytes().length == r.entry().size()).ifPresent(r -> lastPieceFile = new SoftReference<>(new CachedPieceFile(key, r)));
        return read;
    }

    private record CachedPieceFile(String key, PieceFileRead read) {
    }

    /**
     * The piece file read last, reused while a listing shows it as it was then: verify, expiry and a conflict check read one
     * segment's frames one by one, and each would otherwise read the whole file again. Soft: a long-running agent may let it go.
     */
    private volatile SoftReference<CachedPieceFile> lastPieceFile = new SoftReference<>(null);

    /** Decodes {@code frame} of {@code segment}'s piece file, verified, to {@code out}. */
    private ObjectHeader decodeFrame(WalFileName.Segment segment, PieceFileRead file, PieceFrames.Frame frame, OutputStream out, long limit) {
        String key = RepositoryLayout.streamPieceFile(segment);
        return storage.reading(key, () -> {
            try {
                ObjectHeader h = ObjectCodec.decode(new java.io.ByteArrayInputStream(file.bytes(), (int) frame.position() + PieceFrames.HEADER,
                        frame.encodedLength()), out, seal(RepositoryLayout.streamPiece(segment, frame.offset())), limit);
                if (h.originalSize() != frame.originalLength()) {
                    throw new MalformedObjectException("decodes to " + h.originalSize() + " bytes, its frame says " + frame.originalLength());
                }
                return h;
            } catch (MalformedObjectException e) {
                throw new CorruptObjectException(name, storage.key(key), "frame at segment offset " + frame.offset() + " " + e.getMessage());
            } catch (ObjectSeal.KeyRequiredException e) {
                throw WalferryException.config("repository " + name + " holds encrypted objects (" + storage.key(key)
                        + ") and no key is configured", "set encryption.key of repository " + name);
            }
        });
    }

    /** Refuses a piece file with a bad frame that good ones follow, as a corrupt object is refused. */
    private PieceFileRead undamaged(WalFileName.Segment segment, PieceFileRead file) {
        if (file.scan().damage().isPresent()) {
            throw new CorruptObjectException(name, storage.key(RepositoryLayout.streamPieceFile(segment)), file.scan().damage().get().problem());
        }
        return file;
    }

    /**
     * Decodes the stored prefix of {@code segment}: its streamed pieces from byte 0 on, as long as each starts where the
     * one before ended, verified, to {@code out}; how many bytes that is (0: no piece). Pieces past a gap are not used,
     * nor a piece file's torn tail.
     */
    public long streamPrefix(WalFileName.Segment segment, OutputStream out, long segmentSize) {
        List<Storage.Entry> listed = storage.list(RepositoryLayout.streamSegment(segment));
        Optional<PieceFileRead> file = readPieceFile(segment, listed).map(f -> undamaged(segment, f));
        java.util.Set<Long> objects = new java.util.HashSet<>();
        listed.stream().filter(e -> !e.directory()).forEach(e -> RepositoryLayout.pieceOffset(e.name()).ifPresent(objects::add));
        long end = 0;
        while (end < segmentSize) {
            ByteArrayOutputStream piece = new ByteArrayOutputStream();
            long at = end;
            Optional<PieceFrames.Frame> frame = file.flatMap(f -> f.scan().at(at));
            if (objects.contains(end)) {
                String key = RepositoryLayout.streamPiece(segment, end);
                if (decode(key, key, piece, segmentSize - end).isEmpty()) {
                    break; // removed since the listing: the whole segment is stored now
                }
            } else if (frame.isPresent()) {
                decodeFrame(segment, file.get(), frame.get(), piece, segmentSize - end);
            } else {
                break;
            }
            if (piece.size() == 0) {
                throw new CorruptObjectException(name, storage.key(RepositoryLayout.streamPiece(segment, end)), "is an empty piece");
            }
            try {
                piece.writeTo(out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            end += piece.size();
        }
        return end;
    }

    /**
     * Decodes one stored piece, verified, to {@code out}: its header, or empty when it is not there. A piece file's bad frame
     * that good ones follow is reported at the offset where it was due ({@link CorruptObjectException}).
     */
    public Optional<ObjectHeader> streamPiece(WalFileName.Segment segment, long offset, OutputStream out, long limit) {
        String key = RepositoryLayout.streamPiece(segment, offset);
        Optional<ObjectHeader> object = decode(key, key, out, limit);
        if (object.isPresent() || !storage.appendsPieces()) {
            return object;
        }
        Optional<PieceFileRead> file = readPieceFile(segment, storage.list(RepositoryLayout.streamSegment(segment)));
        if (file.isEmpty()) {
            return Optional.empty();
        }
        Optional<PieceFrames.Frame> frame = file.get().scan().at(offset);
        if (frame.isPresent()) {
            return Optional.of(decodeFrame(segment, file.get(), frame.get(), out, limit));
        }
        if (file.get().scan().damage().filter(d -> d.offset() == offset).isPresent()) {
            undamaged(segment, file.get());
        }
        return Optional.empty();
    }

    /**
     * The stored pieces of {@code segment} as listed (name, size, modified), in offset order: objects, and the frames of its
     * piece file, each named by its offset as an object would be (the file's modification time; its frame's size); a bad frame
     * that good ones follow is listed too, at the offset where it was due, so that reading it reports it.
     */
    public List<Storage.Entry> streamPieceEntries(WalFileName.Segment segment) {
        List<Storage.Entry> listed = storage.list(RepositoryLayout.streamSegment(segment));
        List<Storage.Entry> out = new ArrayList<>(listed.stream().filter(e -> !e.directory() && RepositoryLayout.pieceOffset(e.name()).isPresent()).toList());
        readPieceFile(segment, listed).ifPresent(f -> {
            for (PieceFrames.Frame frame : f.scan().frames()) {
                out.add(new Storage.Entry("%08X".formatted(frame.offset()), PieceFrames.HEADER + frame.encodedLength(), false, f.entry().modified()));
            }
            f.scan().damage().ifPresent(d -> out.add(new Storage.Entry("%08X".formatted(d.offset()), 0, false, f.entry().modified())));
        });
        out.sort(Comparator.comparing(Storage.Entry::name));
        return out;
    }

    /** The offset of a piece listed by {@link #streamPieceEntries}. */
    public static long pieceOffset(Storage.Entry piece) {
        return RepositoryLayout.pieceOffset(piece.name()).orElseThrow();
    }

    /** The offsets of the stored pieces of {@code segment}, in order. */
    public List<Long> streamPieceOffsets(WalFileName.Segment segment) {
        return streamPieceEntries(segment).stream().map(Repository::pieceOffset).distinct().toList();
    }

    /** The segments that have streamed pieces stored, in name order. */
    public List<WalFileName.Segment> streamedSegments() {
        return storage.list(RepositoryLayout.STREAM).stream().filter(Storage.Entry::directory).map(Storage.Entry::name)
                .filter(n -> WalFileName.SEGMENT.matcher(n).matches()).map(WalFileName.Segment::new).sorted(Comparator.comparing(WalFileName.Segment::fileName)).toList();
    }

    /**
     * Deletes the pieces of {@code segment} that start past {@code prefixEnd}, where its stored prefix ends: pieces stored
     * while one before them failed (a stream stores several at once). No read reaches them (a prefix stops at its gap),
     * and the stream that stores the gap's bytes again must not meet them; how many there were. A piece file is cut after
     * the frame that ends there (and its torn tail with it).
     */
    public int deleteStreamPiecesAfter(WalFileName.Segment segment, long prefixEnd) {
        List<Storage.Entry> listed = storage.list(RepositoryLayout.streamSegment(segment));
        List<String> stray = listed.stream().filter(e -> !e.directory()).flatMap(e -> RepositoryLayout.pieceOffset(e.name()).stream())
                .filter(o -> o > prefixEnd).map(o -> RepositoryLayout.streamPiece(segment, o)).toList();
        if (!stray.isEmpty()) {
            storage.deleteAll(RepositoryLayout.streamSegment(segment), stray);
        }
        Optional<PieceFileRead> file = readPieceFile(segment, listed);
        long frames = file.map(f -> f.scan().frames().stream().filter(fr -> fr.end() > prefixEnd).count()).orElse(0L);
        if (file.isPresent() && (frames > 0 || file.get().bytes().length > file.get().scan().validEnd())) {
            String key = RepositoryLayout.streamPieceFile(segment);
            storage.writing(key, () -> {
                storage.truncatePieces(key, prefixEnd);
                return null;
            });
        }
        return stray.size() + (int) frames;
    }

    /** Deletes the streamed pieces of {@code segment}: once the whole segment is stored they are no longer read. */
    public void deleteStreamPieces(WalFileName.Segment segment) {
        List<String> keys = new ArrayList<>();
        for (Storage.Entry e : storage.list(RepositoryLayout.streamSegment(segment))) {
            if (!e.directory() && RepositoryLayout.pieceOffset(e.name()).isPresent()) {
                keys.add(RepositoryLayout.streamPiece(segment, RepositoryLayout.pieceOffset(e.name()).orElseThrow()));
            } else if (!e.directory() && e.name().equals(RepositoryLayout.PIECE_FILE)) {
                keys.add(RepositoryLayout.streamPieceFile(segment));
            }
        }
        storage.deleteAll(RepositoryLayout.streamSegment(segment), keys);
        storage.removeEmptyDirectories(RepositoryLayout.streamSegment(segment));
    }

    // ---- any object under the cluster (backups) ---------------------------------------------------------

    /**
     * Stores a new object at {@code relativeKey} under the cluster's directory, read once from
     * {@code source}; it must not exist (such objects are written once, under a fresh name).
     */
    public ObjectHeader putNew(String relativeKey, InputStream source, Compression compression, EncodeGate gate) {
        return putNew(relativeKey, source, -1, compression, gate);
    }

    /** As above, for a source of about {@code expectedSize} bytes (-1: unknown). */
    public ObjectHeader putNew(String relativeKey, InputStream source, long expectedSize, Compression compression, EncodeGate gate) {
        return storage.writing(relativeKey, () -> {
            try (PendingObject p = storage.create(relativeKey, ObjectHeader.SIZE, Storage.ReadBack.FILESYSTEM)) {
                ObjectHeader written = encodeVerified(relativeKey, p, source, expectedSize, compression, gate);
                if (p.commitIfAbsent() == CommitOutcome.ALREADY_EXISTS) {
                    throw new WalferryException(Failure.CONFLICT, "repository " + name + " already holds " + storage.key(relativeKey)
                            + "; it was left as it is",
                            "each backup is written under a name of its own: is another walferry writing the same backup?");
                }
                return written;
            }
        });
    }

    /** Encodes {@code source} into the new object {@code p} at {@code relativeKey} (sealed under that key) and reads it back. */
    private ObjectHeader encodeVerified(String relativeKey, PendingObject p, InputStream source, long expectedSize, Compression compression,
                                        EncodeGate gate) throws IOException {
        ObjectSeal seal = seal(relativeKey);
        ObjectHeader written = gate.run(() -> ObjectCodec.encode(source, p, compression, seal, expectedSize));
        verifyWritten(relativeKey, p, written);
        return written;
    }

    /**
     * Decodes the object at {@code relativeKey} to {@code out}, verified; its header, or empty if there is none.
     * An object of more than {@code limit} original bytes is refused as damaged (a repository is input: the
     * caller says how much it can take).
     */
    public Optional<ObjectHeader> get(String relativeKey, OutputStream out, long limit) {
        return decode(relativeKey, relativeKey, out, limit);
    }

    /** The entries directly under {@code relativeDirectory} of the cluster's directory. */
    public List<Storage.Entry> list(String relativeDirectory) {
        return storage.list(relativeDirectory);
    }

    /** Deletes the object at {@code relativeKey}: retention, and verify --repair of an object that does not read well. */
    public void delete(String relativeKey) {
        storage.delete(relativeKey);
    }

    /** Removes the empty directories left under {@code relativeDirectory} (retention only). */
    public void removeEmptyDirectories(String relativeDirectory) {
        storage.removeEmptyDirectories(relativeDirectory);
    }

    /** Deletes a stored WAL file: retention, and verify --repair of one that does not read well. */
    public void deleteWal(WalFileName file) {
        delete(RepositoryLayout.wal(file));
    }

    /** Every object key under {@code relativeDirectory}, relative to the cluster's directory, depth first. */
    public List<String> listTree(String relativeDirectory) {
        return listObjects(relativeDirectory).stream().map(Storage.Entry::name).toList();
    }

    /** As {@link #listTree}, each object with its stored size: the entry's name is its key relative to the cluster's directory. */
    public List<Storage.Entry> listObjects(String relativeDirectory) {
        List<Storage.Entry> out = new ArrayList<>();
        for (Storage.Entry e : list(relativeDirectory)) {
            String child = relativeDirectory + "/" + e.name();
            if (e.directory()) {
                out.addAll(listObjects(child));
            } else {
                out.add(new Storage.Entry(child, e.size(), false, e.modified()));
            }
        }
        return out;
    }

    // ---- content-addressed objects (aux directories) ------------------------------------------------------

    /**
     * The address of content whose SHA-256 is {@code sha256}: that digest in hex or, in an encrypted repository, an
     * HMAC of it under a key derived from the repository's, so that an object's name confirms no guess of its content
     * (docs/repository-format.md).
     */
    public String contentAddress(byte[] sha256) {
        return HexFormat.of().formatHex(encryption.isEmpty() ? sha256 : cipher().contentAddress(sha256));
    }

    public boolean exists(String relativeKey) {
        return storage.reading(relativeKey, () -> storage.exists(relativeKey));
    }

    /** A check of the content that was read, run once the object is written and read back and before it is published. */
    @FunctionalInterface
    public interface BeforeCommit {
        /** Throws (a {@link WalferryException}) to discard the object. */
        void check();
    }

    /**
     * Stores the content-addressed object at {@code relativeKey}, read once from {@code source}, unless an object is
     * there: its name says it holds the same content, which every reader verifies. {@code check} runs before the new
     * object is published (the caller compares what it read with the address); an object it refuses is discarded.
     */
    public PutOutcome putAddressed(String relativeKey, InputStream source, long expectedSize, Compression compression, EncodeGate gate,
                                   BeforeCommit check) {
        return storage.writing(relativeKey, () -> {
            if (!storage.remote() && storage.exists(relativeKey)) {
                return PutOutcome.ALREADY_STORED;
            }
            try (PendingObject p = storage.create(relativeKey, ObjectHeader.SIZE, Storage.ReadBack.FILESYSTEM)) {
                encodeVerified(relativeKey, p, source, expectedSize, compression, gate);
                check.check();
                return p.commitIfAbsent() == CommitOutcome.CREATED ? PutOutcome.STORED : PutOutcome.ALREADY_STORED;
            }
        });
    }

    /** Removes temporary objects that crashed writers of this host left. */
    public int removeAbandoned() {
        return storage.removeAbandoned();
    }
}
