package io.walferry.agent;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Which position the stream may confirm to the server while several store steps are in flight (docs/streaming.md,
 * "Pieces in flight"), decided from plain values. Steps are stored concurrently but confirmed strictly in order: a
 * position is confirmed only when its step and every step before it are durable in every required repository, so no
 * gap is ever confirmed; a failed step stops the stream, and no step after it is confirmed. Pure.
 */
final class ConfirmOrder {
    private ConfirmOrder() {
    }

    enum State { PENDING, STORED, FAILED }

    /**
     * One store step: the pieces planned at one moment, one per repository that lacked received bytes.
     *
     * @param end   the WAL position every required repository holds once the step's pieces are stored
     * @param state STORED once every required piece of it is stored; FAILED once one of them failed
     */
    record Step(long end, State state) {
    }

    /**
     * @param confirm the position to confirm now (the end of the last step of the stored run from the oldest one);
     *                empty while the oldest step is not stored
     * @param settled how many of the oldest steps are stored and confirmed by it: they are done with
     * @param failed  the index of the first failed step: the stream stops, and nothing from it on is confirmed
     */
    record Decision(OptionalLong confirm, int settled, OptionalInt failed) {
        boolean stop() {
            return failed.isPresent();
        }
    }

    /** {@code steps} in the order they were planned, the oldest first. */
    static Decision decide(List<Step> steps) {
        int settled = 0;
        OptionalLong confirm = OptionalLong.empty();
        while (settled < steps.size() && steps.get(settled).state() == State.STORED) {
            confirm = OptionalLong.of(steps.get(settled).end());
            settled++;
        }
        OptionalInt failed = OptionalInt.empty();
        for (int i = settled; i < steps.size(); i++) {
            if (steps.get(i).state() == State.FAILED) {
                failed = OptionalInt.of(i);
                break;
            }
        }
        return new Decision(confirm, settled, failed);
    }
}
