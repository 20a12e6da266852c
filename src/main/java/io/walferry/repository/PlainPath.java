package io.walferry.repository;

/**
 * A relative path a manifest names (a repository is input: whoever can write to it chooses them): '/'-separated
 * components, none empty, "." or "..", no NUL or other control character, of bounded length, so that it stays inside
 * the directory it is resolved against.
 */
public final class PlainPath {
    public static final int MAX_LENGTH = 1024;

    private PlainPath() {
    }

    public static boolean plain(String path) {
        if (path == null || path.isEmpty() || path.length() > MAX_LENGTH) {
            return false;
        }
        for (String p : path.split("/", -1)) {
            if (p.isEmpty() || p.equals(".") || p.equals("..") || p.chars().anyMatch(PlainPath::control)) {
                return false;
            }
        }
        return true;
    }

    public static boolean control(int c) {
        return c < 0x20 || c == 0x7F;
    }

    /** A value for a message: quoted, control characters escaped, cut short. */
    public static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(120).forEach(c -> {
            if (control(c)) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(s.length() > 120 ? "...\"" : "\"").toString();
    }
}
