package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.config.Secret;
import io.walferry.failure.WalferryException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Optional;

/** The REST API's basic authentication of POSTs, and the TLS trust a member's client gives the others' certificates. */
final class ApiCredentials {
    private final Optional<String> header;

    ApiCredentials(HaConfig.Api api) {
        this.header = api.username().map(u -> "Basic " + Base64.getEncoder().encodeToString(
                (u + ":" + api.password().map(Secret::reveal).orElse("")).getBytes(StandardCharsets.UTF_8)));
    }

    /** The Authorization header a member sends with a POST, if the API asks for credentials. */
    Optional<String> header() {
        return header;
    }

    /** Whether a request's Authorization header is the one configured (any, when none is); compared in constant time. */
    boolean admits(String authorization) {
        if (header.isEmpty()) {
            return true;
        }
        return authorization != null && MessageDigest.isEqual(header.get().getBytes(StandardCharsets.UTF_8),
                authorization.getBytes(StandardCharsets.UTF_8));
    }

    /** An SSL context that trusts the API's CA file (or the JDK's defaults when none is given). */
    static SSLContext clientContext(HaConfig.Api api) {
        try {
            if (api.caFile().isEmpty()) {
                return SSLContext.getDefault();
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = Files.newInputStream(api.caFile().get())) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("ca" + i++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw WalferryException.config("ha.api.ca_file: cannot read " + api.caFile().orElse(null) + ": " + e.getMessage(),
                    "give a PEM file of the CA that signed the agents' API certificates");
        }
    }
}
