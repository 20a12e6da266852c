package io.walferry.replica;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StartFenceTest {
    private static StartFence.Seen seen(String node, boolean here, boolean answers, boolean dir, boolean running, boolean standby,
                                        boolean old) {
        return new StartFence.Seen(node, here ? "127.0.0.1" : "10.0.9.9", here, answers, dir, running, standby, old);
    }

    @Test
    void aCrashedOrStoppedPrimaryOfThisHostIsFencedOnDisk() {
        StartFence.Plan p = StartFence.plan(List.of(seen("pg1", true, false, true, false, false, true)));
        assertThat(p.onDisk()).containsExactly(new StartFence.OnDisk("pg1"));
        assertThat(p.elsewhere()).isEmpty();
    }

    @Test
    void aStoppedReplicaWithoutItsSignalFileIsFencedTooButNotOneThatHasIt() {
        StartFence.Plan p = StartFence.plan(List.of(seen("pg3", true, false, true, false, false, false),
                seen("pg4", true, false, true, false, true, false)));
        assertThat(p.onDisk()).containsExactly(new StartFence.OnDisk("pg3"));
    }

    @Test
    void aRunningServerOrOneWithoutADataDirectoryHereIsLeftAlone() {
        StartFence.Plan p = StartFence.plan(List.of(seen("pg2", true, true, true, true, false, false),
                seen("pg5", true, false, false, false, false, true)));
        assertThat(p.onDisk()).isEmpty();
        assertThat(p.elsewhere()).isEmpty();
    }

    @Test
    void anOldPrimaryOnAnotherHostGetsTheCommandToRunThere() {
        StartFence.Plan p = StartFence.plan(List.of(seen("pg1", false, false, false, false, false, true),
                seen("pg3", false, true, false, false, false, false)));
        assertThat(p.onDisk()).isEmpty();
        assertThat(p.elsewhere()).containsExactly(new StartFence.Elsewhere("pg1", "10.0.9.9", "walferry replica rejoin --node pg1"));
    }
}
