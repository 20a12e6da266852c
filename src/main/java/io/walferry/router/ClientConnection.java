package io.walferry.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.walferry.config.RouterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One application connection: start-up and authentication, then its messages relayed to a server connection, which it
 * holds for its whole session (session mode) or for one transaction at a time (transaction mode: the server goes back to
 * its pool at a ReadyForQuery that says idle, with no request of the client still unanswered). Runs on the router's
 * event loop only.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements ServerPool.Waiter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    /** Set while the client's socket is full: when it fires, the client has read nothing for client_write_timeout. */
    private ScheduledFuture<?> unreadTimer;
    /** Start-up parameters that are the client's own, not settings a server connection must share. */
    private static final java.util.Set<String> NOT_SETTINGS = java.util.Set.of("user", "database", "application_name");

    private enum State { STARTUP, LOOKUP, SASL_FIRST, SASL_FINAL, LOGIN, READY, CLOSED }

    private final RouterContext router;
    private final RouterConfig.Endpoint endpoint;
    private Channel channel;
    private State state = State.STARTUP;
    private ScheduledFuture<?> startupTimer;
    private StartupPacket startup;
    private ClientScram scram;
    /** The secret the client's SCRAM exchange runs against (null: an unknown user, whose exchange fails), and why. */
    private UserSecret secret;
    private String secretWhy = "";
    private ServerCredentials credentials;
    private ServerConnection server;
    private boolean acquiring;
    private final Deque<ByteBuf> queued = new ArrayDeque<>();
    private final PreparedStatements statements = new PreparedStatements();
    private long acquireStarted;
    private RouteCounters.Counts counts;
    /** Auto endpoint: the session keeps to the primary (it set session state). */
    private boolean onPrimary;
    /** Auto endpoint: the transaction in progress went to the primary and may write: its position is asked after it. */
    private boolean mayWrite;
    private final ReadYourWrites writes = new ReadYourWrites();
    private Map<String, String> settings;
    /** The request of an rw or ro client: the same for each of its transactions. */
    private Backends.Request request;
    final int cancelPid;
    final int cancelKey;

    ClientConnection(RouterContext router, RouterConfig.Endpoint endpoint) {
        this.router = router;
        this.endpoint = endpoint;
        this.cancelPid = router.random().nextInt() & 0x7fffffff;
        this.cancelKey = router.random().nextInt();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        startupTimer = ctx.executor().schedule(() -> fatal("08P01", "start-up and authentication not finished within "
                + router.config().startupTimeout().toMillis() + " ms"), router.config().startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (!router.admit(this)) {
            fatal("53300", "sorry, too many clients already (router.max_client_connections " + router.config().maxClients() + ")");
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (state == State.CLOSED) {
            frame.release();
            return;
        }
        try {
            switch (state) {
                case STARTUP -> startup(ctx, frame);
                case SASL_FIRST, SASL_FINAL -> sasl(ctx, frame);
                case LOOKUP -> throw new FrameDecoder.ProtocolViolation("a message before the authentication request");
                case LOGIN -> queued.add(frame.retain());
                default -> fromClient(frame.retain());
            }
        } finally {
            frame.release();
        }
    }

    private void startup(ChannelHandlerContext ctx, ByteBuf frame) {
        StartupPacket p = StartupPacket.parse(frame);
        switch (p.code()) {
            case StartupPacket.SSL_REQUEST -> encrypt(ctx);
            case StartupPacket.GSSENC_REQUEST -> ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[]{'N'}));
            case StartupPacket.CANCEL_REQUEST -> {
                router.cancel(p.cancelPid(), p.cancelKey());
                close();
            }
            default -> {
                startup = p;
                if (router.tls().clientsRequired() && ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null) {
                    fatal("28000", "the router accepts only TLS connections: connect with sslmode=require or stronger");
                    LOG.info("router: refused client {} without TLS (router.tls.clients: require)", ctx.channel().remoteAddress());
                    return;
                }
                if (p.parameters().containsKey("replication")) {
                    fatal("08P01", "the router does not relay replication connections: connect to the server itself");
                    return;
                }
                Optional<String> badCertificate = router.tls().refuseClient(ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class),
                        p.user(), router.config().auth() == RouterConfig.ClientAuth.CERT);
                if (badCertificate.isPresent()) {
                    LOG.info("router: refused client {} as user {}: {}", ctx.channel().remoteAddress(), p.user(), badCertificate.get());
                    fatal("28000", badCertificate.get());
                    return;
                }
                if (router.config().auth() != RouterConfig.ClientAuth.SCRAM) {
                    // trust, or cert: the certificate just checked names the user
                    credentials = router.serverCredentials(p.user(), Optional.empty());
                    login();
                    return;
                }
                state = State.LOOKUP;
                router.secret(p.user(), found -> challenge(ctx, found));
            }
        }
    }

    /** The user's secret is known (or it is known there is none): the SCRAM exchange starts. */
    private void challenge(ChannelHandlerContext ctx, UserLookup.Result found) {
        if (state != State.LOOKUP) {
            return; // the client left, or was ended, while its user was looked up
        }
        if (found.failure().isPresent()) {
            LOG.warn("router: cannot authenticate user {}: {}", startup.user(), found.failure().get());
            fatal("08006", "the router cannot look users up now (router.auth_query failed; see the router's log)");
            return;
        }
        secret = found.secret().orElse(null);
        secretWhy = found.why();
        // an unknown user goes through the same exchange as a wrong password, and fails at the same step
        scram = new ClientScram(secret != null ? secret.scram() : router.unknownUser(startup.user()), router.random());
        state = State.SASL_FIRST;
        byte[] mechanisms = (ClientScram.MECHANISM + "\0\0").getBytes(StandardCharsets.US_ASCII);
        ctx.writeAndFlush(Messages.authentication(ctx.alloc(), 10, mechanisms));
    }

    /** An SSLRequest: 'S' and TLS from the next byte on when the router has a certificate, else 'N'. */
    private void encrypt(ChannelHandlerContext ctx) {
        Optional<io.netty.handler.ssl.SslHandler> ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null
                ? router.tls().forClient(ctx.alloc()) : Optional.empty();
        if (ssl.isEmpty()) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[]{'N'}));
            return;
        }
        if (ctx.pipeline().get(FrameDecoder.class).buffered()) {
            // what the client sent after its request did not come through TLS: it cannot be trusted to be the client's
            throw new FrameDecoder.ProtocolViolation("data after an SSL request, before the TLS handshake");
        }
        // 'S' goes out in plain text before the TLS handler is in place (the write has passed it by then)
        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[]{'S'}));
        ctx.pipeline().addFirst("tls", ssl.get());
    }

    private void sasl(ChannelHandlerContext ctx, ByteBuf frame) {
        if (frame.getByte(frame.readerIndex()) != 'p') {
            throw new FrameDecoder.ProtocolViolation("expected a SASL response during authentication");
        }
        ByteBuf b = frame.duplicate().skipBytes(5);
        try {
            if (state == State.SASL_FIRST) {
                String mechanism = StartupPacket.cString(b);
                int length = b.readInt();
                if (!mechanism.equals(ClientScram.MECHANISM) || length != b.readableBytes()) {
                    throw new FrameDecoder.ProtocolViolation("expected a SASL initial response for " + ClientScram.MECHANISM);
                }
                String serverFirst = scram.serverFirst(b.toString(StandardCharsets.UTF_8));
                state = State.SASL_FINAL;
                ctx.writeAndFlush(Messages.authentication(ctx.alloc(), 11, serverFirst.getBytes(StandardCharsets.UTF_8)));
            } else {
                ClientScram.Proven proven = scram.clientFinal(b.toString(StandardCharsets.UTF_8));
                scram = null;
                if (secret == null) {
                    throw new ClientScram.Refused("password authentication failed");
                }
                // SCRAM pass-through: the ClientKey the client proved, with the verifier's ServerKey, logs in to a server
                // that holds the same verifier (the password, when the users file gives one, is used first)
                credentials = new ServerCredentials(startup.user(), secret.password(), Optional.of(proven.clientKey()),
                        Optional.of(secret.scram().serverKey()));
                ctx.write(Messages.authentication(ctx.alloc(), 12, proven.serverFinal().getBytes(StandardCharsets.UTF_8)));
                login();
            }
        } catch (ClientScram.Refused e) {
            LOG.info("router: refused user {}: {}", startup.user(), secret == null ? secretWhy : e.getMessage());
            fatal("28P01", "password authentication failed for user \"" + startup.user() + "\"");
        }
    }

    /** The start-up parameters a server connection must share, taken once: every transaction's request names them. */
    private Map<String, String> settings() {
        if (settings == null) {
            Map<String, String> s = new HashMap<>(startup.parameters());
            NOT_SETTINGS.forEach(s::remove);
            settings = Map.copyOf(s);
        }
        return settings;
    }

    /** The client is who it says: a server connection gives it the server's parameters, then it is ready. */
    private void login() {
        Optional<String> overLimit = router.admitUser(this, startup.user());
        if (overLimit.isPresent()) {
            LOG.info("router: refused client {}: {}", channel.remoteAddress(), overLimit.get());
            fatal("53300", overLimit.get());
            return;
        }
        startupTimer.cancel(false);
        state = State.LOGIN;
        Optional<Map<String, String>> known = endpoint.poolMode() == RouterConfig.PoolMode.TRANSACTION
                ? router.backends().parameters(startup.user(), startup.database(), settings()) : Optional.empty();
        if (known.isPresent()) {
            ready(known.get());
            if (!queued.isEmpty()) {
                acquire();
            }
        } else {
            acquire();
        }
    }

    /** Tells the client it is in: the server's parameters, its cancel key, ReadyForQuery. */
    private void ready(Map<String, String> parameters) {
        var alloc = channel.alloc();
        channel.write(Messages.authenticationOk(alloc));
        parameters.forEach((k, v) -> {
            ByteBuf p = alloc.buffer();
            p.writeByte('S');
            p.writeInt(0);
            Messages.cString(p, k);
            Messages.cString(p, v);
            p.setInt(1, p.writerIndex() - 1);
            channel.write(p);
        });
        channel.write(Messages.backendKeyData(alloc, cancelPid, cancelKey));
        channel.writeAndFlush(Messages.readyForQuery(alloc, 'I'));
        state = State.READY;
    }

    private void acquire() {
        acquiring = true;
        acquireStarted = System.nanoTime();
        if (endpoint.role() != RouterConfig.Role.AUTO) {
            if (request == null) {
                request = new Backends.Request(endpoint, startup.user(), startup.database(), settings(), credentials, this);
            }
            router.backends().acquire(request);
            return;
        }
        AutoRoute.Decision d = AutoRoute.decide(queued.isEmpty() ? Optional.empty() : Optional.of(classifyQueued()), onPrimary,
                writes.unknown(), writes.mustSee());
        onPrimary = d.sessionOnPrimary();
        mayWrite = d.mayWrite();
        LOG.debug("router: auto: client {} to the {}: {}", cancelPid, d.route() == RouterConfig.Role.RO ? "replicas" : "primary", d.why());
        router.backends().acquire(new Backends.Request(endpoint, startup.user(), startup.database(), settings(), credentials, this,
                d.route(), d.mustSee()));
    }

    /** What the client's queued messages (the start of its next transaction) do, by their SQL. */
    private StatementRoute classifyQueued() {
        StatementRoute route = null;
        java.util.Set<String> parsedHere = new java.util.HashSet<>();
        for (ByteBuf f : queued) {
            char type = (char) f.getByte(f.readerIndex());
            StatementRoute one = switch (type) {
                case 'Q' -> router.backends().classify(StartupPacket.cString(f.duplicate().skipBytes(5)));
                case 'P' -> {
                    ByteBuf b = f.duplicate().skipBytes(5);
                    parsedHere.add(StartupPacket.cString(b));
                    yield router.backends().classify(StartupPacket.cString(b));
                }
                case 'B' -> {
                    ByteBuf b = f.duplicate().skipBytes(5);
                    StartupPacket.cString(b);
                    String name = StartupPacket.cString(b);
                    // a statement parsed in these messages (the unnamed one always is, or it is not there at all) is
                    // judged by its Parse; one prepared before by the text the router keeps of it
                    yield name.isEmpty() || parsedHere.contains(name) ? null : statements.query(name).map(router.backends()::classify)
                            .orElse(StatementRoute.primary("a Bind of statement " + name + ", which the router does not know"));
                }
                case 'D', 'E', 'C', 'S', 'H' -> null;
                default -> StatementRoute.primary("message " + type + " is not a query");
            };
            if (one != null) {
                route = route == null ? one : route.and(one);
            }
        }
        return route == null ? StatementRoute.primary("no SQL to judge") : route;
    }

    @Override
    public void granted(ServerConnection s) {
        acquiring = false;
        if (state == State.CLOSED) {
            router.backends().release(s);
            return;
        }
        server = s;
        s.link(this);
        counts = router.backends().counters().granted(endpoint.role(), s.key.node().name(), System.nanoTime() - acquireStarted);
        if (state == State.LOGIN) {
            router.backends().remember(startup.user(), startup.database(), settings(), s.parameters());
            ready(s.parameters());
            if (endpoint.poolMode() == RouterConfig.PoolMode.TRANSACTION && queued.isEmpty()) {
                unlink();
            }
        }
        while (server != null && !queued.isEmpty()) {
            send(queued.poll());
        }
        if (server != null) {
            server.flush();
        }
    }

    @Override
    public void failed(ByteBuf error, String why) {
        acquiring = false;
        if (error != null) {
            if (channel.isActive()) {
                channel.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
            } else {
                error.release();
            }
            state = State.CLOSED;
            release();
            return;
        }
        fatal("08006", why);
    }

    private void fromClient(ByteBuf frame) {
        char type = (char) frame.getByte(frame.readerIndex());
        if (type == 'X') {
            frame.release();
            close();
            return;
        }
        if (server == null) {
            queued.add(frame);
            // auto: the extended protocol's Parse, Bind, Describe, Execute and Close wait for what ends them (Sync,
            // Flush), so that the transaction is judged by all of its SQL
            if (!acquiring && (endpoint.role() != RouterConfig.Role.AUTO || "PBDEC".indexOf(type) < 0)) {
                acquire();
            }
            return;
        }
        send(frame);
    }

    private void send(ByteBuf frame) {
        byte type = frame.getByte(frame.readerIndex());
        if (type == 'Q' || type == 'S' || type == 'F') {
            counts.queries++;
        }
        server.countFromClient(frame.readableBytes());
        if (endpoint.poolMode() == RouterConfig.PoolMode.TRANSACTION) {
            statements.send(frame, server, channel.alloc());
        } else {
            server.send(frame);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (server != null) {
            server.flush();
        }
    }

    /** A message from the linked server, on to the client. */
    void fromServer(ByteBuf frame) {
        channel.write(frame, channel.voidPromise());
    }

    void flush() {
        channel.flush();
    }

    /** The server answered every request: in transaction mode, outside a transaction, it goes back to its pool. */
    void serverQuiet(ServerConnection s) {
        if (endpoint.poolMode() == RouterConfig.PoolMode.TRANSACTION && s.transactionStatus() == 'I' && queued.isEmpty()) {
            channel.flush();
            unlink();
        }
    }

    private void unlink() {
        ServerConnection s = server;
        server = null;
        channel.config().setAutoRead(true); // whatever that server's backpressure said no longer holds
        if (mayWrite) {
            mayWrite = false;
            long ask = writes.asking();
            s.askInsertPosition(p -> writes.answered(ask, p));
        } else {
            router.backends().release(s);
        }
    }

    void serverLost(ServerConnection s, String why) {
        if (server == s) {
            server = null;
            fatal("08006", why);
        }
    }

    void serverWritable(boolean writable) {
        channel.config().setAutoRead(writable);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        if (server != null) {
            server.channel().config().setAutoRead(writable);
        }
        watchUnread(writable);
    }

    /**
     * A client whose socket stays full for {@code client_write_timeout} reads nothing of what it is sent: it is
     * disconnected (an error could not reach it), and its server connection, in the middle of a result, is closed.
     */
    private void watchUnread(boolean writable) {
        Duration limit = router.config().clientWriteTimeout();
        if (writable || limit.isZero()) {
            if (unreadTimer != null) {
                unreadTimer.cancel(false);
                unreadTimer = null;
            }
            return;
        }
        if (unreadTimer == null) {
            unreadTimer = channel.eventLoop().schedule(() -> {
                unreadTimer = null;
                if (!channel.isWritable()) {
                    LOG.info("router: client {} read nothing of what it was sent for {} ms: disconnected (router.client_write_timeout)",
                            channel.remoteAddress(), limit.toMillis());
                    channel.close();
                }
            }, limit.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Sends the client a FATAL error and ends its connection. */
    void fatal(String sqlState, String message) {
        if (state == State.CLOSED) {
            return;
        }
        if (channel.isActive()) {
            channel.writeAndFlush(Messages.error(channel.alloc(), "FATAL", sqlState, message)).addListener(ChannelFutureListener.CLOSE);
        }
        close();
    }

    private void close() {
        state = State.CLOSED;
        release();
        channel.close();
    }

    /** Gives the server connection back: clean (session mode: after a reset), else closed. */
    private void release() {
        queued.forEach(ByteBuf::release);
        queued.clear();
        ServerConnection s = server;
        server = null;
        if (s == null || s.state() != ServerConnection.State.LINKED) {
            return;
        }
        if (s.quiet() && s.transactionStatus() == 'I') {
            if (endpoint.poolMode() == RouterConfig.PoolMode.SESSION) {
                s.reset();
            } else {
                router.backends().release(s);
            }
        } else {
            s.close("its client left in the middle of a transaction");
        }
    }

    /** The server this client's cancel request must go to, if it is in the middle of something. */
    Optional<ServerConnection> server() {
        return Optional.ofNullable(server);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (startupTimer != null) {
            startupTimer.cancel(false);
        }
        if (unreadTimer != null) {
            unreadTimer.cancel(false);
        }
        router.leave(this);
        if (state != State.CLOSED) {
            state = State.CLOSED;
            release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (cause instanceof FrameDecoder.ProtocolViolation || c instanceof FrameDecoder.ProtocolViolation) {
            LOG.info("router: client {} broke the protocol: {}", ctx.channel().remoteAddress(), c.getMessage());
            fatal("08P01", "protocol violation: " + c.getMessage());
        } else if (c instanceof java.io.IOException) {
            close();
        } else {
            LOG.warn("router: client {} failed", ctx.channel().remoteAddress(), c);
            fatal("XX000", "internal error in the router: " + c.getMessage());
        }
    }
}
