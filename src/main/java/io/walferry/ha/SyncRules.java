package io.walferry.ha;

import io.walferry.config.HaConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Synchronous mode, as pure functions: which standbys the leader's commits wait for, and the order of the two writes
 * that change them so that the store's set (whom a failover may promote) always includes every standby PostgreSQL may
 * have waited for: when standbys are added the store is written first, when they are removed PostgreSQL is changed first.
 * A standby PostgreSQL newly waits for may still lack commits acknowledged before (by the standby it replaces): the
 * store drops a standby only once every standby PostgreSQL now waits for has flushed past the position at which it
 * started waiting for them.
 * Strict: a standby that is gone stays in the set while fewer than {@code count} healthy ones are there, so commits
 * wait rather than go on unprotected. Not strict: commits wait for the healthy ones there are, or for none, and while
 * they wait for none the store's set is empty, so that no replica is promoted automatically.
 */
public final class SyncRules {
    private SyncRules() {
    }

    /** The next write, if any. */
    public record Step(Kind kind, List<String> standbys) {
        public enum Kind { NONE, WRITE_STORE, SET_POSTGRES, AWAIT_CATCH_UP }
    }

    /**
     * The standbys commits should wait for: with {@code on}, the first {@code count} healthy ones by priority then name;
     * with {@code quorum}, every healthy one; kept up to {@code count} from the current set when too few are healthy.
     *
     * @param healthy streaming replicas that may be promoted, with their priorities
     */
    public static List<String> desired(HaConfig.Synchronous mode, int count, boolean strict, List<MemberState> healthy,
                                       List<String> current) {
        List<String> ranked = healthy.stream().sorted(Comparator.comparingInt(MemberState::priority).reversed()
                .thenComparing(MemberState::node)).map(MemberState::node).toList();
        List<String> out = new ArrayList<>(mode == HaConfig.Synchronous.ON ? ranked.subList(0, Math.min(count, ranked.size())) : ranked);
        if (!strict) {
            return out;
        }
        for (String c : current) {
            if (out.size() >= count) {
                break;
            }
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * @param caughtUp every standby in {@code inPostgres} has flushed past the primary's position when PostgreSQL started
     *                 waiting for it: only then do they hold every acknowledged commit, and the store may forget the others
     */
    public static Step step(Optional<List<String>> store, List<String> inPostgres, List<String> desired, boolean caughtUp,
                            boolean strict) {
        List<String> inStore = store.orElse(List.of());
        if (!strict && desired.isEmpty() && !inStore.isEmpty()) {
            // Before commits go on without a standby, the store says that none holds every acknowledged commit.
            return new Step(Step.Kind.WRITE_STORE, List.of());
        }
        if (!strict && inStore.isEmpty()) {
            // Commits go on without a synchronous standby, or none was chosen yet: no standby holds every acknowledged
            // commit, the store says so (nobody is promoted), and a standby counts only once PostgreSQL waits for it
            // and it has caught up.
            if (store.isEmpty()) {
                return new Step(Step.Kind.WRITE_STORE, List.of());
            }
            if (!Set.copyOf(inPostgres).equals(Set.copyOf(desired))) {
                return new Step(Step.Kind.SET_POSTGRES, desired);
            }
            if (desired.isEmpty()) {
                return new Step(Step.Kind.NONE, desired);
            }
            return caughtUp ? new Step(Step.Kind.WRITE_STORE, desired) : new Step(Step.Kind.AWAIT_CATCH_UP, desired);
        }
        Set<String> needed = new LinkedHashSet<>(inPostgres);
        needed.addAll(desired);
        if (!inStore.containsAll(needed)) {
            List<String> union = new ArrayList<>(inStore);
            needed.stream().filter(n -> !union.contains(n)).forEach(union::add);
            return new Step(Step.Kind.WRITE_STORE, union);
        }
        if (!Set.copyOf(inPostgres).equals(Set.copyOf(desired))) {
            return new Step(Step.Kind.SET_POSTGRES, desired);
        }
        if (!Set.copyOf(inStore).equals(Set.copyOf(desired))) {
            return caughtUp ? new Step(Step.Kind.WRITE_STORE, desired) : new Step(Step.Kind.AWAIT_CATCH_UP, desired);
        }
        return new Step(Step.Kind.NONE, desired);
    }

    /** synchronous_standby_names for the standbys (application_name is the node's name). */
    public static String standbyNames(HaConfig.Synchronous mode, int count, boolean strict, List<String> standbys) {
        if (mode == HaConfig.Synchronous.OFF || (!strict && standbys.isEmpty())) {
            return "";
        }
        if (!strict) {
            count = Math.min(count, standbys.size());
        }
        String names = String.join(", ", standbys.stream().map(n -> n.equals(ANY) ? ANY : "\"" + n.replace("\"", "") + "\"").toList());
        return (mode == HaConfig.Synchronous.ON ? "FIRST " : "ANY ") + count + " (" + (names.isEmpty() ? "*" : names) + ")";
    }

    /** Any standby: what a new primary waits for until the leader has chosen its standbys. */
    public static final String ANY = "*";

    /** The names in a synchronous_standby_names value walferry wrote ("FIRST 1 (\"a\", \"b\")"); {@link #ANY} stays itself. */
    public static List<String> parse(String value) {
        int open = value.indexOf('(');
        int close = value.lastIndexOf(')');
        if (open < 0 || close < open) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String n : value.substring(open + 1, close).split(",")) {
            String name = n.strip().replace("\"", "");
            if (!name.isEmpty()) {
                out.add(name);
            }
        }
        return out;
    }
}
