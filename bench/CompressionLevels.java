import io.walferry.config.Compression;
import io.walferry.config.CompressionType;
import io.walferry.repository.format.ObjectCodec;
import io.walferry.repository.format.ObjectSink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Ratio and single-core speed of each compression setting on real WAL, through walferry's own object
 * codec (compression, XXH64 of the original, CRC-32C of the payload), in memory so that no disk is timed.
 * Run by bench/compression-levels.sh.
 */
public class CompressionLevels {
    /** Collects the payload; the header is dropped (its size is the same for every setting). */
    static final class CountingSink implements ObjectSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 << 20);

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        @Override
        public void finish(ByteBuffer header) {
            byte[] h = new byte[header.remaining()];
            header.get(h);
            byte[] p = bytes.toByteArray();
            bytes.reset();
            bytes.writeBytes(h);
            bytes.writeBytes(p);
        }
    }

    public static void main(String[] args) throws Exception {
        Path walDir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        List<byte[]> segments = new ArrayList<>();
        try (Stream<Path> s = Files.list(walDir)) {
            // Evenly spread over the whole backlog: its first segments are initdb and a bulk load, not the workload.
            List<Path> all = s.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")).sorted().toList();
            for (int i = 0; i < count && i < all.size(); i++) {
                segments.add(Files.readAllBytes(all.get((int) ((long) i * all.size() / Math.min(count, all.size())))));
            }
        }
        long original = segments.stream().mapToLong(b -> b.length).sum();
        System.out.printf("# %d segments spread over %s, %d MB, one thread; MB/s of original bytes%n", segments.size(), walDir, original >> 20);
        String[] settings = args.length > 2 ? args[2].split(",")
                : "none,lz4:0,lz4:3,lz4:9,zstd:1,zstd:3,zstd:6,zstd:9".split(",");
        for (String setting : settings) {
            String[] kv = setting.split(":");
            CompressionType type = CompressionType.valueOf(kv[0].toUpperCase());
            Compression c = new Compression(type, kv.length > 1 ? Integer.parseInt(kv[1]) : type.defaultLevel());
            // one untimed pass over a few segments so that the JIT has compiled the codec
            for (int i = 0; i < Math.min(3, segments.size()); i++) {
                ObjectCodec.encode(new ByteArrayInputStream(segments.get(i)), new CountingSink(), c);
            }
            long stored = 0;
            List<byte[]> objects = new ArrayList<>();
            long t0 = System.nanoTime();
            for (byte[] seg : segments) {
                CountingSink sink = new CountingSink();
                ObjectCodec.encode(new ByteArrayInputStream(seg), sink, c);
                byte[] object = sink.bytes.toByteArray();
                stored += object.length;
                objects.add(object);
            }
            long t1 = System.nanoTime();
            for (byte[] object : objects) {
                ObjectCodec.decode(new ByteArrayInputStream(object), OutputStream.nullOutputStream());
            }
            long t2 = System.nanoTime();
            System.out.printf("%-8s ratio=%5.2f  encode=%7.1f MB/s  decode=%7.1f MB/s  stored=%d MB%n", setting,
                    (double) original / stored, original / 1048576.0 / ((t1 - t0) / 1e9),
                    original / 1048576.0 / ((t2 - t1) / 1e9), stored >> 20);
        }
    }
}
