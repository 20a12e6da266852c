package io.walferry.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimelineHistoryTest {
    private static final String THREE = "1\t0/3000000\tno recovery target specified\n\n# comment\n2\t0/5000060\tat restore point\n";

    @Test
    void parsesAncestorsOldestFirst() {
        TimelineHistory h = TimelineHistory.parse(3, THREE);
        assertThat(h.entries()).containsExactly(new TimelineHistory.Entry(1, Lsn.parse("0/3000000")),
                new TimelineHistory.Entry(2, Lsn.parse("0/5000060")));
        assertThat(h.parent()).contains(new TimelineHistory.Entry(2, Lsn.parse("0/5000060")));
        assertThat(h.switchpointOf(1)).contains(Lsn.parse("0/3000000"));
        assertThat(h.switchpointOf(3)).isEmpty();
        assertThat(h.includes(2)).isTrue();
        assertThat(h.includes(4)).isFalse();
        assertThat(h.describe()).isEqualTo("timeline 1 until 0/3000000, then timeline 2 until 0/5000060, then timeline 3");
    }

    @Test
    void aPositionBelongsToTheTimelineThatWasCurrentThere() {
        TimelineHistory h = TimelineHistory.parse(3, THREE);
        assertThat(h.timelineAt(Lsn.parse("0/2FFFFFF"))).isEqualTo(1);
        assertThat(h.timelineAt(Lsn.parse("0/3000000"))).as("the switchpoint is the new timeline's first byte").isEqualTo(2);
        assertThat(h.timelineAt(Lsn.parse("0/5000060"))).isEqualTo(3);
        assertThat(TimelineHistory.root(1).timelineAt(Lsn.parse("5/0"))).isEqualTo(1);
    }

    @Test
    void refusesALineThatIsNotAnEntry() {
        assertThatThrownBy(() -> TimelineHistory.parse(2, "1\tnot-an-lsn\treason\n")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not-an-lsn");
    }
}
