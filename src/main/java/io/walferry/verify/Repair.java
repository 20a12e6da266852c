package io.walferry.verify;

/**
 * What --repair did about one bad or missing object.
 *
 * @param finding the finding it answers
 * @param object  the object (one segment of a gap)
 * @param outcome what was done
 * @param detail  from where, or why not
 */
public record Repair(Finding finding, String object, Outcome outcome, String detail) {
    public enum Outcome {
        /** A verified copy from another repository is stored in its place. */
        REPAIRED,
        /** Left as it is: the repository is required, the object reads well now, or it cannot be repaired. */
        NOT_REPAIRED,
        /** A repair was tried and failed. */
        FAILED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        }
    }
}
