package io.walferry.logical;

import io.walferry.logical.LaneChoice.Lane;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LaneChoiceTest {
    @Test
    void anIndependentTransactionGoesToTheLeastBusyLane() {
        assertThat(LaneChoice.choose(List.of(new Lane(false, 3), new Lane(false, 1), new Lane(false, 2))))
                .isEqualTo(new LaneChoice.To(1));
        assertThat(LaneChoice.choose(List.of(new Lane(false, 0), new Lane(false, 0)))).isEqualTo(new LaneChoice.To(0));
    }

    @Test
    void oneThatOverlapsOneLaneGoesBehindItHoweverBusy() {
        assertThat(LaneChoice.choose(List.of(new Lane(false, 0), new Lane(true, 9), new Lane(false, 0))))
                .isEqualTo(new LaneChoice.To(1));
    }

    @Test
    void oneThatOverlapsSeveralWaitsForAllButTheBusiestOfThem() {
        assertThat(LaneChoice.choose(List.of(new Lane(true, 2), new Lane(false, 0), new Lane(true, 5), new Lane(true, 1))))
                .isEqualTo(new LaneChoice.Drain(List.of(0, 3)));
    }
}
