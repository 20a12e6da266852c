package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;

import java.util.List;

/**
 * Cuts a byte stream into whole PostgreSQL protocol messages (type byte, length, body), each handed on as one buffer.
 * A client's first messages have no type byte (the start-up packet, an SSL or cancel request); PostgreSQL caps them
 * at {@value #MAX_STARTUP} bytes and so does the router. A length below the minimum or above the limit is a
 * {@link ProtocolViolation}: the connection is ended, nothing is buffered for it.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    static final int MAX_STARTUP = 10_000;

    private final long maxMessage;
    private boolean untyped;

    /** @param untyped the peer starts with a start-up packet (a client) */
    FrameDecoder(long maxMessage, boolean untyped) {
        this.maxMessage = maxMessage;
        this.untyped = untyped;
    }

    /** The start-up phase is over: from now on every message has a type byte. */
    void typed() {
        untyped = false;
    }

    /** Bytes received and not yet handed on as a message. */
    boolean buffered() {
        return actualReadableBytes() > 0;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (untyped) {
            if (in.readableBytes() < 4) {
                return;
            }
            int length = in.getInt(in.readerIndex());
            if (length < 8 || length > MAX_STARTUP) {
                throw new ProtocolViolation("invalid start-up packet length " + length + " (at most " + MAX_STARTUP + " bytes)");
            }
            if (in.readableBytes() < length) {
                return;
            }
            out.add(in.readRetainedSlice(length));
            // After an SSL or GSS request the client sends another start-up packet; after anything else, typed messages.
            int code = in.getInt(in.readerIndex() - length + 4);
            if (code != StartupPacket.SSL_REQUEST && code != StartupPacket.GSSENC_REQUEST) {
                untyped = false;
            }
            return;
        }
        while (in.readableBytes() >= 5) {
            int length = in.getInt(in.readerIndex() + 1);
            if (length < 4 || length > maxMessage) {
                throw new ProtocolViolation("invalid length " + Integer.toUnsignedString(length) + " of a message of type '"
                        + (char) in.getByte(in.readerIndex()) + "' (the limit is " + maxMessage + " bytes, router.max_message_size)");
            }
            if (in.readableBytes() < length + 1) {
                return;
            }
            out.add(in.readRetainedSlice(length + 1));
        }
    }

    /** A peer broke the protocol: its connection is ended with an error. */
    static final class ProtocolViolation extends DecoderException {
        private static final long serialVersionUID = 1L;

        ProtocolViolation(String message) {
            super(message);
        }
    }
}
