package io.walferry.fastpath;

import io.walferry.postgres.WalFileName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefetcher's side of the launcher's question: one look per question, made after reading it, answered with its ticket. */
class PrefetchQuestionTest {
    @TempDir
    Path dir;

    private final List<String> looked = new ArrayList<>();

    private PrefetchQuestion question(boolean archived) {
        return new PrefetchQuestion(new PrefetchQueue(dir), (WalFileName name, Path scratch) -> {
            looked.add(name.fileName() + " " + scratch.getFileName());
            return archived;
        });
    }

    private void ask(String text) throws IOException {
        Files.writeString(dir.resolve(".ask"), text);
    }

    private String answer() throws IOException {
        return Files.readString(dir.resolve(".answer"));
    }

    @Test
    void eachQuestionIsLookedUpOnceAndAnsweredWithItsTicket() throws IOException {
        PrefetchQuestion q = question(false);
        q.answerIfAsked();
        assertThat(q.lastAnsweredNanos()).as("nothing asked").isEmpty();
        assertThat(dir.resolve(".answer")).doesNotExist();

        ask("000000010000000000000005 4242-77\n");
        q.answerIfAsked();
        assertThat(answer()).isEqualTo("4242-77 missing\n");
        assertThat(Files.readString(dir.resolve(".answered"))).isEqualTo("segments 1 histories 0\n");
        assertThat(q.lastAnsweredNanos()).isPresent();
        q.answerIfAsked();
        assertThat(looked).as("the same question is not looked up again").containsExactly("000000010000000000000005 .question.tmp");

        ask("00000002.history 4243-1\n");
        q.answerIfAsked();
        assertThat(answer()).isEqualTo("4243-1 missing\n");
        assertThat(Files.readString(dir.resolve(".answered"))).isEqualTo("segments 1 histories 1\n");
        assertThat(dir.resolve(".question.tmp")).as("the look's scratch file").doesNotExist();
    }

    @Test
    void foundAndErrorAreAnswersTooAndAHalfWrittenQuestionWaits() throws IOException {
        ask("0000000100000000000000");
        question(true).answerIfAsked();
        assertThat(dir.resolve(".answer")).doesNotExist();

        ask("000000010000000000000005 1-2\n");
        question(true).answerIfAsked();
        assertThat(answer()).isEqualTo("1-2 found\n");
        assertThat(dir.resolve(".answered")).as("only misses are counted").doesNotExist();

        new PrefetchQuestion(new PrefetchQueue(dir), (name, scratch) -> {
            throw new IllegalStateException("repository unreadable");
        }).answerIfAsked();
        assertThat(answer()).isEqualTo("1-2 error\n");
    }

    @Test
    void whatALookFindsIsHandedToTheLauncherThatAskedAndANewQuestionClearsWhatWasNotTaken() throws IOException {
        PrefetchQuestion q = new PrefetchQuestion(new PrefetchQueue(dir), (name, scratch) -> {
            try {
                Files.writeString(scratch, "the bytes of " + name.fileName());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return true;
        });
        ask("000000010000000000000005 7-1\n");
        q.answerIfAsked();
        assertThat(answer()).isEqualTo("7-1 found\n");
        assertThat(Files.readString(dir.resolve(".handed-7-1"))).isEqualTo("the bytes of 000000010000000000000005");
        assertThat(dir.resolve(".question.tmp")).doesNotExist();

        ask("000000010000000000000005 7-2\n");
        q.answerIfAsked();
        assertThat(dir.resolve(".handed-7-1")).as("not taken by its launcher, which has given up").doesNotExist();
        assertThat(dir.resolve(".handed-7-2")).exists();
        q.removeHanded();
        assertThat(dir.resolve(".handed-7-2")).doesNotExist();
    }

    @Test
    void aNewPrefetcherClearsOldAnswersButNotTheQuestion() throws IOException {
        ask("000000010000000000000005 1-2\n");
        Files.writeString(dir.resolve(".answer"), "0-0 missing\n");
        Files.writeString(dir.resolve(".answered"), "segments 9 histories 9\n");
        question(false).reset();
        assertThat(dir.resolve(".answer")).doesNotExist();
        assertThat(dir.resolve(".answered")).doesNotExist();
        assertThat(dir.resolve(".ask")).as("the launcher may have asked it as this prefetcher started").exists();
    }

    @Test
    void thePromotionsChannelSharesNoFileWithThePrefetchers() throws IOException {
        PrefetchQuestion prefetcher = question(false);
        PrefetchQuestion promotion = PrefetchQuestion.forPromotion(new PrefetchQueue(dir), (name, scratch) -> {
            looked.add(name.fileName() + " " + scratch.getFileName());
            try {
                Files.writeString(scratch, "1\t0/5000060\tno recovery target specified\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return true;
        });
        promotion.announce(4242);
        assertThat(Files.readString(dir.resolve(".promotion.pid"))).isEqualTo("4242\n");
        ask("00000002.history 1-1\n");
        Files.writeString(dir.resolve(".promotion.ask"), "00000001.history 2-2\n");
        prefetcher.answerIfAsked();
        promotion.answerIfAsked();
        assertThat(answer()).isEqualTo("1-1 missing\n");
        assertThat(Files.readString(dir.resolve(".promotion.answer"))).isEqualTo("2-2 found\n");
        assertThat(looked).containsExactly("00000002.history .question.tmp", "00000001.history .promotion.question.tmp");
        assertThat(dir.resolve(".promotion.handed-2-2")).hasContent("1\t0/5000060\tno recovery target specified");
        // a new question to the prefetcher does not remove what the promotion's answer handed over
        ask("00000003.history 1-3\n");
        prefetcher.answerIfAsked();
        assertThat(dir.resolve(".promotion.handed-2-2")).exists();

        promotion.withdraw();
        assertThat(dir.resolve(".promotion.pid")).doesNotExist();
        assertThat(dir.resolve(".promotion.handed-2-2")).doesNotExist();
        assertThat(dir.resolve(".ask")).as("the prefetcher's question stays").exists();
    }
}
