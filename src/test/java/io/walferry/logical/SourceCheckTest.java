package io.walferry.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.LogicalSlots.Slot;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SourceCheckTest {
    private static final Lsn APPLIED = Lsn.parse("0/3000000");

    private static Optional<Slot> slot(String walStatus) {
        return Optional.of(new Slot("walferry_s", "logical", "pgoutput", "shop", false, Optional.of(APPLIED), Optional.of(APPLIED),
                Optional.of(walStatus), Optional.of(0L), Optional.empty()));
    }

    @Test
    void aPrimaryWithTheSlotGoesOn() {
        assertThat(SourceCheck.decide("s", "walferry_s", "node pg2/shop", APPLIED, false, slot("reserved")).problem()).isEmpty();
    }

    @Test
    void aSlotMissingAfterAFailoverAsksForAResync() {
        SourceCheck.Verdict v = SourceCheck.decide("s", "walferry_s", "node pg2/shop", APPLIED, false, Optional.empty());
        assertThat(v.problem().orElseThrow()).contains("slot walferry_s of logical stream s is not on the source (node pg2/shop)")
                .contains("failed over").contains("0/3000000");
        assertThat(v.fix().orElseThrow()).startsWith("walferry logical resync s");
    }

    @Test
    void aStandbyOrALostSlotStopsTheStreamToo() {
        assertThat(SourceCheck.decide("s", "walferry_s", "node pg1/shop", APPLIED, true, slot("reserved")).problem().orElseThrow())
                .contains("is a standby now");
        SourceCheck.Verdict lost = SourceCheck.decide("s", "walferry_s", "node pg1/shop", APPLIED, false, slot("lost"));
        assertThat(lost.problem().orElseThrow()).contains("is lost");
        assertThat(lost.fix().orElseThrow()).contains("walferry logical resync s").contains("max_slot_wal_keep_size");
    }
}
