package io.walferry.postgres;

import java.util.regex.Pattern;

/**
 * The name of a file PostgreSQL archives: a WAL segment, a partial segment, a timeline history file or a
 * backup history file. Parsing a name is the first check of archive-push and archive-get, so that nothing
 * else (a path, a typo) ever reaches a repository.
 */
public sealed interface WalFileName permits WalFileName.Segment, WalFileName.Partial, WalFileName.History,
        WalFileName.BackupHistory {
    Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    Pattern PARTIAL = Pattern.compile("([0-9A-F]{24})\\.partial");
    Pattern HISTORY = Pattern.compile("([0-9A-F]{8})\\.history");
    Pattern BACKUP = Pattern.compile("([0-9A-F]{24})\\.([0-9A-F]{8})\\.backup");

    String fileName();

    int timeline();

    /** A full 16-hex-digit WAL segment: timeline, then the segment number split in two 8-digit halves. */
    record Segment(String fileName) implements WalFileName {
        @Override
        public int timeline() {
            return (int) Long.parseLong(fileName.substring(0, 8), 16);
        }

        /** The segment number for a given segment size (the name's two halves count 4 GiB and segments). */
        public long segmentNumber(long segmentSize) {
            long log = Long.parseLong(fileName.substring(8, 16), 16);
            long seg = Long.parseLong(fileName.substring(16, 24), 16);
            return log * (0x1_0000_0000L / segmentSize) + seg;
        }

        /** True when the low half is within what this segment size allows (names of 64 MB clusters stop at 3F). */
        public boolean validFor(long segmentSize) {
            long seg = Long.parseLong(fileName.substring(16, 24), 16);
            return seg < 0x1_0000_0000L / segmentSize;
        }

        public static Segment of(int timeline, long segmentNumber, long segmentSize) {
            long perLog = 0x1_0000_0000L / segmentSize;
            return new Segment(String.format("%08X%08X%08X", timeline, segmentNumber / perLog, segmentNumber % perLog));
        }

        /** The segment that follows this one on the same timeline. */
        public Segment next(long segmentSize) {
            return of(timeline(), segmentNumber(segmentSize) + 1, segmentSize);
        }
    }

    record Partial(String fileName, Segment segment) implements WalFileName {
        @Override
        public int timeline() {
            return segment.timeline();
        }
    }

    record History(String fileName) implements WalFileName {
        @Override
        public int timeline() {
            return (int) Long.parseLong(fileName.substring(0, 8), 16);
        }
    }

    record BackupHistory(String fileName, Segment segment) implements WalFileName {
        @Override
        public int timeline() {
            return segment.timeline();
        }
    }

    /** The directory grouping a file in a repository: timeline and high half of the segment number. */
    default String group() {
        return switch (this) {
            case Segment s -> s.fileName().substring(0, 16);
            case Partial p -> p.segment().fileName().substring(0, 16);
            case BackupHistory b -> b.segment().fileName().substring(0, 16);
            case History h -> "history";
        };
    }

    static WalFileName parse(String name) {
        if (SEGMENT.matcher(name).matches()) {
            return new Segment(name);
        }
        var m = PARTIAL.matcher(name);
        if (m.matches()) {
            return new Partial(name, new Segment(m.group(1)));
        }
        m = HISTORY.matcher(name);
        if (m.matches()) {
            return new History(name);
        }
        m = BACKUP.matcher(name);
        if (m.matches()) {
            return new BackupHistory(name, new Segment(m.group(1)));
        }
        throw new IllegalArgumentException("\"" + name + "\" is not the name of a WAL segment, partial segment, "
                + ".history or .backup file");
    }
}
