package io.walferry.cli;

import io.walferry.archive.ArchiveGetter;
import io.walferry.archive.RestoreFetch;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.WalFileName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * restore_command: hands PostgreSQL one verified WAL file. "Not in the archive" exits 1 quietly, as PostgreSQL
 * expects. A copy that cannot be verified is an error: a standby gets exit 1 and asks again later, but archive
 * recovery gets 126, which stops it, because ending recovery at that file would silently lose what follows.
 */
@Command(name = "archive-get", mixinStandardHelpOptions = true, description = "Fetch one WAL file (restore_command = 'walferry archive-get %%f %%p').")
final class ArchiveGetCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "WAL_FILE", description = "The file PostgreSQL asks for: %%f.")
    String walFile;

    @Parameters(index = "1", paramLabel = "TARGET", description = "Where to write it: %%p.")
    Path target;

    @Override
    public Integer call() {
        WalFileName name;
        try {
            name = WalFileName.parse(walFile);
        } catch (IllegalArgumentException e) {
            throw WalferryException.config(e.getMessage(), "restore_command must be 'walferry archive-get %f %p'");
        }
        try {
            Context ctx = main.context();
            // PostgreSQL runs restore_command in the data directory: there it may be handed a prefetched segment.
            ArchiveGetter.Outcome outcome = new RestoreFetch(ctx.config(), ctx.env(), ctx.launcher())
                    .get(name, target, Path.of("").toAbsolutePath());
            if (ctx.json()) {
                Output.json(main.out(), Output.object().put("file", walFile)
                        .put("found", outcome == ArchiveGetter.Outcome.FOUND));
            }
            return outcome == ArchiveGetter.Outcome.FOUND ? 0 : ExitCode.FAILED.code();
        } catch (RuntimeException e) {
            // Anything but a clean "not found" must not read as one: see docs/exit-codes.md.
            WalferryException we = e instanceof WalferryException w ? w
                    : new WalferryException(Failure.FAILED, "unexpected failure: " + e, "run with --debug for details", e);
            if (Files.exists(Path.of("standby.signal"))) {
                throw new ExitWith(ExitCode.FAILED, we);
            }
            if (Files.exists(Path.of("recovery.signal"))) {
                throw new ExitWith(ExitCode.RECOVERY_MUST_STOP, new WalferryException(we.kind(), we.getMessage()
                        + "; stopping archive recovery rather than ending it early", we.hint(), we));
            }
            // By hand, 1 would read as "not found": what failed otherwise (%p not writable, say) is 3.
            ExitCode byHand = ExitCode.of(we.kind());
            throw new ExitWith(byHand == ExitCode.FAILED ? ExitCode.REPOSITORY : byHand, we);
        }
    }
}
