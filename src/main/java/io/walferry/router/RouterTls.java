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
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.security.cert.X509Certificate;
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
    private RouterConfig.ClientCertificates clientCertificates = RouterConfig.ClientCertificates.NONE;
    /** The CAs of {@code router.tls.client_ca}, checking a client's certificate once its handshake is done. */
    private Optional<X509TrustManager> clientCa = Optional.empty();
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
        Optional<X509TrustManager> ca = config.tls().flatMap(RouterConfig.ClientTls::clientCa).map(RouterTls::clientCa);
        Optional<SslContext> clients = config.tls().map(t -> {
            try {
                SslContextBuilder b = SslContextBuilder.forServer(t.certificate().toFile(), t.key().toFile());
                if (ca.isPresent()) {
                    // asked for, not required by the handshake: the router checks it right after, so that a client without
                    // one, or with a wrong one, hears why in an ErrorResponse rather than as a broken handshake
                    b.clientAuth(io.netty.handler.ssl.ClientAuth.OPTIONAL).trustManager(new AfterHandshake(ca.get()));
                }
                return b.build();
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
            RouterTls made = new RouterTls(clients, config.tls().map(RouterConfig.ClientTls::required).orElse(false), s, unverified, v.build());
            made.clientCertificates = config.tls().map(RouterConfig.ClientTls::clientCertificates).orElse(RouterConfig.ClientCertificates.NONE);
            made.clientCa = ca;
            return made;
        } catch (Exception | Error e) {
            throw WalferryException.config("router.server_tls: cannot use the CA file " + s.sslRootCert().map(Object::toString).orElse("")
                    + ": " + e.getMessage(), "give the CA certificates (PEM) that signed the servers' certificates");
        }
    }

    /** The CA file of {@code router.tls.client_ca}, as a trust manager. */
    private static X509TrustManager clientCa(java.nio.file.Path file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            if (i == 0) {
                throw new java.security.cert.CertificateException("no certificate in it");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            for (javax.net.ssl.TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new java.security.cert.CertificateException("the JDK made no X.509 trust manager of it");
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw WalferryException.config("router.tls.client_ca: cannot use " + file + ": " + e.getMessage(),
                    "give the CA certificates (PEM) that sign the clients' certificates, readable by the router");
        }
    }

    /**
     * Why a client's certificate does not let it in as {@code user}, or empty: with {@code clients: verify-ca}, it must
     * have sent one signed by a CA of {@code client_ca}; with {@code verify-full} or {@code auth: cert}, its CN must also
     * be the user name (as PostgreSQL's {@code clientcert=verify-full} and {@code cert}).
     */
    Optional<String> refuseClient(SslHandler ssl, String user, boolean cnIsUser) {
        if (clientCertificates == RouterConfig.ClientCertificates.NONE && !cnIsUser) {
            return Optional.empty();
        }
        String how = " (router.tls.clients: " + clientCertificates.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ")";
        if (ssl == null || clientCa.isEmpty()) {
            return Optional.of("the router accepts only clients with a certificate" + how + ": connect with TLS, sslcert and sslkey");
        }
        X509Certificate[] chain;
        try {
            java.security.cert.Certificate[] peer = ssl.engine().getSession().getPeerCertificates();
            chain = java.util.Arrays.copyOf(peer, peer.length, X509Certificate[].class);
        } catch (javax.net.ssl.SSLPeerUnverifiedException | ArrayStoreException e) {
            return Optional.of("the router accepts only clients with a certificate" + how + ": connect with sslcert and sslkey");
        }
        try {
            clientCa.get().checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            return Optional.of("the client certificate (" + chain[0].getSubjectX500Principal().getName()
                    + ") is not signed by a CA of router.tls.client_ca" + how);
        }
        if (clientCertificates == RouterConfig.ClientCertificates.VERIFY_FULL || cnIsUser) {
            Optional<String> cn = CommonName.of(chain[0]);
            if (!cn.equals(Optional.of(user))) {
                return Optional.of("the client certificate's CN " + cn.map(c -> "\"" + c + "\"").orElse("(none)") + " is not the user \""
                        + user + "\"" + (cnIsUser ? " (router.auth: cert)" : how));
            }
        }
        return Optional.empty();
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

    /**
     * The handshake's trust manager for client certificates: it asks for one signed by the configured CAs (so that
     * clients pick the right one) and lets the handshake finish whatever comes (the handshake still proves the client
     * holds the certificate's key); {@link #refuseClient} checks the chain before the client is let in.
     */
    private static final class AfterHandshake implements X509TrustManager {
        private final X509TrustManager ca;

        AfterHandshake(X509TrustManager ca) {
            this.ca = ca;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // checked by refuseClient once the handshake is done, with an error the client can read
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the router's client side does not check servers here");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return ca.getAcceptedIssuers();
        }
    }
}
