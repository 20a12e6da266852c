package io.walferry.backup;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RecoveryTargetTest {
    @Test
    void valuesAreQuotedAsPostgresqlReadsThemBack() {
        RecoveryTarget t = new RecoveryTarget(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("it's a\\back\\slash\nx"),
                "promote", "latest");
        assertThat(t.settings("'/usr/bin/walferry' archive-get %f \"%p\""))
                .contains("recovery_target_name = 'it''s a\\\\back\\\\slash\\nx'")
                .contains("restore_command = '''/usr/bin/walferry'' archive-get %f \"%p\"'")
                .allSatisfy(line -> assertThat(line).doesNotContain("\n"));
    }
}
