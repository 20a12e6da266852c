package io.walferry.backup;

import io.walferry.postgres.ConfigValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where archive recovery of a restored cluster stops and what the server does there: the settings a
 * restore appends to postgresql.auto.conf. At most one target; none means "replay everything archived".
 */
public record RecoveryTarget(Optional<String> time, Optional<String> lsn, Optional<String> xid, Optional<String> name,
                             String action, String timeline) {

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
