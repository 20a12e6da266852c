package io.walferry.postgres;

import java.util.Map;

/**
 * A PostgreSQL major version and the WAL page magic it writes. The magic changes whenever the WAL format
 * does, so it is how a segment's version is recognised without reading any record.
 */
public record PgVersion(int major) {
    private static final Map<Integer, Integer> WAL_MAGIC = Map.of(
            12, 0xD101, 13, 0xD106, 14, 0xD10D, 15, 0xD110, 16, 0xD113, 17, 0xD116);

    /** From server_version_num, e.g. 150018 is 15. */
    public static PgVersion fromVersionNum(int versionNum) {
        return new PgVersion(versionNum / 10000);
    }

    public boolean supported() {
        return WAL_MAGIC.containsKey(major);
    }

    public int walMagic() {
        Integer m = WAL_MAGIC.get(major);
        if (m == null) {
            throw new IllegalStateException("PostgreSQL " + major + " is not supported");
        }
        return m;
    }

    public static String supportedList() {
        return WAL_MAGIC.keySet().stream().sorted().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("");
    }

    @Override
    public String toString() {
        return String.valueOf(major);
    }
}
