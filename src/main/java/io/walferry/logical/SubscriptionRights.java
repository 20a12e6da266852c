package io.walferry.logical;

import io.walferry.postgres.logical.Subscriptions.Rights;

import java.util.Optional;

/**
 * Whether the target's role may create the native subscription of a {@code mode: subscription} stream, and if not,
 * what to grant: a superuser may; on PostgreSQL 16 and later a member of pg_create_subscription may (with CREATE on the
 * database, which create checks anyway), but only with a password in the connection string (password_required); on
 * Amazon RDS and Aurora a member of rds_superuser may. Pure.
 */
public final class SubscriptionRights {
    private SubscriptionRights() {
    }

    /** What is wrong and the fix, or empty when the role may create the subscription. */
    public record Problem(String what, String fix) {
    }

    /** {@code password}: the source's connection has a password that can go into the connection string. */
    public static Optional<Problem> check(Rights r, boolean password) {
        if (r.superuser() || r.rdsSuperuser()) {
            return Optional.empty();
        }
        if (r.major() >= 16 && r.createSubscription()) {
            return password ? Optional.empty() : Optional.of(new Problem("role " + r.role() + " is no superuser, and PostgreSQL requires "
                    + "a password in the connection string of a subscription such a role owns (password_required)",
                    "set the source's password: in the stream (e.g. password: ${file:/path}), rather than a password file"));
        }
        return Optional.of(new Problem("role " + r.role() + " may not create a subscription on the target (PostgreSQL " + r.major() + ")",
                r.major() >= 16 ? "GRANT pg_create_subscription TO " + r.role() + " (or use mode: walferry, which needs no such right)"
                        : "make it a superuser (ALTER ROLE " + r.role() + " SUPERUSER; on RDS: GRANT rds_superuser TO " + r.role()
                        + "), or use mode: walferry, which needs no such right"));
    }
}
