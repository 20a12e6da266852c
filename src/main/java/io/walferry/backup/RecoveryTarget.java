package io.walferry.backup;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.ConfigValue;
import io.walferry.postgres.Lsn;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where archive recovery of a restored cluster stops and what the server does there: the settings a
 * restore appends to postgresql.auto.conf. At most one target; none means "replay everything archived".
 */
public record RecoveryTarget(Optional<String> time, Optional<String> lsn, Optional<String> xid, Optional<String> name,
                             String action, String timeline) {

    /** PostgreSQL's limit on a restore point's name (MAXFNAMELEN - 1). */
    private static final int MAX_NAME = 63;

    /**
     * A target as the command line gives it, checked the way PostgreSQL checks it when it starts, so that one it
     * would refuse is refused before anything is restored; a time must also name its zone (see {@link TargetTime}).
     */
    public static RecoveryTarget of(Optional<String> time, Optional<String> lsn, Optional<String> xid, Optional<String> name,
                                    String action, String timeline) {
        if (Stream.of(time, lsn, xid, name).filter(Optional::isPresent).count() > 1) {
            throw WalferryException.config("more than one recovery target given", "use one of --target-time, --target-lsn, --target-xid, --target-name");
        }
        if (!List.of("promote", "pause", "shutdown").contains(action)) {
            throw WalferryException.config("--target-action must be promote, pause or shutdown, not " + action, null);
        }
        if (!timeline.matches("latest|current|\\d{1,10}")) {
            throw WalferryException.config("--target-timeline must be latest, current or a number, not " + timeline, null);
        }
        time.ifPresent(TargetTime::parse);
        lsn.ifPresent(RecoveryTarget::parseLsn);
        xid.ifPresent(x -> {
            if (!x.matches("\\d{1,20}") || new BigInteger(x).bitLength() > 64) {
                throw WalferryException.config("--target-xid " + x + " is not a transaction id", "give the number PostgreSQL prints, e.g. 4711");
            }
        });
        name.ifPresent(n -> {
            if (n.isEmpty() || n.length() > MAX_NAME) {
                throw WalferryException.config("--target-name '" + n + "' is " + (n.isEmpty() ? "empty" : "longer than " + MAX_NAME + " characters"),
                        "give the name passed to pg_create_restore_point()");
            }
        });
        return new RecoveryTarget(time, lsn, xid, name, action, timeline);
    }

    static Lsn parseLsn(String text) {
        try {
            return Lsn.parse(text);
        } catch (IllegalArgumentException e) {
            throw WalferryException.config("--target-lsn " + text + " is not an LSN", "give it as PostgreSQL prints one, e.g. 0/5000138");
        }
    }

    public static RecoveryTarget none() {
        return new RecoveryTarget(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "promote", "latest");
    }

    public boolean any() {
        return time.isPresent() || lsn.isPresent() || xid.isPresent() || name.isPresent();
    }

    /** postgresql.conf lines, values quoted as the server reads them. */
    public List<String> settings(String restoreCommand) {
        List<String> out = new ArrayList<>();
        out.add("restore_command = " + ConfigValue.quote(restoreCommand));
        time.ifPresent(v -> out.add("recovery_target_time = " + ConfigValue.quote(v)));
        lsn.ifPresent(v -> out.add("recovery_target_lsn = " + ConfigValue.quote(v)));
        xid.ifPresent(v -> out.add("recovery_target_xid = " + ConfigValue.quote(v)));
        name.ifPresent(v -> out.add("recovery_target_name = " + ConfigValue.quote(v)));
        if (any()) {
            out.add("recovery_target_action = " + ConfigValue.quote(action));
        }
        out.add("recovery_target_timeline = " + ConfigValue.quote(timeline));
        return out;
    }
}
