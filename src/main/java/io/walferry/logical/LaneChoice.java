package io.walferry.logical;

import java.util.ArrayList;
import java.util.List;

/**
 * Which target session (lane) a source transaction goes to, from its overlap with what each lane holds and has not
 * committed yet. No overlap: the least busy lane. Overlap with one lane: that lane, behind what it holds, so changes
 * of one row keep the source's order. Overlap with several: none yet; the others must commit first, and the
 * transaction then goes behind the busiest of them (the one left). Pure.
 */
final class LaneChoice {
    private LaneChoice() {
    }

    /** A lane as the choice sees it: whether what it holds overlaps the transaction, and how many transactions it holds. */
    record Lane(boolean overlaps, int load) {
    }

    sealed interface Decision {
    }

    /** Apply the transaction in this lane. */
    record To(int lane) implements Decision {
    }

    /** Commit and wait for what these lanes hold, then choose again. */
    record Drain(List<Integer> lanes) implements Decision {
        Drain {
            lanes = List.copyOf(lanes);
        }
    }

    static Decision choose(List<Lane> lanes) {
        if (lanes.isEmpty()) {
            throw new IllegalArgumentException("no lanes");
        }
        List<Integer> overlapping = new ArrayList<>();
        int leastBusy = 0;
        for (int i = 0; i < lanes.size(); i++) {
            if (lanes.get(i).overlaps()) {
                overlapping.add(i);
            }
            if (lanes.get(i).load() < lanes.get(leastBusy).load()) {
                leastBusy = i;
            }
        }
        if (overlapping.isEmpty()) {
            return new To(leastBusy);
        }
        if (overlapping.size() == 1) {
            return new To(overlapping.get(0));
        }
        int kept = overlapping.get(0);
        for (int i : overlapping) {
            if (lanes.get(i).load() > lanes.get(kept).load()) {
                kept = i;
            }
        }
        List<Integer> drain = new ArrayList<>(overlapping);
        drain.remove(Integer.valueOf(kept));
        return new Drain(drain);
    }
}
