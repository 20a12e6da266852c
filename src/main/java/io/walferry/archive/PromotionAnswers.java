package io.walferry.archive;

import io.walferry.config.WalferryConfig;
import io.walferry.fastpath.PrefetchQueue;
import io.walferry.fastpath.PrefetchQuestion;
import io.walferry.postgres.WalFileName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * While this node's agent promotes its server, the agent answers the server's restore_command itself: at the end of
 * recovery PostgreSQL asks the archive once more for the segment it was reading, for the next timeline's history file
 * (to choose its new timeline) and for the parent timeline's (to write the new one), the last after standby.signal is
 * gone. Each would otherwise be a JVM of its own, one after the other, while no write is served. The launcher asks on
 * the {@value PrefetchQuestion#PROMOTION} channel of the data directory's queue; each question is answered by a look in
 * the archive made after it was asked, as archive-get makes it: a file handed over is fetched and verified, "missing"
 * means no repository has it (docs/agent-protocol.md).
 */
public final class PromotionAnswers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PromotionAnswers.class);
    /** The launcher naps a few milliseconds between reads of the answer: so does this between reads of a question. */
    private static final long TURN_MILLIS = 5;

    private final PrefetchQuestion question;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("promotion-answers").daemon().factory());

    private static PrefetchQuestion questionOf(PrefetchQueue queue, WalferryConfig config) {
        // Opened at the first question, not before the promotion: reading the segment size is a repository read.
        AtomicReference<ArchiveGetter> getter = new AtomicReference<>();
        return PrefetchQuestion.forPromotion(queue, (WalFileName name, Path scratch) -> {
            if (getter.get() == null) {
                ReplaySource source = ReplaySource.open(config);
                // as archive-get: a segment not stored whole is handed over as the part streamed so far (docs/streaming.md)
                getter.set(ArchiveGetter.writingThrough(source.repositories()).handingOverPrefixes(source.segmentSize()));
            }
            return getter.get().get(name, scratch) == ArchiveGetter.Outcome.FOUND;
        });
    }

    private PromotionAnswers(WalferryConfig config, Path dataDirectory) throws IOException {
        PrefetchQueue queue = PrefetchQueue.of(dataDirectory);
        queue.prepare();
        this.question = questionOf(queue, config);
        question.reset();
        question.announce(ProcessHandle.current().pid());
        timer.scheduleWithFixedDelay(this::answer, 0, TURN_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Answers until closed; call it before the promote request. */
    public static PromotionAnswers start(WalferryConfig config, Path dataDirectory) throws IOException {
        return new PromotionAnswers(config, dataDirectory);
    }

    private void answer() {
        try {
            question.answerIfAsked();
        } catch (IOException | RuntimeException e) {
            // unanswered, the launcher waits a few seconds and asks a JVM (and the next turn comes: a throw would end them)
            LOG.debug("promotion: cannot answer the launcher: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            // a look on a hung repository must not hold the HA loop: the thread is a daemon, its answer goes unread
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            question.withdraw();
        } catch (IOException e) {
            LOG.warn("promotion: cannot remove the answers' files: {}", e.getMessage());
        }
    }
}
