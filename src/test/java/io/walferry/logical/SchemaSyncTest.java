package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaSyncTest {
    private static final QualifiedName NOTES = new QualifiedName("public", "notes");

    @Test
    void theStreamSkipsBeforeWhereATableWasCopiedAndWaitsForOneBeingCopied() {
        assertThat(SchemaSync.copiedAt("shop", NOTES, Optional.empty())).isEmpty();
        assertThat(SchemaSync.copiedAt("shop", NOTES, Optional.of(Optional.of(Lsn.parse("0/3000060"))))).contains(Lsn.parse("0/3000060"));
        assertThatThrownBy(() -> SchemaSync.copiedAt("shop", NOTES, Optional.of(Optional.empty())))
                .isInstanceOfSatisfying(WalferryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Failure.FAILED);
                    assertThat(RunFailures.passing(e)).as("the stream waits for the copy").isTrue();
                    assertThat(e.getMessage()).isEqualTo("table public.notes of logical stream shop is being copied by logical sync-schema "
                            + "(or its copy was interrupted)");
                    assertThat(e.hint()).contains("walferry logical sync-schema shop");
                });
    }
}
