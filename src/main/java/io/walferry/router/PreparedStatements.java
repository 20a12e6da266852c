package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * A transaction-mode client's named prepared statements. The client's transactions land on whichever server connection
 * is free, so the router keeps each statement's definition (its Parse) and prepares it under a name of its own, taken
 * from the query and parameter types ({@code wf_...}), on the server a Bind or Describe lands on, if that server does
 * not hold it yet. The server's answer to such a Parse is the router's, not the client's. A client's Close of a
 * statement leaves the server's copy for other clients and is answered by a Close of a name nothing holds.
 */
final class PreparedStatements {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PreparedStatements.class);
    /** A statement name nothing ever prepares: closing it is a no-op the server still answers. */
    static final String NOTHING = "walferry_none";

    private record Definition(String serverName, byte[] queryAndTypes) {
    }

    private final Map<String, Definition> byClientName = new HashMap<>();

    int size() {
        return byClientName.size();
    }

    /** The query text of a statement the client prepared under {@code clientName}. */
    java.util.Optional<String> query(String clientName) {
        Definition d = byClientName.get(clientName);
        return d == null ? java.util.Optional.empty()
                : java.util.Optional.of(StartupPacket.cString(io.netty.buffer.Unpooled.wrappedBuffer(d.queryAndTypes())));
    }

    /** Sends one client message to {@code s}, with its statement names rewritten; takes ownership of {@code frame}. */
    void send(ByteBuf frame, ServerConnection s, ByteBufAllocator alloc) {
        char type = (char) frame.getByte(frame.readerIndex());
        switch (type) {
            case 'P' -> parse(frame, s, alloc);
            case 'B' -> bind(frame, s, alloc);
            case 'D', 'C' -> describeOrClose(type, frame, s, alloc);
            default -> s.send(frame);
        }
    }

    private void parse(ByteBuf frame, ServerConnection s, ByteBufAllocator alloc) {
        ByteBuf body = frame.duplicate().skipBytes(5);
        String name = StartupPacket.cString(body);
        if (name.isEmpty()) {
            s.send(frame);
            return;
        }
        byte[] queryAndTypes = ByteBufUtil.getBytes(body);
        frame.release();
        Definition d = new Definition(serverName(queryAndTypes), queryAndTypes);
        LOG.debug("router: client prepares {} as {} on {}", name, d.serverName(), s);
        byClientName.put(name, d);
        if (s.hasStatement(d.serverName())) {
            // the client expects a ParseComplete: the server gives it for a fresh Parse, after the router drops its copy
            s.sendClose(Messages.close(alloc, 'S', d.serverName()), d.serverName(), true);
        }
        s.sendParse(parseOf(alloc, d), d.serverName(), false);
    }

    private void bind(ByteBuf frame, ServerConnection s, ByteBufAllocator alloc) {
        ByteBuf body = frame.duplicate().skipBytes(5);
        String portal = StartupPacket.cString(body);
        String statement = StartupPacket.cString(body);
        Definition d = byClientName.get(statement);
        if (d == null) {
            s.send(frame); // the unnamed statement, or one the client never prepared: the server answers as it would
            return;
        }
        prepare(d, s, alloc);
        ByteBuf out = alloc.buffer(frame.readableBytes() + 32);
        out.writeByte('B');
        out.writeInt(0);
        Messages.cString(out, portal);
        Messages.cString(out, d.serverName());
        out.writeBytes(body);
        out.setInt(1, out.writerIndex() - 1);
        frame.release();
        s.send(out);
    }

    private void describeOrClose(char type, ByteBuf frame, ServerConnection s, ByteBufAllocator alloc) {
        ByteBuf body = frame.duplicate().skipBytes(5);
        char what = (char) body.readByte();
        String name = StartupPacket.cString(body);
        if (what != 'S' || name.isEmpty()) {
            s.send(frame);
            return;
        }
        if (type == 'C') {
            frame.release();
            byClientName.remove(name);
            s.send(Messages.close(alloc, 'S', NOTHING));
            return;
        }
        Definition d = byClientName.get(name);
        if (d == null) {
            s.send(frame);
            return;
        }
        frame.release();
        prepare(d, s, alloc);
        s.send(Messages.describe(alloc, 'S', d.serverName()));
    }

    private static void prepare(Definition d, ServerConnection s, ByteBufAllocator alloc) {
        if (!s.hasStatement(d.serverName())) {
            LOG.debug("router: preparing {} again on {}", d.serverName(), s);
            s.sendParse(parseOf(alloc, d), d.serverName(), true);
        }
    }

    private static ByteBuf parseOf(ByteBufAllocator alloc, Definition d) {
        ByteBuf b = alloc.buffer(d.queryAndTypes().length + 32);
        b.writeByte('P');
        b.writeInt(0);
        Messages.cString(b, d.serverName());
        b.writeBytes(d.queryAndTypes());
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    static String serverName(byte[] queryAndTypes) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(queryAndTypes);
            return "wf_" + HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
