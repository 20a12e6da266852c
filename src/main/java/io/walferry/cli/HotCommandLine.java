package io.walferry.cli;

import io.walferry.fastpath.PrefetcherProcess;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The command lines PostgreSQL and walferry itself run many times a minute, recognised without picocli:
 * {@code [-c FILE] archive-get WAL TARGET}, {@code [-c FILE] archive-push WAL} and
 * {@code [-c FILE] archive-prefetch --data-directory DIR [--from-backup-label]}, exactly, as restore_command, archive_command and
 * archive-get write them. picocli's classes are of a class-file version the JVM's startup cache cannot hold,
 * and building its model of every command was more than half of such a JVM's start (docs/benchmarks.md).
 * Any other shape, an option more or a typo, goes to picocli, which owns the syntax, its help and its errors.
 */
final class HotCommandLine {
    private HotCommandLine() {
    }

    static Optional<Callable<Integer>> parse(String[] args, Main main) {
        int i = 0;
        GlobalOptions options = new GlobalOptions();
        if (args.length >= 2 && (args[0].equals("-c") || args[0].equals("--config")) && !args[1].startsWith("-")) {
            options.config = Path.of(args[1]);
            i = 2;
        }
        if (i >= args.length) {
            return Optional.empty();
        }
        String[] ops = java.util.Arrays.copyOfRange(args, i + 1, args.length);
        Callable<Integer> command = switch (args[i]) {
            case "archive-get" -> operands(ops, 2) ? archiveGet(main, ops[0], ops[1]) : null;
            case "archive-push" -> operands(ops, 1) ? archivePush(main, ops[0]) : null;
            case PrefetcherProcess.COMMAND -> (ops.length == 2 || ops.length == 3 && ops[2].equals(PrefetcherProcess.FROM_BACKUP_LABEL))
                    && ops[0].equals(PrefetcherProcess.DATA_DIRECTORY) && !ops[1].startsWith("-")
                    ? archivePrefetch(main, ops[1], ops.length == 3) : null;
            default -> null;
        };
        if (command == null) {
            return Optional.empty();
        }
        main.options = options;
        return Optional.of(command);
    }

    /** Exactly {@code n} operands, none of which picocli could read as an option (--debug, --output, -h). */
    private static boolean operands(String[] ops, int n) {
        if (ops.length != n) {
            return false;
        }
        for (String o : ops) {
            if (o.startsWith("-")) {
                return false;
            }
        }
        return true;
    }

    private static Callable<Integer> archiveGet(Main main, String walFile, String target) {
        ArchiveGetCommand c = new ArchiveGetCommand();
        c.main = main;
        c.walFile = walFile;
        c.target = Path.of(target);
        return c;
    }

    private static Callable<Integer> archivePush(Main main, String walPath) {
        ArchivePushCommand c = new ArchivePushCommand();
        c.main = main;
        c.walPath = Path.of(walPath);
        return c;
    }

    private static Callable<Integer> archivePrefetch(Main main, String dataDirectory, boolean fromBackupLabel) {
        ArchivePrefetchCommand c = new ArchivePrefetchCommand();
        c.main = main;
        c.dataDirectory = Path.of(dataDirectory);
        c.fromBackupLabel = fromBackupLabel;
        return c;
    }
}
