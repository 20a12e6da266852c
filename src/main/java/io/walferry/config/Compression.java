package io.walferry.config;

/** A compression algorithm with its level, as configured for new objects. */
public record Compression(CompressionType type, int level) {
    public static final Compression NONE = new Compression(CompressionType.NONE, 0);

    public static Compression defaultFor(CompressionType type) {
        return new Compression(type, type.defaultLevel());
    }

    @Override
    public String toString() {
        return type == CompressionType.NONE ? "none" : type.label() + ":" + level;
    }
}
