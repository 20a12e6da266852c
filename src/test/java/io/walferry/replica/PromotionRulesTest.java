package io.walferry.replica;

import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class PromotionRulesTest {
    private static Optional<Lsn> lsn(String s) {
        return Optional.of(Lsn.parse(s));
    }

    @Test
    void anOldPrimaryOfThisHostIsStoppedOneElsewhereIsRefusedOrMadeReadOnlyWithForce() {
        assertThat(PromotionRules.fence(true, false)).isEqualTo(PromotionRules.FenceWay.STOP_HERE);
        assertThat(PromotionRules.fence(true, true)).isEqualTo(PromotionRules.FenceWay.STOP_HERE);
        assertThat(PromotionRules.fence(false, false)).isEqualTo(PromotionRules.FenceWay.REFUSE);
        assertThat(PromotionRules.fence(false, true)).isEqualTo(PromotionRules.FenceWay.READ_ONLY);
    }

    @Test
    void theTargetMustHoldTheOldPrimarysWalUnlessForced() {
        assertThat(PromotionRules.holdsOldWal("pg2", lsn("0/5000000"), Lsn.parse("0/5000000"), false, true).kind())
                .isEqualTo(PromotionRules.Verdict.Kind.PROCEED);
        PromotionRules.Verdict short1 = PromotionRules.holdsOldWal("pg2", lsn("0/4FFFFFF"), Lsn.parse("0/5000000"), false, true);
        assertThat(short1.kind()).isEqualTo(PromotionRules.Verdict.Kind.REFUSE);
        assertThat(short1.why()).isEqualTo("node pg2 holds WAL up to 0/4FFFFFF, but the old primary's ends at 0/5000000: promoting it "
                + "would lose the writes in between");
        assertThat(short1.hint()).startsWith("the old primary is stopped now: ").contains("--force");
        assertThat(PromotionRules.holdsOldWal("pg2", Optional.empty(), Lsn.parse("0/5000000"), false, false).hint())
                .doesNotStartWith("the old primary is stopped now");
        assertThat(PromotionRules.holdsOldWal("pg2", Optional.empty(), Lsn.parse("0/5000000"), true, false).kind())
                .isEqualTo(PromotionRules.Verdict.Kind.PROCEED_FORCED);
    }

    @Test
    void aReplicaHoldingMoreWalThanTheTargetRefusesThePromotionUnlessForced() {
        Map<String, Optional<Lsn>> others = new LinkedHashMap<>();
        others.put("pg3", lsn("0/6000000"));
        others.put("pg4", Optional.empty());
        PromotionRules.Verdict v = PromotionRules.mostAdvanced("pg2", lsn("0/5000000"), others, false);
        assertThat(v.kind()).isEqualTo(PromotionRules.Verdict.Kind.REFUSE);
        assertThat(v.why()).contains("replica pg3 holds WAL up to 0/6000000, further than pg2 (0/5000000)");
        assertThat(v.hint()).startsWith("promote pg3 instead");
        assertThat(PromotionRules.mostAdvanced("pg2", lsn("0/5000000"), others, true).kind())
                .isEqualTo(PromotionRules.Verdict.Kind.PROCEED_FORCED);
        assertThat(PromotionRules.mostAdvanced("pg2", lsn("0/6000000"), others, false).kind())
                .isEqualTo(PromotionRules.Verdict.Kind.PROCEED);
    }
}
