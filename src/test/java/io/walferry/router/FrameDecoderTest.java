package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Framing and start-up packets: what a client sends is cut into whole messages, and nothing out of bounds is accepted. */
class FrameDecoderTest {
    private static ByteBuf startup(String params) {
        byte[] p = params.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.buffer();
        b.writeInt(8 + p.length);
        b.writeInt(StartupPacket.PROTOCOL_3);
        b.writeBytes(p);
        return b;
    }

    @Test
    void anSslRequestThenAStartupPacketThenTypedMessagesInPieces() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1 << 20, true));
        ByteBuf all = Unpooled.buffer();
        all.writeInt(8).writeInt(StartupPacket.SSL_REQUEST);
        all.writeBytes(startup("user\0app\0database\0db\0\0"));
        all.writeByte('Q').writeInt(4 + 9).writeBytes("select 1\0".getBytes(StandardCharsets.US_ASCII));
        // a byte at a time: nothing comes out before a message is whole
        while (all.isReadable()) {
            ch.writeInbound(all.readRetainedSlice(1));
        }
        ByteBuf ssl = ch.readInbound();
        assertThat(StartupPacket.parse(ssl).code()).isEqualTo(StartupPacket.SSL_REQUEST);
        ByteBuf s = ch.readInbound();
        StartupPacket p = StartupPacket.parse(s);
        assertThat(p.user()).isEqualTo("app");
        assertThat(p.database()).isEqualTo("db");
        ByteBuf q = ch.readInbound();
        assertThat((char) q.getByte(0)).isEqualTo('Q');
        assertThat(q.readableBytes()).isEqualTo(14);
        assertThat(ch.inboundMessages()).isEmpty();
        ssl.release();
        s.release();
        q.release();
        all.release();
    }

    @Test
    void lengthsOutOfBoundsAreProtocolViolations() {
        EmbeddedChannel big = new EmbeddedChannel(new FrameDecoder(1 << 20, true));
        assertThatThrownBy(() -> big.writeInbound(Unpooled.buffer().writeInt(10_001).writeInt(StartupPacket.PROTOCOL_3)))
                .isInstanceOf(DecoderException.class).hasMessageContaining("invalid start-up packet length 10001");
        EmbeddedChannel small = new EmbeddedChannel(new FrameDecoder(1 << 20, true));
        assertThatThrownBy(() -> small.writeInbound(Unpooled.buffer().writeInt(3).writeInt(0)))
                .hasMessageContaining("invalid start-up packet length 3");
        EmbeddedChannel typed = new EmbeddedChannel(new FrameDecoder(1 << 20, false));
        assertThatThrownBy(() -> typed.writeInbound(Unpooled.buffer().writeByte('Q').writeInt((1 << 20) + 1)))
                .hasMessageContaining("invalid length 1048577 of a message of type 'Q'");
        EmbeddedChannel negative = new EmbeddedChannel(new FrameDecoder(1 << 20, false));
        assertThatThrownBy(() -> negative.writeInbound(Unpooled.buffer().writeByte('Q').writeInt(-1)))
                .hasMessageContaining("invalid length 4294967295");
    }

    @Test
    void malformedStartupPacketsAreRefused() {
        assertThatThrownBy(() -> StartupPacket.parse(startup("user\0app"))).hasMessageContaining("without its terminating zero");
        assertThatThrownBy(() -> StartupPacket.parse(startup("database\0x\0\0"))).hasMessageContaining("no user");
        assertThatThrownBy(() -> StartupPacket.parse(startup("user\0a\0user\0b\0\0"))).hasMessageContaining("given twice");
        assertThatThrownBy(() -> StartupPacket.parse(startup("user\0a\0\0junk"))).hasMessageContaining("bytes after the end");
        assertThatThrownBy(() -> StartupPacket.parse(Unpooled.buffer().writeInt(12).writeInt(StartupPacket.CANCEL_REQUEST).writeInt(1)))
                .hasMessageContaining("a cancel request of 12 bytes");
        StartupPacket cancel = StartupPacket.parse(Unpooled.buffer().writeInt(16).writeInt(StartupPacket.CANCEL_REQUEST).writeInt(7).writeInt(9));
        assertThat(cancel.cancelPid()).isEqualTo(7);
        assertThat(cancel.cancelKey()).isEqualTo(9);
    }
}
