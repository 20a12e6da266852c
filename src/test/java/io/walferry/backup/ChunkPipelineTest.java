package io.walferry.backup;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parallel chunk work of backup and restore: results in order, progress, and the first failure ending the run. */
class ChunkPipelineTest {
    /** Every progress report, as (done, total). */
    private static final class Reports implements BaseBackup.Progress {
        final List<long[]> seen = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void copied(long done, long total) {
            seen.add(new long[]{done, total});
        }
    }

    /** Waits for {@code latch} (at most minutes: a test never relies on that); true when interrupted instead. */
    private static boolean interruptedWaiting(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.MINUTES);
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }

    private static ChunkPipeline pipeline(int threads, Reports reports, long total) {
        return new ChunkPipeline("test", threads, reports, total,
                e -> new WalferryException(Failure.LOCAL, "cannot write: " + e.getMessage(), "check the disk", e));
    }

    @Test
    void resultsComeInTheOrderOfTheJobsWhateverOrderTheyFinishIn() {
        Reports reports = new Reports();
        CountDownLatch firstMayFinish = new CountDownLatch(1);
        List<ChunkPipeline.Job<Long>> jobs = List.of(
                () -> {
                    interruptedWaiting(firstMayFinish);
                    return 10L;
                },
                () -> {
                    firstMayFinish.countDown();
                    return 20L;
                },
                () -> 30L);
        List<Long> results = pipeline(3, reports, 60).run(jobs, Long::longValue);
        assertThat(results).containsExactly(10L, 20L, 30L);
        assertThat(reports.seen).extracting(r -> r[0]).isSorted().endsWith(60L);
        assertThat(reports.seen).extracting(r -> r[1]).containsOnly(60L);
    }

    @Test
    void progressCountsOnAcrossRuns() {
        Reports reports = new Reports();
        ChunkPipeline p = pipeline(2, reports, 7);
        p.run(List.of(() -> 3L, () -> 2L), Long::longValue);
        p.run(List.of(() -> 2L), Long::longValue);
        assertThat(reports.seen).extracting(r -> r[0]).last().isEqualTo(7L);
    }

    @Test
    void theFirstFailureEndsTheRunInterruptingTheRunningJobsAndStartingNoMore() {
        AtomicBoolean slowWasInterrupted = new AtomicBoolean();
        AtomicBoolean slowEnded = new AtomicBoolean();
        AtomicInteger laterStarted = new AtomicInteger();
        CountDownLatch slowRunning = new CountDownLatch(1);
        WalferryException damaged = WalferryException.repository("chunk 1 is damaged", "restore another backup", null);
        List<ChunkPipeline.Job<Long>> jobs = new ArrayList<>();
        jobs.add(() -> {
            slowRunning.countDown();
            // never finishes on its own within the test: only an interrupt ends it early
            slowWasInterrupted.set(interruptedWaiting(new CountDownLatch(1)));
            slowEnded.set(true);
            return 1L;
        });
        jobs.add(() -> {
            interruptedWaiting(slowRunning);
            throw damaged;
        });
        for (int i = 0; i < 20; i++) {
            jobs.add(() -> {
                // the thread freed by the failure may take one of these before the run stops the pool; it waits there
                laterStarted.incrementAndGet();
                interruptedWaiting(new CountDownLatch(1));
                return 1L;
            });
        }
        assertThatThrownBy(() -> pipeline(2, new Reports(), 22).run(jobs, Long::longValue)).isSameAs(damaged);
        // the run did not wait for the slow job in order of submission: it interrupted it, and waited until it ended
        assertThat(slowWasInterrupted).isTrue();
        assertThat(slowEnded).isTrue();
        assertThat(laterStarted.get()).isLessThanOrEqualTo(1);
    }

    @Test
    void anIoErrorIsTheOneLineTheCallerGivesIt() {
        for (ChunkPipeline.Job<Long> job : List.<ChunkPipeline.Job<Long>>of(
                () -> {
                    throw new IOException("No space left on device");
                },
                () -> {
                    throw new UncheckedIOException(new IOException("No space left on device"));
                })) {
            assertThatThrownBy(() -> pipeline(1, new Reports(), 1).run(List.of(job), Long::longValue))
                    .isInstanceOfSatisfying(WalferryException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Failure.LOCAL);
                        assertThat(e.oneLine()).isEqualTo("cannot write: No space left on device (hint: check the disk)");
                    });
        }
    }

    @Test
    void anythingElseFailsTheRunAsFailedNamingIt() {
        assertThatThrownBy(() -> pipeline(1, new Reports(), 1).run(List.<ChunkPipeline.Job<Long>>of(() -> {
            throw new IllegalStateException("a bug");
        }), Long::longValue)).isInstanceOfSatisfying(WalferryException.class, e -> {
            assertThat(e.kind()).isEqualTo(Failure.FAILED);
            assertThat(e.getMessage()).isEqualTo("test failed: java.lang.IllegalStateException: a bug");
            assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
        });
    }

    @Test
    void anInterruptedRunFailsAsInterrupted() {
        CountDownLatch never = new CountDownLatch(1);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> pipeline(1, new Reports(), 1).run(List.of(() -> {
                interruptedWaiting(never);
                return 1L;
            }), Long::longValue)).isInstanceOfSatisfying(WalferryException.class, e -> {
                assertThat(e.kind()).isEqualTo(Failure.INTERRUPTED);
                assertThat(e.getMessage()).isEqualTo("test interrupted");
            });
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
