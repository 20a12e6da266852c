package io.walferry.postgres;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WalFileNameTest {
    private static final long SEG16 = 16L << 20;

    @Test
    void parsesEveryKindOfArchivedFile() {
        assertThat(WalFileName.parse("000000010000000A000000FF")).isInstanceOf(WalFileName.Segment.class);
        assertThat(WalFileName.parse("000000020000000A000000FF.partial")).isInstanceOf(WalFileName.Partial.class);
        assertThat(WalFileName.parse("00000002.history").timeline()).isEqualTo(2);
        assertThat(WalFileName.parse("000000010000000000000002.00000028.backup")).isInstanceOf(WalFileName.BackupHistory.class);
        for (String bad : new String[]{"", "../etc/passwd", "000000010000000000000002x", "00000001000000000000000g", "RECOVERYXLOG"}) {
            assertThatThrownBy(() -> WalFileName.parse(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void segmentNumbersDependOnTheSegmentSize() {
        var s = new WalFileName.Segment("000000030000000A000000FF");
        assertThat(s.timeline()).isEqualTo(3);
        assertThat(s.segmentNumber(SEG16)).isEqualTo(0xA * 256L + 0xFF);
        assertThat(s.next(SEG16).fileName()).isEqualTo("000000030000000B00000000");
        assertThat(WalFileName.Segment.of(1, 0x40, 64L << 20).fileName()).isEqualTo("000000010000000100000000");
        assertThat(s.validFor(64L << 20)).isFalse();
        assertThat(s.group()).isEqualTo("000000030000000A");
        assertThat(WalFileName.parse("00000002.history").group()).isEqualTo("history");
    }

    @Test
    void lsnParsesAndPrints() {
        Lsn l = Lsn.parse("16/B374D848");
        assertThat(l.value()).isEqualTo(0x16B374D848L);
        assertThat(l).hasToString("16/B374D848");
        assertThat(l.segmentNumber(SEG16)).isEqualTo(0x16B374D848L >> 24);
    }

    private static ByteBuffer header(int magic, int tli, long pageAddr, long sysid, int segSize) {
        ByteBuffer b = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) magic).putShort(2, (short) 0x0002).putInt(4, tli).putLong(8, pageAddr)
                .putLong(24, sysid).putInt(32, segSize).putInt(36, 8192);
        return b;
    }

    @Test
    void segmentCheckNamesWhatIsWrong() {
        ClusterIdentity id = new ClusterIdentity(7000000000000000001L, new PgVersion(15), SEG16);
        var name = new WalFileName.Segment("000000020000000000000003");
        assertThat(WalSegmentCheck.problem(name, SEG16, header(0xD110, 2, 3 * SEG16, id.systemIdentifier(), (int) SEG16), id)).isEmpty();
        assertThat(WalSegmentCheck.problem(name, SEG16, header(0xD110, 1, 3 * SEG16, id.systemIdentifier(), (int) SEG16), id))
                .as("a new timeline's first segment starts with the parent's pages").isEmpty();
        assertThat(WalSegmentCheck.problem(name, SEG16 - 1, header(0xD110, 2, 3 * SEG16, id.systemIdentifier(), (int) SEG16), id))
                .get().asString().contains("bytes");
        assertThat(WalSegmentCheck.problem(name, SEG16, header(0xD10D, 2, 3 * SEG16, id.systemIdentifier(), (int) SEG16), id))
                .get().asString().contains("magic 0xD10D");
        assertThat(WalSegmentCheck.problem(name, SEG16, header(0xD110, 2, 3 * SEG16, 42, (int) SEG16), id))
                .get().asString().contains("another cluster");
        assertThat(WalSegmentCheck.problem(name, SEG16, header(0xD110, 2, 4 * SEG16, id.systemIdentifier(), (int) SEG16), id))
                .get().asString().contains("renamed or recycled");
        assertThat(WalSegmentCheck.problem(name, SEG16, header(0xD110, 3, 3 * SEG16, id.systemIdentifier(), (int) SEG16), id))
                .get().asString().contains("timeline 3");
    }
}
