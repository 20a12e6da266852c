package io.walferry.postgres.logical;

import io.walferry.config.ConnectionConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgBinaries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema half of a stream's initial copy, through PostgreSQL's own tools: pg_dump of the source's schema in the
 * slot's exported snapshot into a custom-format archive, its table of contents, and pg_restore of chosen entries of
 * one section (pre-data before the data, post-data after it) into the target as its (ordinary) role: no owners, no
 * privileges, no tablespaces. Connection settings go to the programs in libpq's environment variables, the password
 * among them, never on a command line.
 */
public final class SchemaTransfer {
    private static final Pattern TOC_LINE = Pattern.compile("(\\d+); (\\d+) (\\d+) (.+)");

    private final PgBinaries client;

    public SchemaTransfer(PgBinaries client) {
        this.client = client;
    }

    /** A server as libpq's programs reach it. */
    public record Server(String label, String host, int port, ConnectionConfig connection) {
    }

    /** One entry of an archive's table of contents, as {@code pg_restore -l} lists it: "TABLE public orders app". */
    public record TocEntry(String line, String description) {
    }

    public enum Section {
        PRE_DATA("pre-data"), POST_DATA("post-data");

        private final String option;

        Section(String option) {
            this.option = option;
        }
    }

    /**
     * pg_dump --schema-only into {@code archive}, in {@code snapshot}; {@code selection} holds pg_dump's options that
     * choose objects ({@code --table}, {@code --schema}), none for the whole database.
     */
    public void dump(Server source, String snapshot, List<String> selection, Path archive) {
        List<String> cmd = new ArrayList<>(List.of(client.program("pg_dump").toString(), "--schema-only", "--format=custom",
                "--file=" + archive, "--snapshot=" + snapshot, "--no-publications", "--no-subscriptions", "--no-security-labels",
                "--no-tablespaces", "--strict-names"));
        cmd.addAll(selection);
        cmd.add("--dbname=" + conninfoDatabase(source));
        run(cmd, source, "pg_dump of the schema of " + source.label());
    }

    /** The archive's table of contents. */
    public List<TocEntry> contents(Path archive) {
        String out = run(List.of(client.program("pg_restore").toString(), "--list", archive.toString()), null, "pg_restore --list");
        List<TocEntry> entries = new ArrayList<>();
        for (String line : out.lines().toList()) {
            Matcher m = TOC_LINE.matcher(line);
            if (m.matches()) {
                entries.add(new TocEntry(line, m.group(4)));
            }
        }
        return entries;
    }

    /**
     * pg_restore of the {@code entries} of one section into the target: pre-data in one transaction (all or nothing),
     * post-data with {@code jobs} sessions.
     */
    public void restore(Server target, Path archive, Section section, List<TocEntry> entries, int jobs, Path workDir) {
        Path list = workDir.resolve(archive.getFileName() + "." + section.option + ".list");
        try {
            Files.write(list, entries.stream().map(TocEntry::line).toList());
        } catch (IOException e) {
            throw new WalferryException(Failure.LOCAL, "cannot write " + list + ": " + e.getMessage(), "check the temporary directory", e);
        }
        List<String> cmd = new ArrayList<>(List.of(client.program("pg_restore").toString(), "--section=" + section.option,
                "--use-list=" + list, "--no-owner", "--no-privileges", "--no-tablespaces", "--no-security-labels",
                "--no-publications", "--no-subscriptions", "--exit-on-error"));
        if (section == Section.PRE_DATA) {
            cmd.add("--single-transaction");
        } else {
            cmd.add("--jobs=" + jobs);
        }
        cmd.add("--dbname=" + conninfoDatabase(target));
        cmd.add(archive.toString());
        run(cmd, target, "pg_restore of the " + section.option + " schema into " + target.label());
    }

    /** The database as a conninfo string, so that a name with '=' in it is not taken for one. */
    private static String conninfoDatabase(Server server) {
        return "dbname='" + server.connection().database().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private String run(List<String> cmd, Server server, String what) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG"));
        env.put("LC_ALL", "C");
        if (server != null) {
            env.putAll(LibpqEnvironment.of(server.host(), server.port(), server.connection()));
        }
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            int code = p.waitFor();
            if (code != 0) {
                String why = out.lines().filter(l -> l.contains("error:")).findFirst()
                        .orElse(out.lines().reduce((a, b) -> b).orElse("exit code " + code)).strip();
                throw new WalferryException(Failure.POSTGRES, what + " failed: " + why,
                        "see docs/logical.md#the-schema-copy for what the target role needs");
            }
            return out;
        } catch (IOException e) {
            throw new WalferryException(Failure.LOCAL, "cannot run " + cmd.get(0) + ": " + e.getMessage(), "check --pg-bin", e);
        } catch (InterruptedException e) {
            throw WalferryException.interrupted(what);
        }
    }
}
