package io.walferry.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * postgresql.auto.conf as a restore leaves it: the backup's copy without the recovery settings it carried, then
 * walferry's own block. A backup of a server that was itself restored to a target, or of a standby, holds that
 * server's recovery_target*, restore_command, primary_conninfo and primary_slot_name. Appending is not enough:
 * a stale recovery_target_xid beside a new recovery_target_time is two targets, which PostgreSQL refuses to
 * start with, and a stale primary_conninfo makes the restored server stream from the old primary.
 */
public final class RecoverySettingsFile {
    /** Starts walferry's block, followed by what wrote it; earlier walferry versions wrote it without {@link #END}. */
    static final String BEGIN = "# added by walferry ";
    static final String END = "# end of walferry restore settings";
    /**
     * Keeps a restored copy out of the cluster's repositories: a copy that archived would write its own timeline
     * into production's history.
     */
    public static final String ARCHIVING_OFF = "archive_mode = 'off'";
    private static final Pattern SETTING = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_.$]*)\\s*(=|\\s|$)");

    private RecoverySettingsFile() {
    }

    /**
     * Replaces the recovery settings of a data directory's postgresql.auto.conf with walferry's block of
     * {@code settings}, saying what wrote it ({@code origin}, e.g. "fence after the promotion of pg2").
     */
    public static void write(Path dataDirectory, String origin, List<String> settings) throws IOException {
        Path auto = dataDirectory.resolve("postgresql.auto.conf");
        String text = rewriteFor(Files.exists(auto) ? Files.readString(auto) : "", origin, settings);
        Path temp = auto.resolveSibling(".postgresql.auto.conf.walferry.tmp");
        Files.writeString(temp, text);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(temp, auto, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** {@code existing} (the backup's file, or "") without stale recovery settings, then the block for {@code backupId}. */
    static String rewrite(String existing, String backupId, List<String> settings) {
        return rewriteFor(existing, "restore of backup " + backupId, settings);
    }

    private static String rewriteFor(String existing, String origin, List<String> settings) {
        StringBuilder out = new StringBuilder();
        boolean inEarlierBlock = false;
        for (String line : existing.lines().toList()) {
            String trimmed = line.strip();
            if (trimmed.startsWith(BEGIN.strip())) {
                inEarlierBlock = true;
                continue;
            }
            if (inEarlierBlock) {
                // A block is its setting lines: it ends at END, or (as an older walferry wrote it) at the first
                // blank or comment line.
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    inEarlierBlock = false;
                    if (trimmed.equals(END)) {
                        continue;
                    }
                } else {
                    continue;
                }
            }
            if (!isRecoverySetting(line)) {
                out.append(line).append('\n');
            }
        }
        out.append(BEGIN).append(origin).append('\n');
        for (String s : settings) {
            out.append(s).append('\n');
        }
        return out.append(END).append('\n').toString();
    }

    /** Whether the line sets a parameter that belongs to one recovery only (names are case-insensitive). */
    static boolean isRecoverySetting(String line) {
        Matcher m = SETTING.matcher(line);
        if (!m.find()) {
            return false;
        }
        String name = m.group(1).toLowerCase(Locale.ROOT);
        return name.equals("restore_command") || name.equals("primary_conninfo") || name.equals("primary_slot_name")
                || name.equals("recovery_target") || name.startsWith("recovery_target_");
    }
}
