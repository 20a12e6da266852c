package io.walferry.monitor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.walferry.failure.WalferryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A small read-only HTTP server (Netty) for a process's endpoints: the agent's {@code /metrics}, the dashboard's page and
 * data. GET and HEAD only; each path answered by one {@link Handler}; optional TLS and HTTP basic authentication. Handlers
 * run on a small pool of their own, so that a slow one (a node that does not answer) does not hold the others up.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /** A request as handlers see it: the path and the query's parameters. */
    public record Request(String path, Map<String, List<String>> parameters) {
        public Optional<String> parameter(String name) {
            List<String> v = parameters.get(name);
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
        }
    }

    /** What a handler answers. */
    public record Response(int status, String contentType, byte[] body) {
        public static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Answers on the server's I/O thread: from memory, never waiting for a server, a file or a lock held long. */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request) throws Exception;
    }

    /** Who may read: anyone, or one user with a password (compared in constant time). */
    public record BasicAuth(String username, String password) {
        boolean admits(String header) {
            if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
                return false;
            }
            byte[] given;
            try {
                given = Base64.getDecoder().decode(header.substring(6).strip());
            } catch (IllegalArgumentException e) {
                return false;
            }
            byte[] expected = (username + ":" + password).getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(given, expected);
        }

        @Override
        public String toString() {
            return "BasicAuth[" + username + "]";
        }
    }

    /** The server's certificate chain and its private key (PKCS#8), both PEM. */
    public record Tls(Path certificate, Path key) {
    }

    /**
     * One thread reads each request, answers it and writes the answer: handlers answer from memory (what the agent and the
     * dashboard read in the background), and a hand-over to another thread would cost a wake-up more, each a wait for a
     * core while the agent's pushes keep them busy.
     */
    private final EventLoopGroup group = new NioEventLoopGroup(1, Thread.ofPlatform().name("http-io").daemon().factory());
    /** Every open connection, closed before the event loops stop (else their last events find the loops gone). */
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel channel;
    private final boolean tls;

    /**
     * Binds {@code host:port} (0: any free port) and serves {@code routes}.
     *
     * @param what names the server in errors, with the configuration key that sets its address
     */
    public HttpServer(String what, String host, int port, Map<String, Handler> routes, Optional<Tls> tls, Optional<BasicAuth> auth) {
        Map<String, Handler> table = Map.copyOf(routes);
        SslContext ssl = tls.map(t -> {
            try {
                return SslContextBuilder.forServer(t.certificate().toFile(), t.key().toFile()).build();
            } catch (Exception | Error e) {
                close(0);
                throw WalferryException.config(what + ": cannot use the TLS certificate " + t.certificate() + " and key " + t.key() + ": "
                        + e.getMessage(), "give a PEM certificate chain and its PEM (PKCS#8) private key");
            }
        }).orElse(null);
        this.tls = ssl != null;
        try {
            this.channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            if (ssl != null) {
                                ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024));
                            ch.pipeline().addLast(new Dispatch(table, auth));
                        }
                    }).bind(new InetSocketAddress(host, port)).sync().channel();
        } catch (InterruptedException e) {
            close(0);
            throw WalferryException.interrupted("starting " + what);
        } catch (Exception e) {
            // sync() rethrows the bind's failure as it is: a checked BindException (port in use, address not of this host)
            close(0);
            throw WalferryException.config("cannot serve " + what + " on " + host + ":" + port + ": " + e.getMessage(),
                    "choose a free port and an address of this host");
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** The address to reach it at, e.g. http://127.0.0.1:9816. */
    public String url() {
        InetSocketAddress a = (InetSocketAddress) channel.localAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return (tls ? "https" : "http") + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public void close() {
        close(1);
    }

    private void close(int seconds) {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        connections.close().awaitUninterruptibly();
        long quiet = seconds == 0 ? 0 : 100;
        group.shutdownGracefully(quiet, seconds * 1000L, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private static final class Dispatch extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, Handler> routes;
        private final Optional<BasicAuth> auth;

        Dispatch(Map<String, Handler> routes, Optional<BasicAuth> auth) {
            this.routes = routes;
            this.auth = auth;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            Response r;
            boolean head = req.method().equals(HttpMethod.HEAD);
            if (!req.method().equals(HttpMethod.GET) && !head) {
                r = Response.of(405, "text/plain; charset=utf-8", "read-only: GET and HEAD only\n");
            } else if (auth.isPresent() && !auth.get().admits(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                r = Response.of(401, "text/plain; charset=utf-8", "authentication required\n");
            } else {
                Handler h = routes.get(q.path());
                r = h == null ? Response.of(404, "text/plain; charset=utf-8", "no such page: " + q.path() + "\n") : handle(h, q);
            }
            FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
            out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
            out.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            out.headers().set("X-Content-Type-Options", "nosniff");
            // the dashboard's page loads only its own script and style (bundled, no CDN); nothing may frame it
            out.headers().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
            if (r.status() == 401) {
                out.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"walferry\", charset=\"UTF-8\"");
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(out, keepAlive);
            var f = ctx.writeAndFlush(out);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static Response handle(Handler h, QueryStringDecoder q) {
            try {
                return h.handle(new Request(q.path(), q.parameters()));
            } catch (Exception e) {
                LOG.warn("{} failed: {}", q.path(), e.toString());
                return Response.of(500, "text/plain; charset=utf-8", "failed: " + e.getMessage() + "\n");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("HTTP connection closed: {}", cause.toString());
            ctx.close();
        }
    }
}
