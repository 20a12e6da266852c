package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DurableCommitsTest {
    private static Lsn lsn(long v) {
        return new Lsn(v);
    }

    @Test
    void anAsynchronousCommitCountsOnlyOnceTheTargetsWalIsFlushedPastIt() {
        DurableCommits d = new DurableCommits();
        d.committed(lsn(100), lsn(1000), 1);
        d.committed(lsn(200), lsn(2000), 2);
        d.flushed(lsn(999));
        assertThat(d.durable()).isEmpty();
        assertThat(d.pending()).isTrue();
        assertThat(d.oldestPendingNanos()).contains(1L);
        d.flushed(lsn(1000));
        assertThat(d.durable()).contains(lsn(100));
        assertThat(d.oldestPendingNanos()).contains(2L);
        d.flushed(lsn(5000));
        assertThat(d.durable()).contains(lsn(200));
        assertThat(d.pending()).isFalse();
        assertThat(d.oldestPendingNanos()).isEmpty();
    }

    @Test
    void aFlushThatGoesBackChangesNothing() {
        DurableCommits d = new DurableCommits();
        d.committed(lsn(100), lsn(1000), 1);
        d.flushed(lsn(1500));
        d.committed(lsn(200), lsn(2000), 2);
        d.flushed(lsn(1200));
        assertThat(d.durable()).contains(lsn(100));
    }

    @Test
    void aSynchronousCommitMakesEveryCommitBeforeItDurable() {
        DurableCommits d = new DurableCommits();
        d.committed(lsn(100), lsn(1000), 1);
        d.committed(lsn(200), lsn(2000), 2);
        d.allFlushed();
        assertThat(d.durable()).contains(lsn(200));
        assertThat(d.pending()).isFalse();
        d.committed(lsn(300), lsn(3000), 3);
        d.committedDurably(lsn(400));
        assertThat(d.durable()).contains(lsn(400));
        assertThat(d.pending()).isFalse();
        d.allFlushed();
        assertThat(d.durable()).contains(lsn(400));
    }
}
