package io.walferry.archive;

import java.nio.file.Path;

/**
 * The restore_command walferry writes (restore, replica create) and prints ({@code walferry restore-command}).
 * A queued segment is handed over by the shell PostgreSQL runs the command with: a test, a rename to %p, a
 * line appended to {@code .taken}. Everything else (a segment not queued yet, a history file, no prefetch)
 * goes to the launcher, which waits for the prefetcher or starts a JVM. The launcher alone costs a few times
 * what this line does, and replay calls restore_command once per segment (docs/benchmarks.md).
 *
 * <p>Through %p, so that PostgreSQL keeps the segment as it keeps any restored file: it marks it .done or,
 * with archive_mode = always, .ready; it wakes the walsenders of cascading standbys. (Moving it into pg_wal
 * and answering "not restored", so that PostgreSQL read it from there, was tried: it skipped all of that.)
 *
 * <p>A queued file needs no check here: the queue is in the data directory, which only the server's user
 * can write, and every file in it was verified, and flushed to disk, before it got its name
 * ({@link PrefetchQueue}).
 */
public record RestoreCommandLine(String launcher, Path config) {

    /** The line as PostgreSQL reads it: '%' in the paths doubled, the paths quoted for sh. */
    public String render() {
        String q = PrefetchQueue.DIRECTORY + "/";
        return "test -f " + q + "%f && mv -f " + q + "%f \"%p\" && echo %f >>" + q + ".taken || exec " + plain();
    }

    /** Only the launcher, as users write it by hand: the same files, the same checks, a few ms more a call. */
    public String plain() {
        return shellWord(launcher) + " -c " + shellWord(config.toString()) + " archive-get %f \"%p\"";
    }

    /** One sh word, quoted only when it must be; '%' doubled, as PostgreSQL would read a lone one as %f or %p. */
    static String shellWord(String s) {
        String escaped = s.replace("%", "%%");
        if (escaped.matches("[A-Za-z0-9_./=:,+@%-]+")) {
            return escaped;
        }
        return "'" + escaped.replace("'", "'\\''") + "'";
    }
}
