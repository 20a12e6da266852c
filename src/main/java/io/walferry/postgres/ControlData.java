package io.walferry.postgres;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What pg_controldata says of a stopped server that decides where its WAL ends: a cleanly stopped primary
 * ("shut down") wrote its shutdown checkpoint last, so every record it wrote lies before that checkpoint.
 */
public record ControlData(String systemIdentifier, String state, Lsn checkpoint, int timeline, long segmentSize) {
    /** pg_control's state of a primary stopped cleanly (a standby's is "shut down in recovery"). */
    public static final String SHUT_DOWN = "shut down";
    /** The long page header that opens every segment (XLogLongPageHeaderData, 40 bytes on every platform). */
    private static final long LONG_PAGE_HEADER = 40;

    /** Parses pg_controldata's output, run with LC_ALL=C; empty if a line walferry needs is missing. */
    public static Optional<ControlData> parse(String output) {
        Map<String, String> v = new HashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                v.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        String id = v.get("Database system identifier");
        String state = v.get("Database cluster state");
        String checkpoint = v.get("Latest checkpoint location");
        String timeline = v.get("Latest checkpoint's TimeLineID");
        String segment = v.get("Bytes per WAL segment");
        if (id == null || state == null || checkpoint == null || timeline == null || segment == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ControlData(id, state, Lsn.parse(checkpoint), Integer.parseInt(timeline), Long.parseLong(segment)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public boolean shutDownCleanly() {
        return SHUT_DOWN.equals(state);
    }

    /**
     * The position a replica must hold to have every record this primary wrote before its shutdown checkpoint.
     * With archiving on, PostgreSQL switches to a new segment before that checkpoint, so the last archived
     * segment ends at the start of the checkpoint's segment, and an archive-fed replica can get no further: when
     * only the page header lies between that start and the checkpoint, the start is enough.
     */
    public Lsn walEnd() {
        long offset = Long.remainderUnsigned(checkpoint.value(), segmentSize);
        return offset == LONG_PAGE_HEADER ? new Lsn(checkpoint.value() - LONG_PAGE_HEADER) : checkpoint;
    }
}
