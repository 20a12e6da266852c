package io.walferry.postgres;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A WAL position, as PostgreSQL prints it: "X/Y" in hex. Ordered as an unsigned 64-bit number. */
public record Lsn(long value) implements Comparable<Lsn> {
    /** Two groups of up to 8 hex digits, as pg_lsn reads them (no sign, no spaces). */
    private static final Pattern FORM = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    public static Lsn parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        return new Lsn((Long.parseLong(m.group(1), 16) << 32) | Long.parseLong(m.group(2), 16));
    }

    public long segmentNumber(long segmentSize) {
        return Long.divideUnsigned(value, segmentSize);
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
