package io.walferry.replica;

import io.walferry.failure.Failure;
import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A promotion whose node became the primary is unfinished while a replica that answered could not be repointed. */
class PromotionResultTest {
    private static Promotion.Result result(List<Promotion.NotRepointed> notRepointed) {
        return new Promotion.Result("pg2", Optional.of("pg1"), "stopped", Optional.of(Lsn.parse("0/3000000")), 2, Lsn.parse("0/3000100"),
                List.of("pg3"), notRepointed, List.of(), List.of(), List.of());
    }

    @Test
    void everyReplicaRepointedIsFinished() {
        assertThat(result(List.of()).unfinished()).isEmpty();
    }

    @Test
    void oneReplicaNotRepointedFailsNamingItAndTheFix() {
        assertThat(result(List.of(new Promotion.NotRepointed("pg4", "connection refused"))).unfinished()).hasValueSatisfying(e -> {
            assertThat(e.kind()).isEqualTo(Failure.FAILED);
            assertThat(e.oneLine()).isEqualTo("pg2 is the primary, but replica pg4 could not be repointed to it: connection refused "
                    + "(hint: fix that, then run walferry replica repoint --node pg4)");
        });
    }

    @Test
    void severalNotRepointedNameTheFirstAndCountTheRest() {
        assertThat(result(List.of(new Promotion.NotRepointed("pg4", "refused"), new Promotion.NotRepointed("pg5", "refused")))
                .unfinished()).hasValueSatisfying(e -> assertThat(e.oneLine())
                .contains("replica pg4 could not be repointed to it (and 1 more): refused")
                .endsWith(", and likewise for each replica listed as not repointed)"));
    }
}
