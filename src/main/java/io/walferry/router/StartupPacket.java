package io.walferry.router;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A client's untyped first message: a start-up packet (protocol 3.0 and its parameters), an SSL or GSS encryption
 * request, or a cancel request (a backend's process id and secret key).
 */
record StartupPacket(int code, Map<String, String> parameters, int cancelPid, int cancelKey) {
    static final int PROTOCOL_3 = 196608;
    static final int CANCEL_REQUEST = 80877102;
    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;

    /** Reads a whole packet (length included); refuses anything that is not well formed. */
    static StartupPacket parse(ByteBuf frame) {
        int length = frame.readInt();
        int code = frame.readInt();
        if (code == CANCEL_REQUEST) {
            if (length != 16) {
                throw new FrameDecoder.ProtocolViolation("a cancel request of " + length + " bytes (expected 16)");
            }
            return new StartupPacket(code, Map.of(), frame.readInt(), frame.readInt());
        }
        if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
            if (length != 8) {
                throw new FrameDecoder.ProtocolViolation("an encryption request of " + length + " bytes (expected 8)");
            }
            return new StartupPacket(code, Map.of(), 0, 0);
        }
        if (code >> 16 != 3) {
            throw new FrameDecoder.ProtocolViolation("unsupported frontend protocol " + (code >> 16) + "." + (code & 0xffff)
                    + ": the router speaks 3.0");
        }
        Map<String, String> params = new LinkedHashMap<>();
        while (true) {
            String key = cString(frame);
            if (key.isEmpty()) {
                break;
            }
            if (params.put(key, cString(frame)) != null) {
                throw new FrameDecoder.ProtocolViolation("start-up parameter " + key + " given twice");
            }
        }
        if (frame.isReadable()) {
            throw new FrameDecoder.ProtocolViolation("bytes after the end of the start-up packet");
        }
        if (!params.containsKey("user")) {
            throw new FrameDecoder.ProtocolViolation("no user in the start-up packet");
        }
        return new StartupPacket(code, Map.copyOf(params), 0, 0);
    }

    String user() {
        return parameters.get("user");
    }

    String database() {
        return Optional.ofNullable(parameters.get("database")).orElse(user());
    }

    /** A NUL-terminated UTF-8 string; one that runs past the end of the message is a protocol violation. */
    static String cString(ByteBuf b) {
        int end = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) 0);
        if (end < 0) {
            throw new FrameDecoder.ProtocolViolation("a string without its terminating zero byte");
        }
        String s = b.toString(b.readerIndex(), end - b.readerIndex(), StandardCharsets.UTF_8);
        b.readerIndex(end + 1);
        return s;
    }
}
