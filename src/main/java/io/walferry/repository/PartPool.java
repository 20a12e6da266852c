package io.walferry.repository;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Part-sized arrays kept for reuse by the objects an S3 repository writes. An agent writes one object
 * after another; allocating (and zeroing, and collecting) a fresh 16 MiB array each time cost more CPU
 * than the compression of some segments. At most {@code max} arrays are kept; more are left to the GC.
 */
final class PartPool {
    private final int size;
    private final int max;
    private final ConcurrentLinkedDeque<byte[]> free = new ConcurrentLinkedDeque<>();
    private final AtomicInteger kept = new AtomicInteger();

    PartPool(int size, int max) {
        this.size = size;
        this.max = max;
    }

    int size() {
        return size;
    }

    byte[] take() {
        byte[] b = free.pollFirst();
        if (b == null) {
            return new byte[size];
        }
        kept.decrementAndGet();
        return b;
    }

    void give(byte[] b) {
        if (b.length == size && kept.incrementAndGet() <= max) {
            free.offerFirst(b);
        } else if (b.length == size) {
            kept.decrementAndGet();
        }
    }
}
