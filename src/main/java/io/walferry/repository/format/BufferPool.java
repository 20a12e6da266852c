package io.walferry.repository.format;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Buffers of one kind and size kept for reuse. Objects are written one after another (an agent's segments, a
 * backup's thousand files); allocating, zeroing and collecting fresh multi-megabyte buffers for each costs
 * more CPU than compressing them (docs/benchmarks.md, "Backup and restore"). At most {@code max} idle buffers
 * are kept; more are left to the GC.
 */
public final class BufferPool<T> {
    private final Supplier<T> make;
    private final int max;
    private final ConcurrentLinkedDeque<T> free = new ConcurrentLinkedDeque<>();
    private final AtomicInteger kept = new AtomicInteger();

    public BufferPool(Supplier<T> make, int max) {
        this.make = make;
        this.max = max;
    }

    /** A pool of byte arrays of {@code size}. */
    public static BufferPool<byte[]> arrays(int size, int max) {
        return new BufferPool<>(() -> new byte[size], max);
    }

    public T take() {
        T b = free.pollFirst();
        if (b == null) {
            return make.get();
        }
        kept.decrementAndGet();
        return b;
    }

    /** Gives back a buffer taken from this pool; the caller must not use it afterwards. */
    public void give(T b) {
        if (kept.incrementAndGet() <= max) {
            free.offerFirst(b);
        } else {
            kept.decrementAndGet();
        }
    }
}
