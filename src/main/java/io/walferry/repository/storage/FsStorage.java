package io.walferry.repository.storage;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A repository in a local or mounted directory. A new object is written to a hidden temporary file beside
 * its final name, fsynced, then published with a hard link, which fails rather than replace an existing
 * object; the directory is fsynced after (one fsync shared by the commits into a directory at the same time,
 * {@link DirectorySyncs}). Temporary names carry host and PID so that an agent can remove
 * what a killed writer left, and nothing a live writer still owns.
 *
 * <p>Directories are created owner-only and objects are files only the owner can read ({@link PrivateFiles}).
 * A symbolic link inside the repository is never followed: listings leave links out, and a key whose path
 * would lead out of the repository's real directory through one is refused, so that nobody who can write in a
 * shared repository can make {@code expire} delete, or a push write, anything outside it.
 */
public final class FsStorage implements Storage {
    private static final Pattern TEMP = Pattern.compile("\\..+\\.([^.]+)\\.(\\d+)\\.[0-9a-f]+\\.tmp");
    private static final String HOST = hostName();
    private static final long PID = ProcessHandle.current().pid();

    private final Path root;
    /** The root's real path, once it exists; what every key's path must stay under. */
    private volatile Path realRoot;
    /** Cleared for good once the filesystem refuses O_DIRECT, so that it is not asked again for every object. */
    private volatile boolean tryDirect = true;
    /** The direct I/O block size of the directory written last: asking costs a read of the mount table (streamed pieces come many a second). */
    private volatile DirectoryBlock lastBlock;
    /** A commit's directory fsync, shared with the commits into the same directory at the same time (streamed pieces). */
    private final DirectorySyncs directorySyncs = new DirectorySyncs(FsStorage::fsyncDirectory);

    private record DirectoryBlock(Path directory, int block) {
    }

    /** Piece files open for appending, in this JVM: one writer each (the file's lock keeps other processes out). */
    private static final Map<Path, PieceFile> PIECE_FILES = new LinkedHashMap<>(8, 0.75f, true);
    /** Piece files kept open: the segment being streamed and the one before, being stored whole. */
    private static final int PIECE_FILES_KEPT = 4;

    public FsStorage(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public PendingObject create(String key, int headerSize, ReadBack readBack) throws IOException {
        Path target = resolve(key);
        createDirectories(confined(target.getParent()));
        Path temp = target.resolveSibling("." + target.getFileName() + "." + HOST + "." + PID + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
        boolean direct = tryDirect && readBack == ReadBack.DEVICE;
        FileObjectWriter writer = FileObjectWriter.create(temp, headerSize, direct, direct ? blockSize(target.getParent()) : 1);
        if (direct && !writer.direct()) {
            tryDirect = false;
        }
        return new FsPending(target, temp, writer, directorySyncs);
    }


    private int blockSize(Path directory) throws IOException {
        DirectoryBlock b = lastBlock;
        if (b == null || !b.directory().equals(directory)) {
            b = new DirectoryBlock(directory, AlignedOutput.blockSize(directory));
            lastBlock = b;
        }
        return b.block();
    }

    @Override
    public boolean appendsPieces() {
        return true;
    }

    @Override
    public CommitOutcome appendPiece(String key, long offset, int length, java.nio.ByteBuffer frame) throws IOException {
        Path p = resolve(key);
        createDirectories(confined(p.getParent()));
        PieceFile file = pieceFile(p);
        try {
            return file.append(offset, length, frame);
        } finally {
            if (file.isBroken()) {
                forgetPieceFile(p, file);
            }
        }
    }

    @Override
    public void truncatePieces(String key, long end) throws IOException {
        Path p = resolve(key);
        confined(p.getParent());
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            pieceFile(p).truncateAfter(end);
        }
    }

    /** The open writer of the piece file {@code p}, opened (locked, its torn tail cut off) if there is none or it broke. */
    private PieceFile pieceFile(Path p) throws IOException {
        synchronized (PIECE_FILES) {
            PieceFile f = PIECE_FILES.get(p);
            // a file deleted meanwhile (the segment stored whole, by another process), or made read-only, is opened again (or not)
            if (f != null && !f.isBroken() && f.usable()) {
                return f;
            }
            PIECE_FILES.remove(p);
            if (f != null) {
                f.close();
            }
            f = PieceFile.open(p, directorySyncs);
            PIECE_FILES.put(p, f);
            if (PIECE_FILES.size() > PIECE_FILES_KEPT) {
                var eldest = PIECE_FILES.entrySet().iterator();
                PieceFile old = eldest.next().getValue();
                eldest.remove();
                old.close();
            }
            return f;
        }
    }

    /** Closes the writer of the piece file {@code p}, if one is open (before the file is deleted, or once it broke). */
    private static void forgetPieceFile(Path p, PieceFile only) throws IOException {
        PieceFile f;
        synchronized (PIECE_FILES) {
            f = PIECE_FILES.get(p);
            if (f == null || (only != null && f != only)) {
                return;
            }
            PIECE_FILES.remove(p);
        }
        f.close();
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        try {
            Path p = resolve(key);
            confined(p.getParent());
            PieceFile writing;
            synchronized (PIECE_FILES) {
                writing = PIECE_FILES.get(p);
            }
            if (writing != null && !writing.isBroken() && writing.usable()) {
                return Optional.of(writing.read());
            }
            return Optional.of(Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void removeEmptyDirectories(String directoryKey) throws IOException {
        Path dir = confined(resolve(directoryKey));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                        if (ds.iterator().hasNext()) {
                            continue;
                        }
                    }
                    Files.deleteIfExists(p);
                }
            }
        }
        fsyncDirectory(dir.getParent());
    }

    @Override
    public boolean exists(String key) throws IOException {
        Path p = resolve(key);
        confined(p.getParent());
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public List<Entry> list(String directoryKey) throws IOException {
        Path dir = directoryKey.isEmpty() ? root : resolve(directoryKey);
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(confined(dir))) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if (a.isSymbolicLink()) {
                    continue; // walferry makes none: what it points at is not the repository's
                }
                out.add(a.isDirectory() ? new Entry(name, 0, true, Instant.EPOCH)
                        : new Entry(name, a.size(), false, a.lastModifiedTime().toInstant()));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort(Comparator.comparing(Entry::name));
        return out;
    }

    @Override
    public void delete(String key) throws IOException {
        Path p = resolve(key);
        confined(p.getParent());
        forgetPieceFile(p, null);
        Files.deleteIfExists(p);
        fsyncDirectory(p.getParent());
    }

    /** One fsync per directory rather than per object: a segment's streamed pieces go at once, and the stream waits. */
    @Override
    public void deleteAll(List<String> keys) throws IOException {
        java.util.Set<Path> directories = new java.util.LinkedHashSet<>();
        for (String key : keys) {
            Path p = resolve(key);
            confined(p.getParent());
            forgetPieceFile(p, null);
            Files.deleteIfExists(p);
            directories.add(p.getParent());
        }
        for (Path d : directories) {
            fsyncDirectory(d);
        }
    }

    @Override
    public int removeAbandoned(String directoryKey) throws IOException {
        Path dir = confined(directoryKey.isEmpty() ? root : resolve(directoryKey));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int[] removed = {0};
        // Other writers finish and delete their own temporary files during the walk: never an error.
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).equals(HOST) && !alive(Long.parseLong(m.group(2))) && Files.deleteIfExists(p)) {
                    removed[0]++;
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) {
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        return removed[0];
    }

    private Path resolve(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root) || key.isEmpty()) {
            throw new IllegalArgumentException("key outside the repository: " + key);
        }
        return p;
    }

    /**
     * {@code p} (lexically under the root), once sure that no symbolic link leads it out of the root's real
     * directory: the real path of its nearest existing part must be under the root's. The root itself may be
     * a link (a mount point's alias). For a name that is deleted or read, pass its directory: deleting a link
     * removes the link only, and reads open it with O_NOFOLLOW.
     */
    private Path confined(Path p) throws IOException {
        Path real = realRoot;
        if (real == null) {
            try {
                real = root.toRealPath();
            } catch (NoSuchFileException e) {
                return p; // no repository yet: nothing in it to lead elsewhere
            }
            realRoot = real;
        }
        Path existing = p;
        while (!existing.equals(root) && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (!existing.equals(root) && !existing.toRealPath().startsWith(real)) {
            throw new IOException(p + " leads out of the repository (" + root + ") through a symbolic link; walferry follows none "
                    + "inside a repository: remove the link");
        }
        return p;
    }

    /** Creates what is missing of {@code dir}, owner-only, and makes each new entry durable. */
    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createDirectories(dir.getParent());
        if (PrivateFiles.createDirectory(dir)) {
            // The new directory's entry must survive a crash too, or a committed object could vanish with it.
            fsyncDirectory(dir.getParent());
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    /** A zombie counts as dead: it will never finish its write, and an init that does not reap keeps it forever. */
    private static boolean alive(long pid) {
        if (pid == PID) {
            return true;
        }
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            // no procfs: trust the handle; with procfs, a vanished entry means the process just exited
            return !Files.isDirectory(Path.of("/proc"));
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().replace('.', '_');
        } catch (IOException e) {
            return ManagementFactory.getRuntimeMXBean().getName().replace('.', '_').replace('@', '_');
        }
    }

    private static final class FsPending implements PendingObject {
        private final Path target;
        private final Path temp;
        private final FileObjectWriter writer;
        private final DirectorySyncs directorySyncs;
        private boolean done;

        FsPending(Path target, Path temp, FileObjectWriter writer, DirectorySyncs directorySyncs) {
            this.target = target;
            this.temp = temp;
            this.writer = writer;
            this.directorySyncs = directorySyncs;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writer.write(b, off, len);
        }

        @Override
        public void finish(java.nio.ByteBuffer header) throws IOException {
            writer.finish(header);
        }

        @Override
        public InputStream readBack() throws IOException {
            return writer.readBack();
        }

        @Override
        public CommitOutcome commitIfAbsent() throws IOException {
            done = true;
            try {
                writer.close();
                try {
                    Files.createLink(target, temp);
                } catch (FileAlreadyExistsException e) {
                    return CommitOutcome.ALREADY_EXISTS;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    if (e instanceof FileSystemException fse && !noHardLinks(fse)) {
                        throw fse;
                    }
                    // This filesystem has no hard links: a checked rename is the best it allows.
                    if (Files.exists(target)) {
                        return CommitOutcome.ALREADY_EXISTS;
                    }
                    try {
                        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException ex) {
                        throw new IOException("the filesystem of " + target.getParent() + " supports neither hard links nor atomic renames", ex);
                    }
                }
                // the temporary name goes first, so that the one directory fsync below makes both changes durable
                // (a crash before it may leave the temporary file: removeAbandoned removes it)
                Files.deleteIfExists(temp);
                directorySyncs.sync(target.getParent());
                return CommitOutcome.CREATED;
            } finally {
                Files.deleteIfExists(temp);
            }
        }

        /** EPERM or EOPNOTSUPP: hard links are not available here (vfat, some FUSE and SMB mounts). */
        private static boolean noHardLinks(FileSystemException e) {
            String reason = e.getReason() == null ? "" : e.getReason();
            return reason.contains("Operation not permitted") || reason.contains("not supported");
        }

        @Override
        public void close() throws IOException {
            if (!done) {
                writer.close();
                Files.deleteIfExists(temp);
                done = true;
            }
        }
    }
}
