package io.walferry.auxdir;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.repository.storage.PrivateFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Carries out a pull ({@link AuxPlan.Pull}) in an aux directory: every file is written to a temporary file beside its
 * final name, chunk by chunk from the first repository that holds a verified copy of each, checked against the
 * manifest's SHA-256, fsynced and renamed into place, so that a reader sees the old file or the new one, and a failed
 * fetch leaves nothing behind. Nothing is written through a symbolic link: every directory on the way is checked.
 * A file that cannot be fetched is reported and the others go on.
 */
final class AuxPull {
    private static final String RESTORE_HINT = "move the object aside, then run walferry aux sync --push --recheck on the primary "
            + "to store it again";
    private final Path root;
    private final String name;
    private final AuxIndex index;
    private final AuxSync.Progress progress;
    private final Set<Path> touched = new LinkedHashSet<>();
    private final List<AuxSync.Problem> problems = new ArrayList<>();
    private long total;
    private long done;

    AuxPull(Path root, String name, AuxIndex index, AuxSync.Progress progress) {
        this.root = root;
        this.name = name;
        this.index = index;
        this.progress = progress;
    }

    /** What the pull did. */
    record Done(int written, long bytesWritten, int links, int modes, int removed, List<AuxSync.Problem> problems) {
    }

    Done run(AuxLocal local, AuxPlan.Pull plan, List<AuxStore> sources) {
        for (String conflict : plan.conflicts()) {
            problems.add(new AuxSync.Problem(Failure.LOCAL, "aux directory " + name + ": cannot place " + conflict
                    + " (hint: move it out of " + root + ")"));
        }
        for (Path t : local.temporaries()) {
            attempt(t.toString(), () -> Files.deleteIfExists(t));
        }
        for (AuxContent.Directory d : plan.makeDirectories()) {
            attempt(d.path(), () -> place(d.path(), true));
        }
        total = plan.fetchBytes();
        int written = 0;
        long bytes = 0;
        for (AuxContent.File f : plan.fetch()) {
            if (attempt(f.path(), () -> fetch(f, sources))) {
                written++;
                bytes += f.size();
            }
        }
        int links = 0;
        for (AuxContent.Link l : plan.link()) {
            links += attempt(l.path(), () -> link(l)) ? 1 : 0;
        }
        int modes = 0;
        for (AuxContent.File f : plan.fileModes()) {
            modes += attempt(f.path(), () -> setMode(place(f.path(), false), f.mode())) ? 1 : 0;
        }
        int removed = 0;
        for (String p : plan.remove()) {
            removed += attempt(p, () -> remove(p)) ? 1 : 0;
        }
        for (String p : plan.removeDirectories()) {
            attempt(p, () -> removeIfEmpty(p));
        }
        // Last, deepest first: a directory without write permission is filled before it gets its mode.
        for (AuxContent.Directory d : plan.directoryModes()) {
            modes += attempt(d.path(), () -> setMode(place(d.path(), true), d.mode())) ? 1 : 0;
        }
        for (Path dir : touched) {
            attempt(dir.toString(), () -> fsync(dir));
        }
        return new Done(written, bytes, links, modes, removed, problems);
    }

    private interface Step {
        void run() throws IOException;
    }

    /** Runs {@code step} on {@code path}; a failure is noted as a problem of the pull, which goes on. */
    private boolean attempt(String path, Step step) {
        try {
            step.run();
            return true;
        } catch (WalferryException e) {
            problems.add(new AuxSync.Problem(e.kind(), "aux directory " + name + ": " + path + ": " + e.oneLine()));
        } catch (IOException e) {
            problems.add(new AuxSync.Problem(Failure.LOCAL, "aux directory " + name + ": cannot write " + root.resolve(path) + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        }
        return false;
    }

    /**
     * {@code path} below the root, every directory on the way checked to be one (not a link), missing ones created
     * (with {@code andItself}, also {@code path} as a directory).
     */
    private Path place(String path, boolean andItself) throws IOException {
        String[] parts = path.split("/");
        Path at = root;
        for (int i = 0; i < parts.length - (andItself ? 0 : 1); i++) {
            at = at.resolve(parts[i]);
            Optional<BasicFileAttributes> a = attributes(at);
            if (a.isEmpty()) {
                Files.createDirectory(at, PrivateFiles.DIRECTORY);
                touched.add(at.getParent());
            } else if (!a.get().isDirectory()) {
                throw new WalferryException(Failure.LOCAL, at + " is " + (a.get().isSymbolicLink() ? "a symbolic link" : "a file")
                        + ", not a directory: nothing is written through it", "move it out of " + root);
            }
        }
        return root.resolve(path);
    }

    private static Optional<BasicFileAttributes> attributes(Path p) throws IOException {
        try {
            return Optional.of(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private void fetch(AuxContent.File f, List<AuxStore> sources) throws IOException {
        Path dest = place(f.path(), false);
        Path temp = dest.resolveSibling(AuxScan.temporaryName());
        try {
            try (FileChannel c = PrivateFiles.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ,
                    LinkOption.NOFOLLOW_LINKS)) {
                for (int i = 0; i < f.chunks().size(); i++) {
                    fetchChunk(c, f, i, sources);
                    done += f.chunkLength(i);
                    progress.copied(done, total);
                }
                c.force(true);
                if (!sha256(c).equals(f.sha256()) || c.size() != f.size()) {
                    throw new WalferryException(Failure.CORRUPT, "its chunks, each as its address names, do not make up the content "
                            + "the manifest gives (" + f.size() + " bytes of sha256 " + f.sha256() + "): refused",
                            "the manifest is not one walferry wrote; push again from the primary");
                }
            }
            setMode(temp, f.mode());
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        touched.add(dest.getParent());
        BasicFileAttributes a = Files.readAttributes(dest, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        index.put(new AuxScan.Stat(f.path(), a.size(), AuxScan.nanos(a), String.valueOf(a.fileKey()), f.mode()), f);
    }

    /**
     * Writes chunk {@code i} of {@code f} at its place in {@code c}, from the first source that holds an intact object of
     * exactly that content; a bad copy is cut off before the next source is tried.
     */
    private void fetchChunk(FileChannel c, AuxContent.File f, int i, List<AuxStore> sources) throws IOException {
        String sha = f.chunks().get(i);
        long offset = AuxContent.File.offset(i);
        WalferryException failure = null;
        List<String> missing = new ArrayList<>();
        for (AuxStore s : sources) {
            c.truncate(offset);
            ChunkOutput out = new ChunkOutput(c, offset);
            String key = s.objectKey(sha);
            try {
                if (s.repository().get(key, out, AuxContent.CHUNK_SIZE).isEmpty()) {
                    missing.add(s.repository().name());
                    continue;
                }
                if (out.matches(sha, f.chunkLength(i))) {
                    return;
                }
                failure = new WalferryException(Failure.CORRUPT, "object " + key + " in repository " + s.repository().name()
                        + " is intact but holds other content than its address names: refused", RESTORE_HINT);
            } catch (WalferryException e) {
                failure = failure == null ? e : failure;
            }
        }
        c.truncate(offset);
        if (failure != null && failure.kind() == Failure.CORRUPT) {
            throw new WalferryException(Failure.CORRUPT, failure.getMessage() + "; the file here was left as it is", RESTORE_HINT, failure);
        }
        if (failure != null) {
            throw failure;
        }
        throw new WalferryException(Failure.CORRUPT, "chunk " + sha + " is in no repository (" + String.join(", ", missing) + ")",
                RESTORE_HINT);
    }

    private static String sha256(FileChannel c) throws IOException {
        MessageDigest d = AuxHasher.sha256();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long position = 0;
        int n;
        while ((n = c.read(buf.clear(), position)) > 0) {
            d.update(buf.array(), 0, n);
            position += n;
        }
        return AuxHasher.hex(d.digest());
    }

    private void link(AuxContent.Link l) throws IOException {
        Path dest = place(l.path(), false);
        Path temp = dest.resolveSibling(AuxScan.temporaryName());
        try {
            Files.createSymbolicLink(temp, Path.of(l.target()));
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        index.forget(l.path());
        touched.add(dest.getParent());
    }

    private static void setMode(Path p, String mode) throws IOException {
        Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(AuxContent.permissions(mode));
    }

    private void remove(String path) throws IOException {
        Path p = place(path, false);
        Files.deleteIfExists(p);
        index.forget(path);
        touched.add(p.getParent());
    }

    private void removeIfEmpty(String path) throws IOException {
        Path p = place(path, false);
        Optional<BasicFileAttributes> a = attributes(p);
        if (a.isPresent() && a.get().isDirectory()) {
            try {
                Files.delete(p);
                touched.add(p.getParent());
            } catch (DirectoryNotEmptyException e) {
                // something the manifest does not list, and that stays (being written, or skipped)
            }
        }
    }

    private static void fsync(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
                c.force(true);
            }
        }
    }

    /** Writes a chunk at its place in a file, hashing it, so that it is kept only if it is the content its address names. */
    private static final class ChunkOutput extends OutputStream {
        private final FileChannel channel;
        private final MessageDigest digest = AuxHasher.sha256();
        private long position;
        private long written;

        ChunkOutput(FileChannel channel, long position) {
            this.channel = channel;
            this.position = position;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                position += channel.write(buf, position);
            }
            digest.update(b, off, len);
            written += len;
        }

        boolean matches(String sha256, long length) {
            return written == length && AuxHasher.hex(digest.digest()).equals(sha256);
        }
    }
}
