package io.walferry.archive;

import io.walferry.postgres.WalFileName;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The launcher's question to a running prefetcher, "is NAME in the archive now?", and its answer: how an
 * idle standby is told "not archived yet" without a JVM. The launcher writes {@code .ask} ("NAME TICKET",
 * a ticket of its own making); the prefetcher looks in the archive <em>after</em> reading it, exactly as
 * archive-get would, and writes {@code .answer} ("TICKET missing|found|error"). The launcher trusts only
 * an answer with its own ticket, so "missing" always comes from a look made after PostgreSQL asked: the
 * answer that decides a promotion (the last look for the next segment, the look for the next timeline's
 * history file) is as fresh as a JVM's. See docs/agent-protocol.md.
 */
final class PrefetchQuestion {
    static final String ASK = ".ask";
    static final String ANSWER = ".answer";
    /** Counts of "missing" answers, for tests and for whoever wonders what the prefetcher does while idle. */
    static final String ANSWERED = ".answered";
    private static final Pattern QUESTION = Pattern.compile("([0-9A-F]{24}|[0-9A-F]{8}\\.history) ([0-9]{1,10}-[0-9]{1,12})");

    private final Path dir;
    private final ArchiveGetter getter;
    private String lastQuestion = "";
    private long lastAnsweredNanos;
    private long missingSegments;
    private long missingHistories;

    PrefetchQuestion(Path dir, ArchiveGetter getter) {
        this.dir = dir;
        this.getter = getter;
    }

    /**
     * Clears what a previous prefetcher of this queue left. Not the question: the launcher may have asked it
     * as this process started (for a restored data directory's first call it starts the prefetcher and
     * asks at once), and an old one only gets an answer with a ticket nobody waits for.
     */
    void reset() throws IOException {
        Files.deleteIfExists(dir.resolve(ANSWER));
        Files.deleteIfExists(dir.resolve(ANSWERED));
    }

    /** Answers a new question, if there is one; cheap when there is none (one small read). */
    void answerIfAsked() throws IOException {
        String question;
        try {
            question = Files.readString(dir.resolve(ASK)).strip();
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
        String result = look(name);
        AtomicFile.write(dir.resolve(ANSWER), m.group(2) + " " + result + "\n");
        lastAnsweredNanos = System.nanoTime();
        if (result.equals("missing")) {
            if (name instanceof WalFileName.History) {
                missingHistories++;
            } else {
                missingSegments++;
            }
            AtomicFile.write(dir.resolve(ANSWERED), "segments " + missingSegments + " histories " + missingHistories + "\n");
        }
    }

    /** Whether any question was answered. */
    boolean answeredAny() {
        return !lastQuestion.isEmpty();
    }

    /** When the last question was answered (System.nanoTime); meaningful once {@link #answeredAny()}. */
    long lastAnsweredNanos() {
        return lastAnsweredNanos;
    }

    /** The same look archive-get makes: "missing" only for a clean not-found in every repository. */
    private String look(WalFileName name) throws IOException {
        Path scratch = dir.resolve(".question.tmp");
        try {
            return getter.get(name, scratch) == ArchiveGetter.Outcome.NOT_FOUND ? "missing" : "found";
        } catch (RuntimeException e) {
            return "error"; // archive-get's JVM then reports it, with its exit code
        } finally {
            Files.deleteIfExists(scratch);
        }
    }
}
