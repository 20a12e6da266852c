package io.walferry.postgres;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimelineHistoryTest {
    @Test
    void readsTheAncestorsAsPostgresWritesThem() {
        TimelineHistory h = TimelineHistory.parse(3, """
                1\t0/5000060\tno recovery target specified

                # a comment
                2\t0/9000000\tat restore point "before"
                """);
        assertThat(h.ancestors()).containsExactly(new TimelineHistory.Ancestor(1, Lsn.parse("0/5000060")),
                new TimelineHistory.Ancestor(2, Lsn.parse("0/9000000")));
    }

    @Test
    void refusesWhatIsNotAHistoryFile() {
        assertThatThrownBy(() -> TimelineHistory.parse(1, "")).hasMessage("names timeline 1, but history files start at timeline 2");
        assertThatThrownBy(() -> TimelineHistory.parse(2, "# nothing\n")).hasMessage("lists no parent timeline");
        assertThatThrownBy(() -> TimelineHistory.parse(2, "2\t0/1\tx\n")).hasMessage("lists timeline 2 out of order for timeline 2");
        assertThatThrownBy(() -> TimelineHistory.parse(3, "1 nonsense\n")).hasMessageStartingWith("has a line that is not");
        assertThat(TimelineHistory.parse(2, "1\t0/1\n").ancestors()).hasSize(1).isEqualTo(List.of(new TimelineHistory.Ancestor(1, new Lsn(1))));
    }
}
