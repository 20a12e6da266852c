package io.walferry.fastpath;

import io.walferry.postgres.WalFileName;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The launcher's question to a running prefetcher, "is NAME in the archive now?", and its answer: how an
 * idle standby is told "not archived yet" without a JVM. The launcher ({@code wf_ask_prefetcher}) empties
 * {@value #ANSWER}, then writes {@value #ASK} ("NAME TICKET", a ticket of its own making); the prefetcher looks
 * in the archive <em>after</em> reading it, exactly as archive-get would, and writes {@value #ANSWER}
 * ("TICKET missing|found|error"). The launcher trusts only an answer with its own ticket, so "missing" always
 * comes from a look made after PostgreSQL asked: the answer that decides a promotion (the last look for the
 * next segment, the look for the next timeline's history file) is as fresh as a JVM's. The prefetcher counts
 * its "missing" answers in {@value #ANSWERED}. See docs/agent-protocol.md.
 */
public final class PrefetchQuestion {
    public static final String ASK = ".ask";
    public static final String ANSWER = ".answer";
    /** Counts of "missing" answers, for tests and for whoever wonders what the prefetcher does while idle. */
    public static final String ANSWERED = ".answered";
    /** Where the look fetches to; deleted after each look. */
    static final String SCRATCH = ".question.tmp";
    /**
     * What a look found, handed to the launcher that asked: {@value #HANDED}TICKET, which it moves to {@code %p}
     * (a segment streamed in part, asked for again and again, then costs no JVM: docs/streaming.md).
     */
    public static final String HANDED = ".handed-";
    /**
     * The channel of a promotion by this node's agent: the same files with this prefix ({@code .promotion.ask}, ...),
     * apart from the prefetcher's, which may run meanwhile and must not share a scratch file or an answer with it.
     * {@value #PROMOTER} names the agent while it answers (docs/agent-protocol.md).
     */
    public static final String PROMOTION = ".promotion";
    public static final String PROMOTER = ".promotion.pid";
    private static final Pattern QUESTION = Pattern.compile("([0-9A-F]{24}|[0-9A-F]{8}\\.history) ([0-9]{1,10}-[0-9]{1,12})");

    /** The answers, as the launcher reads them. */
    public enum Answer {
        MISSING("missing"), FOUND("found"), ERROR("error");

        private final String word;

        Answer(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /**
     * The look in the archive, made as archive-get makes it: true when a repository has the file (fetched to
     * {@code scratch}), false only for a clean not-found in every repository; an exception when it cannot tell.
     */
    @FunctionalInterface
    public interface Look {
        boolean finds(WalFileName name, Path scratch);
    }

    private final Path dir;
    private final String channel;
    private final Look look;
    private String lastQuestion = "";
    private long lastAnsweredNanos;
    private long missingSegments;
    private long missingHistories;

    /** The prefetcher's answers. */
    public PrefetchQuestion(PrefetchQueue queue, Look look) {
        this(queue, "", look);
    }

    private PrefetchQuestion(PrefetchQueue queue, String channel, Look look) {
        this.dir = queue.dir();
        this.channel = channel;
        this.look = look;
    }

    /** The answers of the agent that promotes the server ({@value #PROMOTION} channel). */
    public static PrefetchQuestion forPromotion(PrefetchQueue queue, Look look) {
        return new PrefetchQuestion(queue, PROMOTION, look);
    }

    /** One of this channel's files. */
    public Path file(String name) {
        return dir.resolve(channel + name);
    }

    /**
     * Clears what a previous prefetcher of this queue left. Not the question: the launcher may have asked it
     * as this process started (for a restored data directory's first call it starts the prefetcher and
     * asks at once), and an old one only gets an answer with a ticket nobody waits for.
     */
    public void reset() throws IOException {
        removeHanded();
        Files.deleteIfExists(file(ANSWER));
        Files.deleteIfExists(file(ANSWERED));
    }

    /**
     * Tells the launcher that process {@code pid} answers on this channel (the promotion's: {@value #PROMOTER}); it asks
     * only a live process of walferry's agent.
     */
    public void announce(long pid) throws IOException {
        AtomicFile.write(file(".pid"), pid + "\n");
    }

    /** This channel's answerer stops: its files go, and a launcher asking now gives up on it at once. */
    public void withdraw() throws IOException {
        Files.deleteIfExists(file(".pid"));
        removeHanded();
        Files.deleteIfExists(file(ASK));
        Files.deleteIfExists(file(ANSWER));
    }

    /** Answers a new question, if there is one; cheap when there is none (one small read). */
    public void answerIfAsked() throws IOException {
        String question;
        try {
            question = Files.readString(file(ASK)).strip();
        } catch (NoSuchFileException e) {
            return;
        }
        if (question.equals(lastQuestion)) {
            return;
        }
        Matcher m = QUESTION.matcher(question);
        if (!m.matches()) {
            return; // half written: read again on the next turn
        }
        lastQuestion = question;
        WalFileName name = WalFileName.parse(m.group(1));
        removeHanded(); // an earlier launcher's, not taken: it has given up waiting
        Answer answer = look(name, m.group(2));
        AtomicFile.write(file(ANSWER), m.group(2) + " " + answer.word() + "\n");
        lastAnsweredNanos = System.nanoTime();
        if (answer == Answer.MISSING) {
            if (name instanceof WalFileName.History) {
                missingHistories++;
            } else {
                missingSegments++;
            }
            AtomicFile.write(file(ANSWERED), "segments " + missingSegments + " histories " + missingHistories + "\n");
        }
    }

    /** Removes what a look found and no launcher took (the prefetcher stops: it would stay a segment's size in pg_wal). */
    public void removeHanded() throws IOException {
        try (var files = Files.newDirectoryStream(dir, channel + HANDED + "*")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** When the last question was answered (System.nanoTime), if any was. */
    public OptionalLong lastAnsweredNanos() {
        return lastQuestion.isEmpty() ? OptionalLong.empty() : OptionalLong.of(lastAnsweredNanos);
    }

    private Answer look(WalFileName name, String ticket) throws IOException {
        Path scratch = file(SCRATCH);
        try {
            if (!look.finds(name, scratch)) {
                return Answer.MISSING;
            }
            if (Files.exists(scratch)) {
                Files.move(scratch, file(HANDED + ticket), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return Answer.FOUND;
        } catch (RuntimeException e) {
            return Answer.ERROR; // archive-get's JVM then reports it, with its exit code
        } finally {
            Files.deleteIfExists(scratch);
        }
    }
}
