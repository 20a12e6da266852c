package io.walferry.archive;

import java.nio.file.Path;

/**
 * The restore_command walferry writes (restore, replica create) and prints ({@code walferry restore-command}).
 * A queued segment is handed over by the shell PostgreSQL runs the command with, and handed over the way
 * local replay reads it: moved into pg_wal under its own name, marked {@code .done} in archive_status (as
 * PostgreSQL marks a restored file, so that it is never archived again), recorded in {@code .taken}, then
 * exit 1. PostgreSQL reads a segment restore_command did not restore from pg_wal (RestoreArchivedFile:
 * "there might still be a version of this file in XLOGDIR"), and reads it as local replay does: without the
 * rename and the two fsyncs, file and pg_wal, with which it keeps a restored file. Those, and the
 * launcher's bash, cost replay 3 to 6 ms a segment, which at local replay speed is 10 to 20% of replay
 * (docs/benchmarks.md). Anything else (a segment not queued yet, a history file, no prefetch) goes to the
 * launcher, which waits for the prefetcher or starts a JVM, and hands over through %p.
 *
 * <p>A queued file needs no check here: the queue is in the data directory, which only the server's user
 * can write, and every file in it was verified, and flushed to disk, before it got its name
 * ({@link PrefetchQueue}); the move is a rename on one file system, so after a crash the segment is either
 * still queued or in pg_wal, whole.
 */
public record RestoreCommandLine(String launcher, Path config) {

    /** The line as PostgreSQL reads it: '%' in the paths doubled, the paths quoted for sh. */
    public String render() {
        String q = PrefetchQueue.DIRECTORY + "/";
        return "test -f " + q + "%f && mv -f " + q + "%f pg_wal/%f && : >pg_wal/archive_status/%f.done && echo %f >>" + q
                + ".taken && exit 1; exec " + plain();
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
