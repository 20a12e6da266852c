package io.walferry.router;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.walferry.config.LoopbackHost;
import io.walferry.config.NodeConfig;
import io.walferry.config.RouterConfig;
import io.walferry.failure.WalferryException;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The router's TLS: the context it offers clients ({@code router.tls}), and how it connects to each server
 * ({@code router.server_tls}, as libpq's sslmode). Both are made once, at start and at each reload, so that a certificate
 * that cannot be read refuses the configuration rather than a client.
 */
final class RouterTls {
    private final Optional<SslContext> clients;
    private final boolean clientsRequired;
    private final RouterConfig.ServerTls servers;
    private final SslContext unverified;
    private final SslContext verifying;

    private RouterTls(Optional<SslContext> clients, boolean clientsRequired, RouterConfig.ServerTls servers, SslContext unverified,
                      SslContext verifying) {
        this.clients = clients;
        this.clientsRequired = clientsRequired;
        this.servers = servers;
        this.unverified = unverified;
        this.verifying = verifying;
    }

    /** Reads the certificates; refuses a configuration whose files cannot be used, or plain text off loopback not allowed. */
    static RouterTls of(RouterConfig config, List<NodeConfig> nodes) {
        RouterConfig.ServerTls s = config.serverTls();
        for (NodeConfig n : nodes) {
            String mode = s.modeFor(n.host());
            boolean plain = mode.equals("disable") || mode.equals("prefer");
            if (plain && !LoopbackHost.is(n.host()) && !s.allowPlaintext()) {
                throw WalferryException.config("node " + n.name() + " at " + n.host() + " is not on loopback and router.server_tls.sslmode is "
                        + mode + ": clients' passwords and data would cross the network in plain text",
                        "set router.server_tls.sslmode: verify-full and sslrootcert (or allow_plaintext: true if the network is private)");
            }
        }
        Optional<SslContext> clients = config.tls().map(t -> {
            try {
                return SslContextBuilder.forServer(t.certificate().toFile(), t.key().toFile()).build();
            } catch (Exception | Error e) {
                throw WalferryException.config("router.tls: cannot use the certificate " + t.certificate() + " and key " + t.key() + ": "
                        + e.getMessage(), "give a PEM certificate chain and its PEM (PKCS#8) private key, readable by the router");
            }
        });
        try {
            SslContext unverified = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            SslContextBuilder v = SslContextBuilder.forClient();
            if (s.sslRootCert().isPresent()) {
                v.trustManager(s.sslRootCert().get().toFile());
            }
            return new RouterTls(clients, config.tls().map(RouterConfig.ClientTls::required).orElse(false), s, unverified, v.build());
        } catch (Exception | Error e) {
            throw WalferryException.config("router.server_tls: cannot use the CA file " + s.sslRootCert().map(Object::toString).orElse("")
                    + ": " + e.getMessage(), "give the CA certificates (PEM) that signed the servers' certificates");
        }
    }

    /** The TLS handler for a client that asked for TLS, or empty: the router offers none. */
    Optional<SslHandler> forClient(ByteBufAllocator alloc) {
        return clients.map(c -> c.newHandler(alloc));
    }

    /** A client must use TLS ({@code router.tls.clients: require}). */
    boolean clientsRequired() {
        return clientsRequired;
    }

    /**
     * Puts what a new channel to {@code node} needs before its frame decoder: nothing with sslmode {@code disable}, else
     * the SSLRequest exchange and TLS, with the server's certificate checked as the mode says.
     */
    void toServer(Channel ch, NodeConfig node, Consumer<String> failed) {
        String mode = servers.modeFor(node.host());
        if (mode.equals("disable")) {
            return;
        }
        SslContext ctx = mode.startsWith("verify-") ? verifying : unverified;
        SslHandler ssl = ctx.newHandler(ch.alloc(), node.host(), node.port());
        if (mode.equals("verify-full")) {
            SSLEngine engine = ssl.engine();
            SSLParameters p = engine.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host (DNS name or IP address)
            engine.setSSLParameters(p);
        }
        ch.pipeline().addFirst(new ServerTlsNegotiation(ssl, !mode.equals("prefer"), node.name(), failed));
    }
}
