package io.walferry.agent;

import io.walferry.testing.Await;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The ordering rules of a complete segment stored whole while the next segment's pieces are (docs/streaming.md,
 * "Pieces in flight"): the segment's end is a step confirmed in order, its follow-up (deleting its pieces) starts only
 * once it and every step before it are stored, and nothing after a failed segment end is confirmed.
 */
class PiecesInFlightTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** A store that ends when the test lets it: stored, or failed. */
    private static final class Held implements PiecesInFlight.Store {
        private final CountDownLatch go = new CountDownLatch(1);
        private volatile boolean fail;

        @Override
        public void run() {
            try {
                if (!go.await(1, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("never let go");
                }
                if (fail) {
                    throw new IllegalStateException("cannot store");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }


        void store() {
            go.countDown();
        }

        void failIt() {
            fail = true;
            go.countDown();
        }
    }

    private static PiecesInFlight.Piece piece(String segment, PiecesInFlight.Store store) {
        return new PiecesInFlight.Piece(segment, "repo1", true, store);
    }

    /** Polls until the steps' states say {@code done}, collecting the positions confirmed on the way. */
    private static PiecesInFlight.Progress awaitProgress(PiecesInFlight inFlight, List<Long> confirmed, java.util.function.Predicate<PiecesInFlight.Progress> done) {
        PiecesInFlight.Progress[] last = new PiecesInFlight.Progress[1];
        Await.until(DEADLINE, "the steps in flight to settle", () -> {
            last[0] = inFlight.progress();
            last[0].decision().confirm().ifPresent(confirmed::add);
            return done.test(last[0]);
        });
        return last[0];
    }

    @Test
    void theNextSegmentsPiecesAreConfirmedOnlyOnceTheSegmentBeforeIsStoredWhole() {
        try (PiecesInFlight inFlight = new PiecesInFlight(4, 1)) {
            Held whole = new Held();
            Held next = new Held();
            CountDownLatch followedUp = new CountDownLatch(1);
            inFlight.submitSegmentEnd(1000, piece("A", whole), followedUp::countDown);
            inFlight.submit(1150, List.of(piece("B", next)));
            next.store();
            Await.until(DEADLINE, "the next segment's piece to be stored", () -> inFlight.running() == 1);
            assertThat(inFlight.progress().decision().confirm()).as("a piece past a segment not yet stored whole is not confirmed").isEmpty();
            assertThat(followedUp.getCount()).as("nothing deleted before the segment is stored whole").isEqualTo(1);
            whole.store();
            List<Long> confirmed = new ArrayList<>();
            awaitProgress(inFlight, confirmed, p -> inFlight.isEmpty());
            assertThat(confirmed).as("both at once, in order").containsExactly(1150L);
        }
    }

    @Test
    void theFollowUpStartsOnlyOnceTheSegmentEndAndEveryStepBeforeItAreStored() throws InterruptedException {
        try (PiecesInFlight inFlight = new PiecesInFlight(4, 1)) {
            Held lastPiece = new Held();
            Held whole = new Held();
            CountDownLatch followedUp = new CountDownLatch(1);
            inFlight.submit(900, List.of(piece("A", lastPiece)));
            inFlight.submitSegmentEnd(1000, piece("A", whole), followedUp::countDown);
            whole.store();
            List<Long> confirmed = new ArrayList<>();
            // the whole segment is stored before the segment's last piece: its pieces must not go while one is written
            Await.until(DEADLINE, "the whole segment to be stored", () -> inFlight.running() == 1);
            inFlight.progress().decision().confirm().ifPresent(confirmed::add);
            assertThat(confirmed).isEmpty();
            assertThat(followedUp.getCount()).isEqualTo(1);
            lastPiece.store();
            awaitProgress(inFlight, confirmed, p -> inFlight.isEmpty());
            assertThat(confirmed).containsExactly(1000L);
            assertThat(followedUp.await(30, TimeUnit.SECONDS)).as("the pieces are deleted once both are settled").isTrue();
        }
    }

    @Test
    void aFailedSegmentEndStopsTheStreamNothingAfterItIsConfirmedAndNoPieceIsDeleted() {
        AtomicBoolean followedUp = new AtomicBoolean();
        try (PiecesInFlight inFlight = new PiecesInFlight(4, 1)) {
            Held before = new Held();
            Held whole = new Held();
            Held after = new Held();
            inFlight.submit(900, List.of(piece("A", before)));
            inFlight.submitSegmentEnd(1000, piece("A", whole), () -> followedUp.set(true));
            inFlight.submit(1100, List.of(piece("B", after)));
            before.store();
            after.store();
            whole.failIt();
            inFlight.drain();
            PiecesInFlight.Progress p = inFlight.progress();
            assertThat(p.decision().stop()).isTrue();
            assertThat(p.decision().confirm()).as("what was stored before the segment end").hasValue(900L);
            assertThat(p.failure()).get().extracting(Throwable::getMessage).isEqualTo("cannot store");
        }
        assertThat(followedUp).as("pieces of a segment not stored whole stay").isFalse();
    }

    @Test
    void aSegmentEndTakesNoRoomOfThePiecesLimitAndOnlyOneIsInFlight() {
        try (PiecesInFlight inFlight = new PiecesInFlight(1, 1)) {
            Held whole = new Held();
            Held next = new Held();
            inFlight.submitSegmentEnd(1000, piece("A", whole), () -> { });
            assertThat(inFlight.hasRoom()).as("the next segment's pieces are stored while it is stored whole").isTrue();
            inFlight.submit(1100, List.of(piece("B", next)));
            assertThat(inFlight.hasRoom()).isFalse();
            assertThatThrownBy(() -> inFlight.submitSegmentEnd(2000, piece("B", new Held()), () -> { }))
                    .isInstanceOf(IllegalStateException.class);
            whole.store();
            next.store();
            awaitProgress(inFlight, new ArrayList<>(), p -> inFlight.isEmpty());
            assertThat(inFlight.segmentEndInFlight()).isFalse();
        }
    }

    @Test
    void closingWaitsForAFollowUpThatIsRunning() {
        AtomicBoolean deleted = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        PiecesInFlight inFlight = new PiecesInFlight(4, 1);
        Held whole = new Held();
        inFlight.submitSegmentEnd(1000, piece("A", whole), () -> {
            running.countDown();
            try {
                go.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleted.set(true);
        });
        whole.store();
        awaitProgress(inFlight, new ArrayList<>(), p -> inFlight.isEmpty());
        Thread.ofPlatform().start(() -> {
            try {
                running.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            go.countDown();
        });
        inFlight.close();
        assertThat(deleted).as("the next session never races a deletion of this one").isTrue();
    }
}
