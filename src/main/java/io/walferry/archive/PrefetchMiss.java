package io.walferry.archive;

/**
 * The segment the queue's {@code .missing} names now, or none: a launcher waiting for that segment stops waiting
 * and asks the archive itself (or the prefetcher, on a standby). The file is rewritten only when this changes.
 *
 * @param segment the segment marked missing, null for none
 */
record PrefetchMiss(String segment) {
    static final PrefetchMiss NONE = new PrefetchMiss(null);

    /**
     * After the fetch of {@code fetched} ended: marked when it found nothing, cleared as soon as a fetch finds
     * something (replay is moving again).
     */
    PrefetchMiss after(String fetched, boolean found) {
        return found ? NONE : new PrefetchMiss(fetched);
    }

    boolean marked() {
        return segment != null;
    }
}
