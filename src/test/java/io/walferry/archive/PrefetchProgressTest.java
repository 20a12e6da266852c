package io.walferry.archive;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/** When the prefetcher is idle, and when it marks a segment missing: pure decisions, tested with made-up clocks. */
class PrefetchProgressTest {
    private static final Duration IDLE = Duration.ofSeconds(30);
    private static final long S = 1_000_000_000L;

    @Test
    void aChangedQueueIsProgressAnUnchangedOneIsNot() {
        PrefetchProgress p = new PrefetchProgress(List.of("a", "b"), 0);
        assertThat(p.saw(List.of("a", "b"), 10 * S).atNanos()).isZero();
        assertThat(p.saw(List.of("b"), 10 * S).atNanos()).as("a segment taken").isEqualTo(10 * S);
        assertThat(p.fetched(List.of("a", "b"), 12 * S).atNanos()).as("a fetch that found its segment").isEqualTo(12 * S);
    }

    @Test
    void idleOnlyWhenNeitherReplayMovedNorTheLauncherAskedForTheIdleTime() {
        PrefetchProgress p = new PrefetchProgress(List.of("a"), 100 * S);
        assertThat(p.idle(130 * S, OptionalLong.empty(), IDLE)).isFalse();
        assertThat(p.idle(131 * S, OptionalLong.empty(), IDLE)).as("a full queue nobody takes from, too").isTrue();
        assertThat(p.idle(131 * S, OptionalLong.of(120 * S), IDLE)).as("a caught-up standby keeps asking").isFalse();
        assertThat(p.idle(151 * S, OptionalLong.of(120 * S), IDLE)).isTrue();
        assertThat(p.idle(131 * S, OptionalLong.of(90 * S), IDLE)).as("an answer before the last progress").isTrue();
        assertThat(new PrefetchProgress(List.of(), Long.MAX_VALUE - S).idle(Long.MIN_VALUE + 10 * S, OptionalLong.empty(), IDLE))
                .as("System.nanoTime may wrap").isFalse();
    }

    @Test
    void missingIsMarkedAtTheFirstMissAndClearedByAFind() {
        PrefetchMiss none = PrefetchMiss.NONE;
        PrefetchMiss marked = none.after("000000010000000000000005", false);
        assertThat(marked.marked()).isTrue();
        assertThat(marked.segment()).isEqualTo("000000010000000000000005");
        assertThat(marked.after("000000010000000000000005", false)).as("unchanged: not rewritten").isEqualTo(marked);
        assertThat(marked.after("000000010000000000000005", true)).isEqualTo(none);
        assertThat(none.after("000000010000000000000004", true)).as("nothing to clear").isEqualTo(none);
        assertThat(marked.after("000000010000000000000006", false).segment()).isEqualTo("000000010000000000000006");
    }
}
