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

    /**
     * PostgreSQL's SQLSTATE when a subscription owned by a role that is no superuser connects without a password (the
     * string holds none, or the source did not ask for it): prohibited_sql_statement_attempted.
     */
    static final String PASSWORD_REQUIRED = "2F003";

    /**
     * What to do when creating the subscription failed with {@code sqlState}: empty unless the subscription's connection
     * used no password where PostgreSQL requires one ({@code owner}: the target's role; {@code sourceRole}: the role the
     * subscription connects to the source as). The string holds the password ({@link #check}), so the source did not ask
     * for it. Pure.
     */
    public static Optional<Problem> afterCreate(String sqlState, String owner, String sourceRole) {
        if (!PASSWORD_REQUIRED.equals(sqlState)) {
            return Optional.empty();
        }
        return Optional.of(new Problem("the source did not ask the subscription's connection (role " + sourceRole + ") for its password, "
                + "and PostgreSQL requires a password of a subscription whose owner " + owner + " is no superuser (password_required)",
                "make the source's pg_hba.conf ask role " + sourceRole + " for a password (scram-sha-256) on connections from the "
                        + "target's server, then run logical create again"));
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
