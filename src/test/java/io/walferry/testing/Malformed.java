package io.walferry.testing;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Property tests of readers of repository data: malformed variants of valid input (flipped bits, overwritten,
 * inserted or dropped bytes, cuts, repeated ranges, noise), each seeded so that a failure names the input that
 * made it, and a run of each under a deadline and an allocation budget.
 */
public final class Malformed {
    private static final byte[] EDGES = {0, 1, (byte) 0x7F, (byte) 0x80, (byte) 0xFF, (byte) 0xFE, 0x40};

    private Malformed() {
    }

    /** What a reader does with one input; it may throw only what the property allows. */
    @FunctionalInterface
    public interface Read {
        void run() throws Throwable;
    }

    /** One malformed variant of {@code valid}, from {@code seed}. */
    public static byte[] variant(byte[] valid, long seed) {
        Random r = new Random(seed);
        byte[] b = valid.clone();
        int edits = 1 + r.nextInt(r.nextInt(10) == 0 ? 40 : 4);
        for (int e = 0; e < edits; e++) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            switch (r.nextInt(8)) {
                case 0 -> {
                    if (b.length > 0) b[at] ^= (byte) (1 << r.nextInt(8));
                }
                case 1 -> {
                    if (b.length > 0) b[at] = EDGES[r.nextInt(EDGES.length)];
                }
                case 2 -> { // a run of one byte, as a length field set to its limits looks
                    for (int i = at; i < Math.min(b.length, at + 1 + r.nextInt(8)); i++) b[i] = r.nextBoolean() ? 0 : (byte) 0xFF;
                }
                case 3 -> b = Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length + 1));
                case 4 -> { // insert random bytes
                    byte[] ins = new byte[1 + r.nextInt(16)];
                    r.nextBytes(ins);
                    byte[] n = new byte[b.length + ins.length];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(ins, 0, n, at, ins.length);
                    System.arraycopy(b, at, n, at + ins.length, b.length - at);
                    b = n;
                }
                case 5 -> { // drop a range
                    int len = Math.min(b.length - at, 1 + r.nextInt(32));
                    byte[] n = new byte[b.length - len];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + len, n, at, b.length - at - len);
                    b = n;
                }
                case 6 -> { // repeat a range
                    int len = Math.min(b.length - at, 1 + r.nextInt(64));
                    byte[] n = new byte[b.length + len];
                    System.arraycopy(b, 0, n, 0, at + len);
                    System.arraycopy(b, at, n, at + len, b.length - at);
                    b = n;
                }
                default -> { // noise over a range
                    for (int i = at; i < Math.min(b.length, at + 1 + r.nextInt(64)); i++) b[i] = (byte) r.nextInt();
                }
            }
        }
        return b;
    }

    /** Random bytes, {@code prefix} first: noise that gets past a magic number. */
    public static byte[] noise(byte[] prefix, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[prefix.length + r.nextInt(4096)];
        r.nextBytes(b);
        System.arraycopy(prefix, 0, b, 0, prefix.length);
        return b;
    }

    /**
     * Runs {@code read}, which must end within {@code deadline}, allocate at most {@code maxAllocated} bytes and
     * throw nothing but {@code allowed}.
     */
    @SafeVarargs
    public static void readsOrFailsTyped(String input, Duration deadline, long maxAllocated, Read read,
                                         Class<? extends Throwable>... allowed) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = assertTimeoutPreemptively(deadline, () -> {
            long before = threads.getCurrentThreadAllocatedBytes();
            try {
                read.run();
            } catch (Throwable t) {
                if (Arrays.stream(allowed).noneMatch(a -> a.isInstance(t))) {
                    throw new AssertionError(input + ": " + t + " is not a typed failure", t);
                }
            }
            return threads.getCurrentThreadAllocatedBytes() - before;
        }, input + ": did not end within " + deadline);
        assertThat(allocated).as(input + ": bytes allocated").isLessThanOrEqualTo(maxAllocated);
    }
}
