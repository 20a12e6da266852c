package io.walferry.cli;

import io.walferry.backup.TablespacePlacement;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** --tablespace OID=DIR and --tablespaces-as-recorded, for restore and replica create (a picocli mixin). */
final class TablespaceOptions {
    @Option(names = "--tablespace", paramLabel = "OID=DIR", description = "Restore tablespace OID into DIR, an empty or new directory "
            + "outside the data directory (repeatable). A backup with tablespaces needs this for each of them, or "
            + "--tablespaces-as-recorded.")
    Map<String, String> given = new HashMap<>();

    @Option(names = "--tablespaces-as-recorded", description = "Restore every tablespace not given with --tablespace where the backup "
            + "recorded it (the error without it lists those places). Only for a repository you trust: whoever can write to it "
            + "chooses these directories.")
    boolean asRecorded;

    /** The placement the options say, each DIR made absolute against the working directory. */
    TablespacePlacement placement() {
        Map<String, String> absolute = new HashMap<>();
        given.forEach((oid, dir) -> absolute.put(oid, Path.of(dir).toAbsolutePath().normalize().toString()));
        return new TablespacePlacement(absolute, asRecorded);
    }
}
