package io.walferry.logical;

import io.walferry.postgres.logical.Subscriptions.Rights;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SubscriptionRightsTest {
    @Test
    void aSuperuserOrAnRdsSuperuserMay() {
        assertThat(SubscriptionRights.check(new Rights("postgres", 15, true, false, false), false)).isEmpty();
        assertThat(SubscriptionRights.check(new Rights("admin", 15, false, false, true), false)).isEmpty();
    }

    @Test
    void anOrdinaryRoleOnFifteenIsToldToBecomeSuperuser() {
        SubscriptionRights.Problem p = SubscriptionRights.check(new Rights("app", 15, false, false, false), true).orElseThrow();
        assertThat(p.what()).contains("role app may not create a subscription");
        assertThat(p.fix()).contains("ALTER ROLE app SUPERUSER").contains("rds_superuser").contains("mode: walferry");
    }

    @Test
    void onSixteenPgCreateSubscriptionIsEnoughWithAPassword() {
        assertThat(SubscriptionRights.check(new Rights("app", 16, false, true, false), true)).isEmpty();
        assertThat(SubscriptionRights.check(new Rights("app", 17, false, true, false), false).orElseThrow().what())
                .contains("password_required");
        assertThat(SubscriptionRights.check(new Rights("app", 16, false, false, false), true).orElseThrow().fix())
                .startsWith("GRANT pg_create_subscription TO app");
    }

    @Test
    void aSubscriptionConnectionWithoutAPasswordNamesTheSourceRoleAndPgHba() {
        SubscriptionRights.Problem p = SubscriptionRights.afterCreate("2F003", "app", "repl").orElseThrow();
        assertThat(p.what()).contains("role repl").contains("owner app is no superuser").contains("password_required");
        assertThat(p.fix()).contains("pg_hba.conf").contains("role repl");
        assertThat(SubscriptionRights.afterCreate("42501", "app", "repl")).isEmpty();
    }
}
