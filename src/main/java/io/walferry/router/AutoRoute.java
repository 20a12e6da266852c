package io.walferry.router;

import io.walferry.config.RouterConfig;
import io.walferry.postgres.Lsn;

import java.util.Optional;

/** The auto endpoint's decision for a client's next transaction: a pure function of its SQL and the client's state. */
final class AutoRoute {
    private AutoRoute() {
    }

    /**
     * @param route            {@code rw}: the primary; {@code ro}: a fit replica that has replayed {@code mustSee}, else the primary
     * @param mayWrite         the transaction may write: once it ends, the primary's position is asked (read-your-writes)
     * @param sessionOnPrimary the client's later transactions keep to the primary too (it set session state)
     */
    record Decision(RouterConfig.Role route, Optional<Lsn> mustSee, boolean mayWrite, boolean sessionOnPrimary, String why) {
    }

    /**
     * @param sql              what the transaction's SQL does; empty when there is none yet (a client logging in)
     * @param sessionOnPrimary the client set session state before
     * @param positionUnknown  the position of the client's last write is still being asked, or could not be had
     * @param mustSee          the position of the client's last write
     */
    static Decision decide(Optional<StatementRoute> sql, boolean sessionOnPrimary, boolean positionUnknown, Optional<Lsn> mustSee) {
        if (sql.isEmpty()) {
            return new Decision(RouterConfig.Role.RW, Optional.empty(), false, sessionOnPrimary, "no SQL yet");
        }
        StatementRoute r = sql.get();
        if (sessionOnPrimary) {
            return new Decision(RouterConfig.Role.RW, Optional.empty(), false, true, "the session keeps state on the primary");
        }
        if (!r.readOnly()) {
            // a session that set state keeps to the primary: its later reads see its own writes there
            return new Decision(RouterConfig.Role.RW, Optional.empty(), !r.sticky(), r.sticky(), r.reason());
        }
        if (positionUnknown) {
            return new Decision(RouterConfig.Role.RW, Optional.empty(), false, false,
                    r.reason() + ", but the position of the client's last write is not known yet");
        }
        return new Decision(RouterConfig.Role.RO, mustSee, false, false,
                r.reason() + mustSee.map(l -> " (on a replica that has replayed " + l + ")").orElse(""));
    }
}
