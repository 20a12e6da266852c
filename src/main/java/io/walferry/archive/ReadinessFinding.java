package io.walferry.archive;

/** One of check's findings: what was looked at, whether it is right, and the fix; a warning passes, but its hint is shown. */
public record ReadinessFinding(String name, boolean ok, String detail, String hint, boolean warning) {
    public ReadinessFinding(String name, boolean ok, String detail, String hint) {
        this(name, ok, detail, hint, false);
    }

    public static ReadinessFinding warning(String name, String detail, String hint) {
        return new ReadinessFinding(name, true, detail, hint, true);
    }
}
