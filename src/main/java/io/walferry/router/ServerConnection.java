package io.walferry.router;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.exception.ScramException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One connection from the router to a PostgreSQL server: it logs in (trust, password, MD5 or SCRAM-SHA-256), then sits
 * in its pool or relays a client's messages. It keeps what the router must know of the server's side: the statements
 * prepared on it under the router's names, and how many requests (Sync, Query, FunctionCall) still await their
 * ReadyForQuery. Runs on the router's event loop only.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter {
    enum State { LOGIN, IDLE, LINKED, RESET, POSITION, CLOSED }

    /** What the owner of a connection hears. */
    interface Listener {
        void loggedIn(ServerConnection s);

        /** Login failed; {@code error} is the server's ErrorResponse or null (then {@code why} says it). */
        void loginFailed(ServerConnection s, ByteBuf error, String why);

        void closed(ServerConnection s);

        /** A reset (session mode) finished: the connection is clean and idle. */
        void reset(ServerConnection s);

        /** The server answered a client's request with an ErrorResponse. */
        void error(ServerConnection s);
    }

    /** A Parse or Close the router sent, awaiting its ParseComplete or CloseComplete; synthetic ones the client never sees. */
    private record Pending(boolean parse, String name, boolean synthetic, long group) {
    }

    final PoolKey key;
    private final ServerCredentials credentials;
    private final Listener listener;
    private Channel channel;
    private State state = State.LOGIN;
    private ScramClient scram;
    private int backendPid;
    private int backendKey;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private ClientConnection client;
    private char transactionStatus = 'I';
    private long groupsSent;
    private long groupsDone;
    private final Set<String> prepared = new HashSet<>();
    private final Deque<Pending> pending = new ArrayDeque<>();
    /** Closed by the router (its server left the role): the linked client hears why. */
    private String closeReason;
    private boolean unreachable;
    /** In state POSITION: who hears the primary's insert position, and the answer so far. */
    private java.util.function.Consumer<java.util.Optional<io.walferry.postgres.Lsn>> positionTo;
    private java.util.Optional<io.walferry.postgres.Lsn> position = java.util.Optional.empty();
    /** Where the bytes this connection relays are counted: its pool's. */
    private PoolBytes bytes = new PoolBytes();

    ServerConnection(PoolKey key, ServerCredentials credentials, Listener listener) {
        this.key = key;
        this.credentials = credentials;
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        if (state == State.CLOSED) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(Messages.startup(ctx.alloc(), key.startupParameters()));
    }

    State state() {
        return state;
    }

    Channel channel() {
        return channel;
    }

    int backendPid() {
        return backendPid;
    }

    int backendKey() {
        return backendKey;
    }

    Map<String, String> parameters() {
        return parameters;
    }

    char transactionStatus() {
        return transactionStatus;
    }

    /** No request of the linked client awaits its answer. */
    boolean quiet() {
        return groupsSent == groupsDone;
    }

    boolean hasStatement(String name) {
        return prepared.contains(name);
    }

    void idle() {
        state = State.IDLE;
        client = null;
    }

    void link(ClientConnection c) {
        state = State.LINKED;
        client = c;
        channel.config().setAutoRead(true);
    }

    ClientConnection client() {
        return client;
    }

    void countBytes(PoolBytes into) {
        bytes = into;
    }

    /** A client's message on its way here, counted as received from the pool's clients. */
    void countFromClient(int n) {
        bytes.fromClients += n;
    }

    /** Sends a client's message as it is (or as the router rewrote it). */
    void send(ByteBuf frame) {
        char type = (char) frame.getByte(frame.readerIndex());
        if (type == 'S' || type == 'Q' || type == 'F') {
            groupsSent++;
        }
        bytes.toServers += frame.readableBytes();
        channel.write(frame, channel.voidPromise());
    }

    /** Sends a Parse; a synthetic one (the router re-preparing a statement) is answered to the router only. */
    void sendParse(ByteBuf frame, String name, boolean synthetic) {
        prepared.add(name);
        pending.add(new Pending(true, name, synthetic, groupsSent));
        send(frame);
    }

    void sendClose(ByteBuf frame, String name, boolean synthetic) {
        prepared.remove(name);
        pending.add(new Pending(false, name, synthetic, groupsSent));
        send(frame);
    }

    void flush() {
        channel.flush();
    }

    /** Session mode: forgets the last client's session state, then reports {@link Listener#reset}. */
    void reset() {
        state = State.RESET;
        client = null;
        send(Messages.query(channel.alloc(), "DISCARD ALL"));
        flush();
    }

    /**
     * After a client's transaction that may have written, on the primary: asks the server's WAL insert position (the
     * end of that transaction's commit lies before it), hands it to {@code to}, then goes back to its pool as after a
     * reset. The client is no longer linked: its next transaction goes wherever it goes meanwhile.
     */
    void askInsertPosition(java.util.function.Consumer<java.util.Optional<io.walferry.postgres.Lsn>> to) {
        state = State.POSITION;
        client = null;
        positionTo = to;
        position = java.util.Optional.empty();
        send(Messages.query(channel.alloc(), io.walferry.postgres.InsertPosition.QUERY));
        flush();
    }

    private void positionAnswer(ByteBuf frame, char type) {
        if (type == 'D' && frame.getShort(frame.readerIndex() + 5) == 1 && frame.getInt(frame.readerIndex() + 7) > 0) {
            int length = frame.getInt(frame.readerIndex() + 7);
            String text = frame.toString(frame.readerIndex() + 11, length, StandardCharsets.US_ASCII);
            try {
                position = java.util.Optional.of(io.walferry.postgres.InsertPosition.parse(text));
            } catch (IllegalArgumentException e) {
                position = java.util.Optional.empty();
            }
        } else if (type == 'Z') {
            groupsDone++;
            transactionStatus = (char) frame.getByte(frame.readerIndex() + 5);
            var to = positionTo;
            positionTo = null;
            to.accept(position);
            if (transactionStatus == 'I' && quiet()) {
                state = State.IDLE;
                listener.reset(this);
            } else {
                close("it is not idle after the router asked its WAL position");
            }
        }
    }

    void close(String reason) {
        closeReason = reason;
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(Messages.terminate(channel.alloc())).addListener(f -> channel.close());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        char type = (char) frame.getByte(frame.readerIndex());
        bytes.fromServers += frame.readableBytes();
        switch (state) {
            case LOGIN -> login(ctx, frame, type);
            case LINKED -> relay(frame, type);
            case POSITION -> {
                positionAnswer(frame, type);
                frame.release();
            }
            case RESET -> {
                if (type == 'Z') {
                    groupsDone++;
                    prepared.clear();
                    pending.clear();
                    transactionStatus = (char) frame.getByte(frame.readerIndex() + 5);
                    if (transactionStatus == 'I' && quiet()) {
                        state = State.IDLE;
                        listener.reset(this);
                    }
                } else if (type == 'E') {
                    close("its reset failed: " + Messages.errorText(frame));
                }
                frame.release();
            }
            default -> {
                // an idle connection hears only notices, setting changes, or the server's reason for ending it
                if (type == 'S') {
                    parameter(frame);
                }
                frame.release();
            }
        }
    }

    private void relay(ByteBuf frame, char type) {
        switch (type) {
            case '1', '3' -> {
                Pending p = pending.poll();
                if (p != null && p.synthetic()) {
                    frame.release();
                    return;
                }
            }
            case 'S' -> parameter(frame);
            case 'E' -> listener.error(this);
            case 'Z' -> {
                groupsDone++;
                transactionStatus = (char) frame.getByte(frame.readerIndex() + 5);
                // a Parse still waiting when its group ends was skipped after an error: the server does not hold it
                while (!pending.isEmpty() && pending.peek().group() < groupsDone) {
                    Pending p = pending.poll();
                    if (p.parse()) {
                        prepared.remove(p.name());
                    }
                }
            }
            default -> {
            }
        }
        ClientConnection c = client;
        bytes.toClients += frame.readableBytes();
        c.fromServer(frame);
        if (type == 'Z' && quiet() && client == c) {
            c.serverQuiet(this);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.LINKED && client != null) {
            client.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (client != null) {
            client.serverWritable(ctx.channel().isWritable());
        }
    }

    private void parameter(ByteBuf frame) {
        ByteBuf b = frame.duplicate().skipBytes(5);
        parameters.put(StartupPacket.cString(b), StartupPacket.cString(b));
    }

    private void login(ChannelHandlerContext ctx, ByteBuf frame, char type) {
        try {
            switch (type) {
                case 'R' -> authenticate(ctx, frame.duplicate().skipBytes(5));
                case 'S' -> parameter(frame);
                case 'K' -> {
                    backendPid = frame.getInt(frame.readerIndex() + 5);
                    backendKey = frame.getInt(frame.readerIndex() + 9);
                }
                case 'Z' -> {
                    state = State.IDLE;
                    listener.loggedIn(this);
                }
                case 'E' -> {
                    state = State.CLOSED;
                    listener.loginFailed(this, frame.retain(), Messages.errorText(frame));
                    ctx.close();
                }
                default -> {
                    // NoticeResponse during login: nothing to do
                }
            }
        } catch (LoginRefused e) {
            state = State.CLOSED;
            listener.loginFailed(this, null, e.getMessage());
            ctx.close();
        } finally {
            frame.release();
        }
    }

    private static final class LoginRefused extends Exception {
        private static final long serialVersionUID = 1L;

        LoginRefused(String message) {
            super(message);
        }
    }

    private void authenticate(ChannelHandlerContext ctx, ByteBuf b) throws LoginRefused {
        int code = b.readInt();
        switch (code) {
            case 0 -> {
            }
            case 3 -> ctx.writeAndFlush(Messages.password(ctx.alloc(), password("a password")));
            case 5 -> {
                byte[] salt = new byte[4];
                b.readBytes(salt);
                String inner = md5Hex((password("an MD5 password") + credentials.user()).getBytes(StandardCharsets.UTF_8));
                byte[] outer = new byte[32 + 4];
                System.arraycopy(inner.getBytes(StandardCharsets.US_ASCII), 0, outer, 0, 32);
                System.arraycopy(salt, 0, outer, 32, 4);
                ctx.writeAndFlush(Messages.password(ctx.alloc(), "md5" + md5Hex(outer)));
            }
            case 10 -> {
                List<String> mechanisms = new ArrayList<>();
                for (String m = StartupPacket.cString(b); !m.isEmpty(); m = StartupPacket.cString(b)) {
                    mechanisms.add(m);
                }
                if (!mechanisms.contains(ClientScram.MECHANISM)) {
                    throw new LoginRefused("the server offers only " + mechanisms + " and the router speaks " + ClientScram.MECHANISM);
                }
                var builder = ScramClient.builder().advertisedMechanisms(List.of(ClientScram.MECHANISM)).username("*");
                if (credentials.password().isPresent()) {
                    scram = builder.password(credentials.password().get().toCharArray()).build();
                } else if (credentials.clientKey().isPresent()) {
                    scram = builder.clientAndServerKey(credentials.clientKey().get(), credentials.serverKey().orElseThrow()).build();
                } else {
                    throw new LoginRefused(noSecret("a SCRAM password"));
                }
                ctx.writeAndFlush(Messages.saslInitialResponse(ctx.alloc(), ClientScram.MECHANISM,
                        scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8)));
            }
            case 11 -> {
                try {
                    scram.serverFirstMessage(b.toString(StandardCharsets.UTF_8));
                } catch (ScramException | RuntimeException e) {
                    throw new LoginRefused("the server's SCRAM message was not understood: " + e.getMessage());
                }
                ctx.writeAndFlush(Messages.saslResponse(ctx.alloc(), scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8)));
            }
            case 12 -> {
                try {
                    scram.serverFinalMessage(b.toString(StandardCharsets.UTF_8));
                } catch (ScramException | RuntimeException e) {
                    throw new LoginRefused("the server did not prove it knows the user's verifier (" + e.getMessage() + ")");
                }
            }
            default -> throw new LoginRefused("the server asks for an authentication method the router does not speak (code " + code + ")");
        }
    }

    private String password(String what) throws LoginRefused {
        return credentials.password().orElseThrow(() -> new LoginRefused(noSecret(what)));
    }

    private String noSecret(String what) {
        return "the server asks the router for " + what + " of user " + credentials.user()
                + " and the users file gives none (give the password, or the server's verifier)";
    }

    private static String md5Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server could not be reached (no TCP connection, or no login in time): perhaps it is down and a failover coming. */
    void unreachable(String why) {
        if (state == State.LOGIN) {
            unreachable = true;
        }
        failLogin(why);
    }

    boolean wasUnreachable() {
        return unreachable;
    }

    /** The connection or its login did not work out: the pool hears why, the channel (if any) is closed. */
    void failLogin(String why) {
        if (state != State.LOGIN) {
            return;
        }
        state = State.CLOSED;
        listener.loginFailed(this, null, why);
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "server[" + backendPid + " " + state + " " + transactionStatus + " sent " + groupsSent + " done " + groupsDone
                + " pending " + pending.size() + (client == null ? "" : " linked") + "]";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        if (was == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (positionTo != null) {
            var to = positionTo;
            positionTo = null;
            to.accept(java.util.Optional.empty());
        }
        if (was == State.LOGIN) {
            state = State.LOGIN;
            failLogin("the server closed the connection during login");
        } else {
            if (was == State.LINKED && client != null) {
                client.serverLost(this, closeReason == null ? "the server closed the connection" : closeReason);
            }
            listener.closed(this);
        }
        client = null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closeReason == null) {
            closeReason = "the connection to the server failed: " + cause.getMessage();
        }
        ctx.close();
    }
}
