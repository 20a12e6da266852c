package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.Service;
import io.walferry.logical.SourceReadiness.Problem;
import io.walferry.postgres.logical.SourceFacts;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SourceReadinessTest {
    private static SourceFacts facts(String walLevel, int slots, int usedSlots, boolean replication, Optional<Boolean> rds,
                                     Optional<String> rdsSetting) {
        return new SourceFacts(150004, false, walLevel, slots, usedSlots, 10, 1, "app", false, replication, rds, true, rdsSetting,
                Optional.empty());
    }

    @Test
    void aReadySourceHasNoProblem() {
        assertThat(SourceReadiness.check(facts("logical", 10, 2, true, Optional.empty(), Optional.empty()), Service.SELF_MANAGED, false)).isEmpty();
    }

    @Test
    void aSelfManagedServerIsToldWhatToSetInPostgresqlConf() {
        List<Problem> p = SourceReadiness.check(facts("replica", 10, 10, false, Optional.empty(), Optional.empty()), Service.SELF_MANAGED, false);
        assertThat(p).extracting(Problem::what).containsExactly(
                "wal_level is replica on the source, and logical decoding needs logical",
                "the source has no free replication slot (max_replication_slots = 10, 10 in use)",
                "role app may not replicate from the source");
        assertThat(p).extracting(Problem::fix).containsExactly(
                "set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart the server",
                "raise max_replication_slots in postgresql.conf and restart, or drop a slot nothing uses",
                "as a superuser: ALTER ROLE app WITH REPLICATION");
    }

    @Test
    void rdsIsToldAboutItsParameterGroupAndRole_evenWhenNotConfiguredAsRds() {
        List<Problem> p = SourceReadiness.check(facts("replica", 10, 1, false, Optional.of(false), Optional.of("0")), Service.SELF_MANAGED, false);
        assertThat(p).extracting(Problem::fix).containsExactly(
                "set rds.logical_replication = 1 in the DB instance's parameter group and reboot the instance",
                "as the master user: GRANT rds_replication TO app");
        assertThat(SourceReadiness.check(facts("logical", 10, 1, false, Optional.of(true), Optional.of("1")), Service.RDS, false)).isEmpty();
        assertThat(SourceReadiness.check(facts("replica", 10, 1, true, Optional.empty(), Optional.empty()), Service.AURORA, false))
                .extracting(Problem::fix).containsExactly("set rds.logical_replication = 1 in the DB cluster parameter group and reboot the writer instance");
        assertThat(SourceReadiness.check(facts("replica", 10, 1, true, Optional.empty(), Optional.empty()), Service.CLOUD_SQL, false))
                .extracting(Problem::fix).containsExactly("set the database flag cloudsql.logical_decoding = on (the instance restarts)");
    }

    @Test
    void anExistingSlotNeedsNoFreeOneAndAStandbyOrAnOldServerIsNoSource() {
        assertThat(SourceReadiness.check(facts("logical", 5, 5, true, Optional.empty(), Optional.empty()), Service.SELF_MANAGED, true)).isEmpty();
        SourceFacts standby = new SourceFacts(150004, true, "logical", 10, 0, 10, 0, "app", true, true, Optional.empty(), true,
                Optional.empty(), Optional.empty());
        assertThat(SourceReadiness.check(standby, Service.SELF_MANAGED, false)).extracting(Problem::what)
                .containsExactly("the source is a standby (in recovery)");
        SourceFacts old = new SourceFacts(90624, false, "logical", 10, 0, 10, 0, "app", true, true, Optional.empty(), true,
                Optional.empty(), Optional.empty());
        assertThat(SourceReadiness.check(old, Service.SELF_MANAGED, false)).singleElement().extracting(Problem::what)
                .isEqualTo("the source runs PostgreSQL 9, and logical replication with pgoutput needs 10 or later");
        SourceFacts senders = new SourceFacts(150004, false, "logical", 10, 0, 4, 4, "app", true, true, Optional.empty(), true,
                Optional.empty(), Optional.empty());
        assertThat(SourceReadiness.check(senders, Service.AZURE, false)).singleElement().extracting(Problem::fix)
                .isEqualTo("raise max_wal_senders (Server parameters) and restart");
    }
}
