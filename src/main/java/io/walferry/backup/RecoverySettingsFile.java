package io.walferry.backup;

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
final class RecoverySettingsFile {
    /** Starts walferry's block; earlier walferry versions wrote the same line, without {@link #END}. */
    static final String BEGIN = "# added by walferry restore of backup ";
    static final String END = "# end of walferry restore settings";
    private static final Pattern SETTING = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_.$]*)\\s*(=|\\s|$)");

    private RecoverySettingsFile() {
    }

    /** {@code existing} (the backup's file, or "") without stale recovery settings, then the block for {@code backupId}. */
    static String rewrite(String existing, String backupId, List<String> settings) {
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
        out.append(BEGIN).append(backupId).append('\n');
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
