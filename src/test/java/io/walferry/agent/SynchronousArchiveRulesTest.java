package io.walferry.agent;

import io.walferry.agent.SynchronousArchiveRules.Kind;
import io.walferry.agent.SynchronousArchiveRules.Memory;
import io.walferry.agent.SynchronousArchiveRules.Probe;
import io.walferry.config.ArchiveConfig.WithStandbys;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.SynchronousNames;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SynchronousArchiveRulesTest {
    private static final String ARCHIVE = "walferry_stream_pg1";
    private static final long S = 1_000_000_000L;
    private static final SynchronousNames JOINED = SynchronousNames.parse("FIRST 2 (\"walferry_stream_pg1\", \"pg2\")");
    private static final SynchronousNames HA = SynchronousNames.parse("FIRST 1 (\"pg2\")");

    private static SynchronousArchiveRules.Action decide(Probe p, Memory m, long now, Duration timeout) {
        return SynchronousArchiveRules.decide(ARCHIVE, p, m, now, timeout, WithStandbys.BOTH);
    }

    private static Probe probe(SynchronousNames current, boolean active, long restart, long flush) {
        return new Probe(current, active, Optional.of(new Lsn(restart)), new Lsn(flush));
    }

    @Test
    void joinsAtStartKeepingTheStandbysNamed() {
        var a = decide(probe(HA, false, 100, 200), Memory.start(0), 0, Duration.ZERO);
        assertThat(a.kind()).isEqualTo(Kind.JOIN);
        assertThat(a.value()).isEqualTo(JOINED.value());
    }

    @Test
    void withoutATimeoutCommitsWaitForever() {
        Memory m = Memory.start(0).after(probe(JOINED, false, 100, 200), 0);
        assertThat(decide(probe(JOINED, false, 100, 300), m, 3600 * S, Duration.ZERO).kind()).isEqualTo(Kind.NONE);
    }

    @Test
    void aStalledStreamIsDroppedAfterTheTimeoutAndTheStandbysStay() {
        Memory m = Memory.start(0).after(probe(JOINED, true, 100, 200), 0);
        assertThat(decide(probe(JOINED, true, 100, 300), m, 9 * S, Duration.ofSeconds(10)).kind()).isEqualTo(Kind.NONE);
        var drop = decide(probe(JOINED, true, 100, 300), m, 10 * S, Duration.ofSeconds(10));
        assertThat(drop.kind()).isEqualTo(Kind.DROP);
        assertThat(drop.value()).isEqualTo(HA.value());
        assertThat(drop.why()).contains("commits go on without the archive");
    }

    @Test
    void aStreamThatStoresOrIsCaughtUpIsNotDropped() {
        Memory m = Memory.start(0).after(probe(JOINED, true, 100, 200), 0);
        // it moved at this look: progress
        assertThat(decide(probe(JOINED, true, 150, 300), m, 30 * S, Duration.ofSeconds(10)).kind()).isEqualTo(Kind.NONE);
        // an idle server: nothing to store, nothing waits
        assertThat(decide(probe(JOINED, true, 100, 100), m, 30 * S, Duration.ofSeconds(10)).kind()).isEqualTo(Kind.NONE);
    }

    @Test
    void droppedJoinsAgainOnlyOnceItKeepsUp() {
        Memory m = Memory.start(0).after(probe(HA, false, 100, 300), 0).dropped(true);
        assertThat(decide(probe(HA, false, 100, 300), m, S, Duration.ofSeconds(10)).kind()).as("still down").isEqualTo(Kind.NONE);
        m = m.after(probe(HA, true, 200, 400), S);
        assertThat(decide(probe(HA, true, 350, 500), m, 2 * S, Duration.ofSeconds(10)).kind()).as("behind the flush of a look ago").isEqualTo(Kind.NONE);
        m = m.after(probe(HA, true, 350, 500), 2 * S);
        var join = decide(probe(HA, true, 500, 520), m, 3 * S, Duration.ofSeconds(10));
        assertThat(join.kind()).isEqualTo(Kind.JOIN);
        assertThat(join.value()).isEqualTo(JOINED.value());
    }
}
