package io.walferry.agent;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

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
 * piece per repository, written at once on threads of their own while the session receives the next WAL. What may be
 * confirmed is decided by {@link ConfirmOrder} from the steps' states, oldest first. Closing waits for every piece
 * still being written, so that the next session never meets a write of this one.
 */
final class PiecesInFlight implements AutoCloseable {
    /** Stores one piece in one repository; throws when it could not. */
    interface Store {
        void run();
    }

    /** A piece to store: {@code required} repositories' pieces decide the step's state. */
    record Piece(String repository, boolean required, Store store) {
    }

    /** An optional repository whose piece failed: it gets the rest of the segment only whole. */
    record Dropped(String repository, WalferryException failure) {
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

    private record Step(long end, List<Written> pieces) {
    }

    private final int limit;
    private final ExecutorService writers;
    private final ArrayDeque<Step> steps = new ArrayDeque<>();
    /** Released by every piece that ends, so that the session waits for one without polling. */
    private final Semaphore ended = new Semaphore(0);
    private final List<Future<?>> dropsTold = new ArrayList<>();

    PiecesInFlight(int limit, int repositories) {
        this.limit = limit;
        this.writers = Executors.newFixedThreadPool(Math.max(1, limit * repositories),
                Thread.ofPlatform().name("stream-piece-", 0).daemon().factory());
    }

    boolean hasRoom() {
        return steps.size() < limit;
    }

    boolean isEmpty() {
        return steps.isEmpty();
    }

    /** Starts storing one step's pieces; {@code end}: the position every required repository holds once they are stored. */
    void submit(long end, List<Piece> pieces) {
        List<Written> written = new ArrayList<>(pieces.size());
        for (Piece p : pieces) {
            written.add(new Written(p, writers.submit(() -> {
                try {
                    p.store().run();
                } finally {
                    ended.release();
                }
            })));
        }
        steps.addLast(new Step(end, List.copyOf(written)));
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
                        dropped.add(new Dropped(w.piece().repository(), e));
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
            for (Written w : steps.removeFirst().pieces()) {
                dropsTold.remove(w.future());
            }
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
    }
}
