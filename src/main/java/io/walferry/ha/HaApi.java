package io.walferry.ha;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.walferry.config.HaConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.NodeState;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A member's REST API, for load balancers and for the other members, with Patroni's status codes so that existing
 * HAProxy checks work unchanged: GET /health (200 while PostgreSQL runs), /primary (200 only on the primary that holds
 * the leader key), /replica (200 on a running replica; {@code ?lag=BYTES} or {@code ?lag=16MB} limits how far behind
 * the leader's position it may be), /read-only (200 on either), /member (this member, with its WAL now), /cluster
 * (every member and the leader, as the store has them). Binds where {@code ha.api.listen} says, loopback by default.
 */
public final class HaApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the API answers from: the loop, this node's PostgreSQL now, and the store's last view. */
    public interface Source {
        boolean leader();

        Optional<NodeState> local();

        Optional<StoreView> view();

        Decision decision();

        /** A leader's failsafe call (POST /failsafe?leader=NAME): whether this member agrees. */
        boolean acceptFailsafe(String leader);

        /** POST /switchover?to=NAME: asks the leader, through the store, to hand over; false if the store does not answer. */
        boolean requestSwitchover(String to);
    }

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel channel;

    public HaApi(HaConfig.Api api, int port, Source source) throws InterruptedException {
        SslContext tls = null;
        if (api.tls()) {
            try {
                tls = SslContextBuilder.forServer(api.certFile().get().toFile(), api.keyFile().orElseThrow().toFile()).build();
            } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
                throw WalferryException.config("ha.api: cannot use cert_file and key_file: " + e.getMessage(),
                        "give a PEM certificate and its PEM (PKCS#8) key");
            }
        }
        SslContext ssl = tls;
        ApiCredentials credentials = new ApiCredentials(api);
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler(source, credentials));
                    }
                });
        this.channel = b.bind(new InetSocketAddress(api.listen(), port)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Source source;
        private final ApiCredentials credentials;

        Handler(Source source, ApiCredentials credentials) {
            this.source = source;
            this.credentials = credentials;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            FullHttpResponse r;
            if (req.method().equals(HttpMethod.POST) && !credentials.admits(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                r = respond(HttpResponseStatus.UNAUTHORIZED, JSON.createObjectNode().put("error", "credentials required"));
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"walferry\"");
            } else if (req.method().equals(HttpMethod.POST) && q.path().equals("/failsafe")) {
                String leader = q.parameters().getOrDefault("leader", java.util.List.of("")).get(0);
                boolean ok = !leader.isEmpty() && source.acceptFailsafe(leader);
                r = respond(ok ? HttpResponseStatus.OK : HttpResponseStatus.CONFLICT, JSON.createObjectNode().put("accepted", ok));
            } else if (req.method().equals(HttpMethod.POST) && q.path().equals("/switchover")) {
                String to = q.parameters().getOrDefault("to", java.util.List.of("")).get(0);
                boolean ok = !to.isEmpty() && source.requestSwitchover(to);
                r = respond(ok ? HttpResponseStatus.ACCEPTED : HttpResponseStatus.SERVICE_UNAVAILABLE, JSON.createObjectNode()
                        .put("switchover", to).put("requested", ok));
            } else if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                r = respond(HttpResponseStatus.METHOD_NOT_ALLOWED, JSON.createObjectNode().put("error", "GET only"));
            } else {
                r = answer(q);
            }
            ctx.writeAndFlush(r).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }

        private FullHttpResponse answer(QueryStringDecoder q) {
            Optional<NodeState> local = source.local();
            ObjectNode body = member(local);
            boolean running = local.isPresent();
            boolean primary = running && local.get().primary();
            return switch (q.path()) {
                case "/health" -> respond(running ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
                case "/primary", "/master", "/leader" ->
                        respond(primary && source.leader() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
                case "/replica" -> respond(running && !primary && withinLag(local.get(), q) ? HttpResponseStatus.OK
                        : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
                case "/read-only" -> respond(running ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
                case "/member", "/" -> respond(HttpResponseStatus.OK, body);
                case "/cluster" -> respond(HttpResponseStatus.OK, cluster());
                default -> respond(HttpResponseStatus.NOT_FOUND, JSON.createObjectNode().put("error", "no such endpoint: " + q.path()));
            };
        }

        private ObjectNode member(Optional<NodeState> local) {
            ObjectNode o = JSON.createObjectNode();
            o.put("state", local.isPresent() ? "running" : "stopped");
            local.ifPresent(s -> {
                o.put("role", s.primary() ? "primary" : "replica");
                o.put("timeline", s.timeline());
                s.walHeld().ifPresent(l -> o.put("lsn", l.toString()));
                o.put("streaming", s.streaming());
            });
            o.put("leader", source.leader());
            o.put("decision", source.decision().why());
            return o;
        }

        private boolean withinLag(NodeState s, QueryStringDecoder q) {
            String lag = q.parameters().containsKey("lag") ? q.parameters().get("lag").get(0) : null;
            if (lag == null) {
                return true;
            }
            Optional<Lsn> optime = source.view().flatMap(StoreView::optime);
            Optional<Lsn> mine = s.walHeld();
            if (optime.isEmpty() || mine.isEmpty()) {
                return false;
            }
            return optime.get().value() - mine.get().value() <= bytes(lag);
        }

        private static long bytes(String v) {
            var m = java.util.regex.Pattern.compile("(\\d+)\\s*(B|kB|KB|MB|GB)?").matcher(v.strip());
            if (!m.matches()) {
                return -1;
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2) == null ? "B" : m.group(2)) {
                case "kB", "KB" -> n << 10;
                case "MB" -> n << 20;
                case "GB" -> n << 30;
                default -> n;
            };
        }

        private ObjectNode cluster() {
            ObjectNode o = JSON.createObjectNode();
            Optional<StoreView> v = source.view();
            o.put("store", v.isPresent() ? "answering" : "not answering");
            v.ifPresent(view -> {
                o.put("leader", view.leader().orElse(null));
                view.optime().ifPresent(l -> o.put("optime", l.toString()));
                var ms = o.putArray("members");
                view.members().values().stream().sorted(java.util.Comparator.comparing(MemberState::node))
                        .forEach(m -> ms.add(JSON.valueToTree(m)));
            });
            return o;
        }

        private static FullHttpResponse respond(HttpResponseStatus status, ObjectNode body) {
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            return r;
        }
    }
}
