package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The protocol messages the router writes itself, to clients and to servers. */
final class Messages {
    private Messages() {
    }

    /** Starts a typed message; {@link #end} fills in its length. */
    private static ByteBuf begin(ByteBufAllocator a, char type) {
        ByteBuf b = a.buffer();
        b.writeByte(type);
        b.writeInt(0);
        return b;
    }

    private static ByteBuf end(ByteBuf b) {
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    static void cString(ByteBuf b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.writeByte(0);
    }

    /** An ErrorResponse (or, with severity FATAL, the last message before the router closes the connection). */
    static ByteBuf error(ByteBufAllocator a, String severity, String sqlState, String message) {
        ByteBuf b = begin(a, 'E');
        b.writeByte('S');
        cString(b, severity);
        b.writeByte('V');
        cString(b, severity);
        b.writeByte('C');
        cString(b, sqlState);
        b.writeByte('M');
        cString(b, message);
        b.writeByte(0);
        return end(b);
    }

    static ByteBuf authentication(ByteBufAllocator a, int code, byte[] data) {
        ByteBuf b = begin(a, 'R');
        b.writeInt(code);
        b.writeBytes(data);
        return end(b);
    }

    static ByteBuf authenticationOk(ByteBufAllocator a) {
        return authentication(a, 0, new byte[0]);
    }

    static ByteBuf backendKeyData(ByteBufAllocator a, int pid, int key) {
        ByteBuf b = begin(a, 'K');
        b.writeInt(pid);
        b.writeInt(key);
        return end(b);
    }

    static ByteBuf readyForQuery(ByteBufAllocator a, char status) {
        ByteBuf b = begin(a, 'Z');
        b.writeByte(status);
        return end(b);
    }

    static ByteBuf startup(ByteBufAllocator a, Map<String, String> parameters) {
        ByteBuf b = a.buffer();
        b.writeInt(0);
        b.writeInt(StartupPacket.PROTOCOL_3);
        parameters.forEach((k, v) -> {
            cString(b, k);
            cString(b, v);
        });
        b.writeByte(0);
        b.setInt(0, b.writerIndex());
        return b;
    }

    static ByteBuf cancelRequest(ByteBufAllocator a, int pid, int key) {
        ByteBuf b = a.buffer(16);
        b.writeInt(16);
        b.writeInt(StartupPacket.CANCEL_REQUEST);
        b.writeInt(pid);
        b.writeInt(key);
        return b;
    }

    /** A PasswordMessage: a cleartext or MD5 password. */
    static ByteBuf password(ByteBufAllocator a, String password) {
        ByteBuf b = begin(a, 'p');
        cString(b, password);
        return end(b);
    }

    static ByteBuf saslInitialResponse(ByteBufAllocator a, String mechanism, byte[] data) {
        ByteBuf b = begin(a, 'p');
        cString(b, mechanism);
        b.writeInt(data.length);
        b.writeBytes(data);
        return end(b);
    }

    static ByteBuf saslResponse(ByteBufAllocator a, byte[] data) {
        ByteBuf b = begin(a, 'p');
        b.writeBytes(data);
        return end(b);
    }

    static ByteBuf query(ByteBufAllocator a, String sql) {
        ByteBuf b = begin(a, 'Q');
        cString(b, sql);
        return end(b);
    }

    static ByteBuf terminate(ByteBufAllocator a) {
        return end(begin(a, 'X'));
    }

    /** A Close of a prepared statement ('S') or a portal ('P'). */
    static ByteBuf close(ByteBufAllocator a, char what, String name) {
        ByteBuf b = begin(a, 'C');
        b.writeByte(what);
        cString(b, name);
        return end(b);
    }

    /** A Describe of a prepared statement ('S') or a portal ('P'). */
    static ByteBuf describe(ByteBufAllocator a, char what, String name) {
        ByteBuf b = begin(a, 'D');
        b.writeByte(what);
        cString(b, name);
        return end(b);
    }

    /** The message (SQLSTATE, text) of an ErrorResponse frame, for the log. */
    static String errorText(ByteBuf frame) {
        ByteBuf b = frame.duplicate();
        b.skipBytes(5);
        String code = "";
        String message = "";
        while (b.isReadable()) {
            byte field = b.readByte();
            if (field == 0) {
                break;
            }
            String v = StartupPacket.cString(b);
            if (field == 'C') {
                code = v;
            } else if (field == 'M') {
                message = v;
            }
        }
        return message + (code.isEmpty() ? "" : " (SQLSTATE " + code + ")");
    }
}
