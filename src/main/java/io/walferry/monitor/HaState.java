package io.walferry.monitor;

/** A node's part in HA as its agent's loop last saw it (the ha package fills it; monitor sits below it). */
public record HaState(boolean leader, String action, String decision) {
}
