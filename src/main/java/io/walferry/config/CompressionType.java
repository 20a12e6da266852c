package io.walferry.config;

import java.util.Locale;

/** The compression algorithms a repository object may use, with the level range each accepts. */
public enum CompressionType {
    NONE(0, 0, 0),
    LZ4(1, 0, 17),
    ZSTD(2, 1, 19);

    private final int id;
    private final int minLevel;
    private final int maxLevel;

    CompressionType(int id, int minLevel, int maxLevel) {
        this.id = id;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
    }

    /** The identifier stored in an object's header; never change it for an existing type. */
    public int id() {
        return id;
    }

    public int minLevel() {
        return minLevel;
    }

    public int maxLevel() {
        return maxLevel;
    }

    /** lz4 level 0 is the fast compressor; 1 and above use LZ4 HC. zstd 3 is its own default. */
    public int defaultLevel() {
        return switch (this) {
            case NONE, LZ4 -> 0;
            case ZSTD -> 3;
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CompressionType fromId(int id) {
        for (CompressionType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown compression id " + id);
    }
}
