package io.walferry.verify;

import io.walferry.archive.WalFileCheck;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Checks that a decoded WAL file is what its name says, as archive-push checked it before storing it
 * ({@link WalFileCheck}): its checksum only proves that it is the file that was stored under that name, and
 * without encryption (which binds an object to its name) a valid object could have been copied to another name.
 */
final class WalContent {
    private WalContent() {
    }

    /** Receives a decoded file: keeps its first bytes (what the check reads) and counts the rest. */
    static final class Head extends OutputStream {
        private final byte[] kept;
        private int keptLength;
        private long size;

        Head(WalFileName name) {
            kept = new byte[WalFileCheck.headSize(name)];
        }

        @Override
        public void write(int b) {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            int take = Math.min(len, kept.length - keptLength);
            System.arraycopy(b, off, kept, keptLength, take);
            keptLength += take;
            size += len;
        }

        byte[] bytes() {
            return Arrays.copyOf(kept, keptLength);
        }
    }

    /** What is wrong with the decoded file, or empty when it is what its name says. */
    static Optional<String> problem(WalFileName name, Head head, ClusterIdentity cluster) {
        return WalFileCheck.problem(name, head.size, head.bytes(), cluster);
    }

    /** The parsed history file, when it is one ({@link #problem} found nothing wrong with it). */
    static Optional<TimelineHistory> history(WalFileName.History name, Head head) {
        try {
            return Optional.of(TimelineHistory.parse(name.timeline(), new String(head.bytes(), StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
