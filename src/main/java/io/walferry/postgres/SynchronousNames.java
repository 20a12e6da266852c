package io.walferry.postgres;

import io.walferry.config.ArchiveConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A value of {@code synchronous_standby_names}, parsed, and the one rule that composes it from its two owners: HA's
 * synchronous mode (the standbys) and the synchronous archive (the stream's application name). Each owner writes the
 * whole value from its own part and the other's part as it finds it in the server's current value, so that neither
 * undoes the other (docs/streaming.md#a-synchronous-archive).
 *
 * @param method   FIRST (by priority) or ANY (quorum)
 * @param count    how many of {@code names} confirm a commit; 0 with no names
 * @param names    application names as written, {@code *} for any standby
 */
public record SynchronousNames(Method method, int count, List<String> names) {
    public enum Method { FIRST, ANY }

    /** Nothing waited for. */
    public static final SynchronousNames NONE = new SynchronousNames(Method.FIRST, 0, List.of());

    public SynchronousNames {
        names = List.copyOf(names);
    }

    public boolean isEmpty() {
        return names.isEmpty() || count == 0;
    }

    public boolean includes(String name) {
        return names.stream().anyMatch(n -> n.equalsIgnoreCase(name));
    }

    /**
     * Parses PostgreSQL's three forms: {@code FIRST n (a, b)}, {@code ANY n (a, b)}, {@code n (a, b)} and the plain
     * list {@code a, b} (FIRST 1). Quotes around a name are removed.
     */
    public static SynchronousNames parse(String value) {
        String v = value == null ? "" : value.strip();
        if (v.isEmpty()) {
            return NONE;
        }
        int open = v.indexOf('(');
        if (open < 0 || !v.endsWith(")")) {
            List<String> names = names(v);
            return names.isEmpty() ? NONE : new SynchronousNames(Method.FIRST, 1, names);
        }
        String[] head = v.substring(0, open).strip().split("\\s+");
        Method method = Method.FIRST;
        String number = head[head.length - 1];
        if (head.length == 2) {
            method = Method.valueOf(head[0].toUpperCase(Locale.ROOT));
        } else if (head.length != 1 || head[0].isEmpty()) {
            throw new IllegalArgumentException("not a synchronous_standby_names value: " + value);
        }
        List<String> names = names(v.substring(open + 1, v.length() - 1));
        return names.isEmpty() ? NONE : new SynchronousNames(method, Integer.parseInt(number), names);
    }

    private static List<String> names(String list) {
        List<String> out = new ArrayList<>();
        for (String n : list.split(",")) {
            String name = n.strip().replace("\"", "");
            if (!name.isEmpty()) {
                out.add(name);
            }
        }
        return out;
    }

    /** The value to write: empty for none, else {@code FIRST n ("a", "b")} (or ANY), {@code *} unquoted. */
    public String value() {
        if (isEmpty()) {
            return "";
        }
        List<String> quoted = names.stream().map(n -> n.equals("*") ? n : "\"" + n.replace("\"", "") + "\"").toList();
        return method + " " + count + " (" + String.join(", ", quoted) + ")";
    }

    /** This value without the archive {@code archive}: the standbys' part, as it was before the archive joined. */
    public SynchronousNames withoutArchive(String archive, ArchiveConfig.WithStandbys with) {
        if (!includes(archive)) {
            return this;
        }
        List<String> rest = names.stream().filter(n -> !n.equalsIgnoreCase(archive)).toList();
        if (rest.isEmpty()) {
            return NONE;
        }
        int n = with == ArchiveConfig.WithStandbys.BOTH ? count - 1 : count;
        return new SynchronousNames(method, Math.max(1, Math.min(n, rest.size())), rest);
    }

    /** The standbys' part {@code this} with the archive joined as {@code with} says (or left out). */
    public SynchronousNames withArchive(Optional<String> archive, ArchiveConfig.WithStandbys with) {
        if (archive.isEmpty() || includes(archive.get())) {
            return this;
        }
        String a = archive.get();
        if (isEmpty()) {
            return new SynchronousNames(Method.FIRST, 1, List.of(a));
        }
        List<String> all = new ArrayList<>();
        if (with == ArchiveConfig.WithStandbys.BOTH) {
            // first by priority: with FIRST, the archive is always among those waited for
            all.add(a);
            all.addAll(names);
            return new SynchronousNames(method, count + 1, all);
        }
        all.addAll(names);
        all.add(a);
        return new SynchronousNames(method, count, all);
    }

    /** The slot (and application name) the agent of {@code node} streams WAL into the repositories through. */
    public static String archiveName(String node) {
        String s = "walferry_stream_" + node.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }
}
