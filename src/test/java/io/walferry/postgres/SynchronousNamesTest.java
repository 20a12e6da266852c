package io.walferry.postgres;

import io.walferry.config.ArchiveConfig.WithStandbys;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SynchronousNamesTest {
    private static final String ARCHIVE = "walferry_stream_pg1";

    @Test
    void parsesPostgresForms() {
        assertThat(SynchronousNames.parse("")).isEqualTo(SynchronousNames.NONE);
        assertThat(SynchronousNames.parse("pg2")).isEqualTo(new SynchronousNames(SynchronousNames.Method.FIRST, 1, List.of("pg2")));
        assertThat(SynchronousNames.parse("pg2, pg3")).isEqualTo(new SynchronousNames(SynchronousNames.Method.FIRST, 1, List.of("pg2", "pg3")));
        assertThat(SynchronousNames.parse("2 (pg2, pg3)")).isEqualTo(new SynchronousNames(SynchronousNames.Method.FIRST, 2, List.of("pg2", "pg3")));
        assertThat(SynchronousNames.parse("ANY 1 (\"pg2\", \"pg3\")")).isEqualTo(new SynchronousNames(SynchronousNames.Method.ANY, 1, List.of("pg2", "pg3")));
        assertThat(SynchronousNames.parse("FIRST 1 (*)").value()).isEqualTo("FIRST 1 (*)");
    }

    @Test
    void theArchiveAloneWhenNoStandbyIsNamed() {
        assertThat(SynchronousNames.NONE.withArchive(Optional.of(ARCHIVE), WithStandbys.BOTH).value()).isEqualTo("FIRST 1 (\"walferry_stream_pg1\")");
        assertThat(SynchronousNames.NONE.withArchive(Optional.of(ARCHIVE), WithStandbys.EITHER).value()).isEqualTo("FIRST 1 (\"walferry_stream_pg1\")");
        assertThat(SynchronousNames.parse("FIRST 1 (\"walferry_stream_pg1\")").withoutArchive(ARCHIVE, WithStandbys.BOTH)).isEqualTo(SynchronousNames.NONE);
    }

    @Test
    void bothMeansOneConfirmationMoreWithTheArchiveFirst() {
        SynchronousNames ha = SynchronousNames.parse("FIRST 1 (\"pg2\", \"pg3\")");
        SynchronousNames joined = ha.withArchive(Optional.of(ARCHIVE), WithStandbys.BOTH);
        assertThat(joined.value()).isEqualTo("FIRST 2 (\"walferry_stream_pg1\", \"pg2\", \"pg3\")");
        assertThat(joined.withoutArchive(ARCHIVE, WithStandbys.BOTH)).isEqualTo(ha);
        SynchronousNames quorum = SynchronousNames.parse("ANY 2 (\"pg2\", \"pg3\")");
        assertThat(quorum.withArchive(Optional.of(ARCHIVE), WithStandbys.BOTH).value()).isEqualTo("ANY 3 (\"walferry_stream_pg1\", \"pg2\", \"pg3\")");
    }

    @Test
    void eitherMeansTheArchiveCountsAsOneStandbyMore() {
        SynchronousNames ha = SynchronousNames.parse("FIRST 1 (\"pg2\")");
        SynchronousNames joined = ha.withArchive(Optional.of(ARCHIVE), WithStandbys.EITHER);
        assertThat(joined.value()).isEqualTo("FIRST 1 (\"pg2\", \"walferry_stream_pg1\")");
        assertThat(joined.withoutArchive(ARCHIVE, WithStandbys.EITHER)).isEqualTo(ha);
    }

    @Test
    void eachOwnerKeepsTheOthersPart() {
        // the agent joins the archive to what HA wrote; HA then changes its standbys and keeps the archive as found
        String afterAgent = SynchronousNames.parse("FIRST 1 (\"pg2\")").withArchive(Optional.of(ARCHIVE), WithStandbys.BOTH).value();
        SynchronousNames haPart = SynchronousNames.parse(afterAgent).withoutArchive(ARCHIVE, WithStandbys.BOTH);
        assertThat(haPart.value()).isEqualTo("FIRST 1 (\"pg2\")");
        String afterHa = SynchronousNames.parse("FIRST 1 (\"pg3\")")
                .withArchive(SynchronousNames.parse(afterAgent).includes(ARCHIVE) ? Optional.of(ARCHIVE) : Optional.empty(), WithStandbys.BOTH).value();
        assertThat(afterHa).isEqualTo("FIRST 2 (\"walferry_stream_pg1\", \"pg3\")");
        // the agent drops the archive: HA's standbys stay
        assertThat(SynchronousNames.parse(afterHa).withoutArchive(ARCHIVE, WithStandbys.BOTH).value()).isEqualTo("FIRST 1 (\"pg3\")");
        // joining twice changes nothing
        assertThat(SynchronousNames.parse(afterHa).withArchive(Optional.of(ARCHIVE), WithStandbys.BOTH).value()).isEqualTo(afterHa);
    }

    @Test
    void archiveNameIsTheSlotName() {
        assertThat(SynchronousNames.archiveName("us-east-1")).isEqualTo("walferry_stream_us_east_1");
    }
}
