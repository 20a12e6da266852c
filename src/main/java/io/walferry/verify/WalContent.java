package io.walferry.verify;

import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import io.walferry.postgres.WalSegmentCheck;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Checks that a decoded WAL file is what its name says, as archive-push checked it before storing it: its
 * checksum only proves that it is the file that was stored under that name, and without encryption (which binds
 * an object to its name) a valid object could have been copied to another name.
 */
final class WalContent {
    private static final int PAGE = 8192;
    private static final int MAX_TEXT = 1 << 20;

    private WalContent() {
    }

    /** Receives a decoded file: keeps its first bytes (what the check reads) and counts the rest. */
    static final class Head extends OutputStream {
        private final byte[] kept;
        private int keptLength;
        private long size;

        Head(WalFileName name) {
            kept = new byte[name instanceof WalFileName.Segment || name instanceof WalFileName.Partial ? PAGE : MAX_TEXT];
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

        long size() {
            return size;
        }

        byte[] bytes() {
            return Arrays.copyOf(kept, keptLength);
        }
    }

    /** What is wrong with the decoded file, or empty when it is what its name says. */
    static Optional<String> problem(WalFileName name, Head head, ClusterIdentity cluster) {
        return switch (name) {
            case WalFileName.Segment s -> WalSegmentCheck.problem(s, head.size(), ByteBuffer.wrap(head.bytes()), cluster);
            case WalFileName.Partial p -> WalSegmentCheck.problem(p.segment(), head.size(), ByteBuffer.wrap(head.bytes()), cluster);
            case WalFileName.History h -> historyProblem(h, head);
            case WalFileName.BackupHistory b -> text(head).filter(t -> t.contains("START WAL LOCATION:")).isPresent() ? Optional.empty()
                    : Optional.of("is not a backup history file");
        };
    }

    /** The parsed history file, when it is one. */
    static Optional<TimelineHistory> history(WalFileName.History name, Head head) {
        try {
            return text(head).map(t -> TimelineHistory.parse(name.timeline(), t));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> historyProblem(WalFileName.History name, Head head) {
        Optional<String> text = text(head);
        if (text.isEmpty()) {
            return Optional.of("is not a text file, as a timeline history file is");
        }
        try {
            TimelineHistory.parse(name.timeline(), text.get());
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static Optional<String> text(Head head) {
        if (head.size() > MAX_TEXT) {
            return Optional.empty();
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(head.bytes())).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
