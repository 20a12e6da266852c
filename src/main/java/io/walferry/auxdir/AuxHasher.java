package io.walferry.auxdir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Hashes a file of an aux directory: the SHA-256 of its content and of each {@link AuxContent#CHUNK_SIZE} chunk, read
 * once, never through a link. A file that changed while it was read (its size, time or identity differ afterwards, or
 * it ended elsewhere) has no valid hash: it is left for the next scan.
 */
final class AuxHasher {
    private static final int BUFFER = 1 << 20;

    private AuxHasher() {
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** The content of the file {@code s} describes, below {@code root}; empty if it changed (or vanished) while read. */
    static Optional<AuxContent.File> hash(Path root, AuxScan.Stat s) throws IOException {
        Path file = root.resolve(s.path());
        MessageDigest whole = sha256();
        MessageDigest chunk = sha256();
        List<String> chunks = new ArrayList<>();
        long read = 0;
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER);
            while (read < s.size()) {
                buf.clear().limit((int) Math.min(BUFFER, AuxContent.CHUNK_SIZE - read % AuxContent.CHUNK_SIZE));
                int n = c.read(buf);
                if (n < 0) {
                    return Optional.empty();
                }
                whole.update(buf.array(), 0, n);
                chunk.update(buf.array(), 0, n);
                read += n;
                if (read % AuxContent.CHUNK_SIZE == 0 || read == s.size()) {
                    chunks.add(hex(chunk.digest()));
                }
            }
            if (c.read(ByteBuffer.allocate(1)) > 0) {
                return Optional.empty();
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        BasicFileAttributes after;
        try {
            after = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (after.size() != s.size() || AuxScan.nanos(after) != s.modifiedNanos() || !String.valueOf(after.fileKey()).equals(s.fileKey())) {
            return Optional.empty();
        }
        return Optional.of(new AuxContent.File(s.path(), s.size(), s.mode(), hex(whole.digest()), chunks));
    }
}
