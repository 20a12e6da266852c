package io.walferry.agent;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A stream session's store steps in flight (docs/streaming.md, "Pieces in flight"): up to {@code limit} steps, each one
 * piece per repository, written at once on threads of their own while the session receives the next WAL, and at most
 * one segment end (the complete segment stored whole, on a thread of its own), which is a step in the same order
 * but not one of the {@code limit}. What may be confirmed is decided by {@link ConfirmOrder} from the steps' states,
 * oldest first. A segment end's follow-up (deleting the segment's pieces) starts only once it and every step before
 * it are settled, on a thread of its own, so neither holds up the next WAL. Closing waits for every piece, segment
 * end and follow-up still running, so that the next session never meets a write of this one.
 */
final class PiecesInFlight implements AutoCloseable {
    /** Stores one piece in one repository; throws when it could not. */
    interface Store {
        void run();
    }

    /** A piece of {@code segment} to store: {@code required} repositories' pieces decide the step's state. */
    record Piece(String segment, String repository, boolean required, Store store) {
    }

    /** An optional repository whose piece of {@code segment} failed: it gets the rest of that segment only whole. */
    record Dropped(String segment, String repository, WalferryException failure) {
    }

    /**
     * What the steps in flight came to.
     *
     * @param decision which position may be confirmed, how many steps are done with, whether one failed
     * @param failure  the failure of the first failed step (present exactly when the decision stops the stream)
     * @param dropped  optional repositories whose pieces failed since the last look, each told once
     */
    record Progress(ConfirmOrder.Decision decision, Optional<RuntimeException> failure, List<Dropped> dropped) {
    }

    private record Written(Piece piece, Future<?> future) {
    }

    /** {@code settled}: what to start once the step and every one before it are stored (a segment end's follow-up). */
    private record Step(long end, List<Written> pieces, Optional<Runnable> settled) {
        boolean segmentEnd() {
            return settled.isPresent();
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(PiecesInFlight.class);

    private final int limit;
    private final ExecutorService writers;
    /** Stores complete segments whole: never waits behind pieces, and pieces never wait behind it. */
    private final ExecutorService segmentEnds = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("stream-segment-end").daemon().factory());
    /** Runs settled segment ends' follow-ups, one after the other. */
    private final ExecutorService followUps = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("stream-follow-up").daemon().factory());
    private final ArrayDeque<Step> steps = new ArrayDeque<>();
    /** Released by every piece that ends, so that the session waits for one without polling. */
    private final Semaphore ended = new Semaphore(0);
    private final List<Future<?>> dropsTold = new ArrayList<>();

    PiecesInFlight(int limit, int repositories) {
        this.limit = limit;
        this.writers = Executors.newFixedThreadPool(Math.max(1, limit * repositories),
                Thread.ofPlatform().name("stream-piece-", 0).daemon().factory());
    }

    /** Room for another step of pieces: a segment end in flight takes none of it. */
    boolean hasRoom() {
        return steps.size() - (segmentEndInFlight() ? 1 : 0) < limit;
    }

    boolean isEmpty() {
        return steps.isEmpty();
    }

    /** A segment end not settled yet: the next one waits for it (each holds its segment's bytes). */
    boolean segmentEndInFlight() {
        return steps.stream().anyMatch(Step::segmentEnd);
    }

    /** Starts storing one step's pieces; {@code end}: the position every required repository holds once they are stored. */
    void submit(long end, List<Piece> pieces) {
        List<Written> written = new ArrayList<>(pieces.size());
        for (Piece p : pieces) {
            written.add(new Written(p, writers.submit(signalling(p.store()))));
        }
        steps.addLast(new Step(end, List.copyOf(written), Optional.empty()));
    }

    /**
     * Starts storing a complete segment whole ({@code store}, a required step: its failure stops the stream);
     * {@code end}: the segment's end, confirmed once it and every step before it are stored. {@code settled} starts then,
     * on a thread of its own; what it throws is logged. Only one segment end is in flight at a time.
     */
    void submitSegmentEnd(long end, Piece whole, Runnable settled) {
        if (segmentEndInFlight()) {
            throw new IllegalStateException("a segment end is in flight already");
        }
        Written w = new Written(whole, segmentEnds.submit(signalling(whole.store())));
        steps.addLast(new Step(end, List.of(w), Optional.of(settled)));
    }

    private Runnable signalling(Store store) {
        return () -> {
            try {
                store.run();
            } finally {
                ended.release();
            }
        };
    }

    /** How many pieces and segment ends are still being written. */
    long running() {
        return steps.stream().flatMap(s -> s.pieces().stream()).filter(w -> !w.future().isDone()).count();
    }

    /** Waits until a piece ends, at most {@code d}. */
    void awaitAPiece(Duration d) throws InterruptedException {
        if (ended.tryAcquire(d.toNanos(), TimeUnit.NANOSECONDS)) {
            ended.drainPermits();
        }
    }

    /** The steps' states now; the steps stored (and so confirmed by the caller) are forgotten. */
    Progress progress() {
        List<ConfirmOrder.Step> states = new ArrayList<>(steps.size());
        List<Dropped> dropped = new ArrayList<>();
        List<Optional<RuntimeException>> failures = new ArrayList<>(steps.size());
        for (Step s : steps) {
            Optional<RuntimeException> failure = Optional.empty();
            boolean running = false;
            for (Written w : s.pieces()) {
                if (!w.future().isDone()) {
                    running = true;
                    continue;
                }
                Optional<RuntimeException> f = failureOf(w.future());
                if (f.isEmpty()) {
                    continue;
                }
                if (!w.piece().required() && f.get() instanceof WalferryException e && e.kind() != Failure.CONFLICT) {
                    if (!dropsTold.contains(w.future())) {
                        dropsTold.add(w.future());
                        dropped.add(new Dropped(w.piece().segment(), w.piece().repository(), e));
                    }
                } else if (failure.isEmpty()) {
                    failure = f;
                }
            }
            failures.add(failure);
            states.add(new ConfirmOrder.Step(s.end(), failure.isPresent() ? ConfirmOrder.State.FAILED
                    : running ? ConfirmOrder.State.PENDING : ConfirmOrder.State.STORED));
        }
        ConfirmOrder.Decision d = ConfirmOrder.decide(states);
        for (int i = 0; i < d.settled(); i++) {
            Step s = steps.removeFirst();
            for (Written w : s.pieces()) {
                dropsTold.remove(w.future());
            }
            s.settled().ifPresent(followUp -> followUps.execute(() -> {
                try {
                    followUp.run();
                } catch (RuntimeException e) {
                    LOG.warn("stream: after a segment end: {}", e.getMessage());
                }
            }));
        }
        return new Progress(d, d.failed().isPresent() ? failures.get(d.failed().getAsInt()) : Optional.empty(), dropped);
    }

    /** Waits until every piece in flight has ended, stored or not. */
    void drain() {
        for (Step s : steps) {
            for (Written w : s.pieces()) {
                failureOf(w.future());
            }
        }
    }

    /** Waits for {@code f} to end; what it threw, if it did. */
    private static Optional<RuntimeException> failureOf(Future<?> f) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    f.get();
                    return Optional.empty();
                } catch (InterruptedException e) {
                    interrupted = true; // a piece being written is waited for: the next session must not meet it
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException r) {
                        return Optional.of(r);
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    return Optional.of(new IllegalStateException(c));
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        drain();
        writers.shutdown();
        segmentEnds.shutdown();
        followUps.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                // a follow-up deletes pieces: the next session's first look at the repository must not race it
                if (followUps.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
                LOG.info("stream: still deleting the pieces of a stored segment");
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
