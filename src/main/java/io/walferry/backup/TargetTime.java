package io.walferry.backup;

import io.walferry.failure.WalferryException;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A --target-time as an instant, to compare with the backups' stop times and with the archive's end. PostgreSQL
 * reads many more forms than this; walferry takes only the ISO ones that name their zone, which PostgreSQL reads
 * too. A time without a zone is refused: PostgreSQL would read it in the restored server's TimeZone, which
 * walferry cannot know, and a guess off by hours picks a backup that ends after the target or lets a target
 * through that the backup cannot reach.
 */
final class TargetTime {
    private static final Pattern FORM = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[ T](\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?)\\s*(\\S*)");
    private static final Pattern OFFSET = Pattern.compile("[+-]\\d{1,2}(:?\\d{2}(:?\\d{2})?)?");

    private TargetTime() {
    }

    static Instant parse(String text) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw unreadable(text, "give it as '2026-11-22 10:00:00+00'");
        }
        String zone = m.group(3);
        if (zone.isEmpty()) {
            throw unreadable(text, "name its zone, as in '" + text.strip() + "+00'");
        }
        if (zone.matches("(?i)(UTC|GMT|UT)[+-].*")) {
            // POSIX reads the sign of such a zone the other way round from ISO: which one PostgreSQL takes is a guess
            throw unreadable(text, "give the offset alone, as in '2026-11-22 10:00:00+01'");
        }
        LocalDateTime local;
        ZoneId id;
        try {
            local = LocalDateTime.parse(m.group(1) + "T" + m.group(2));
            id = zone.equalsIgnoreCase("Z") || zone.equalsIgnoreCase("UTC") || zone.equalsIgnoreCase("GMT") ? ZoneOffset.UTC
                    : OFFSET.matcher(zone).matches() ? ZoneOffset.of(zone)
                    : ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw unreadable(text, "give it as '2026-11-22 10:00:00+00', with a numeric offset or a zone such as Europe/Berlin");
        }
        return local.atZone(id).toInstant();
    }

    private static WalferryException unreadable(String text, String fix) {
        return WalferryException.config("--target-time '" + text + "' is not a time with a zone that walferry can read", fix);
    }
}
