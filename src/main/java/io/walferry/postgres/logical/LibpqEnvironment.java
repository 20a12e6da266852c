package io.walferry.postgres.logical;

import io.walferry.config.ConnectionConfig;

import java.util.HashMap;
import java.util.Map;

/** libpq's environment variables for a server, with the TLS walferry's own connections use ({@link ConnectionConfig#tlsFor}). */
final class LibpqEnvironment {
    private LibpqEnvironment() {
    }

    static Map<String, String> of(String host, int port, ConnectionConfig c) {
        ConnectionConfig.Tls tls = c.tlsFor(host);
        Map<String, String> env = new HashMap<>();
        env.put("PGHOST", host);
        env.put("PGPORT", String.valueOf(port));
        env.put("PGUSER", c.user());
        env.put("PGDATABASE", c.database());
        env.put("PGSSLMODE", tls.sslMode());
        env.put("PGCHANNELBINDING", tls.channelBinding());
        env.put("PGCONNECT_TIMEOUT", String.valueOf(Math.max(2, c.connectTimeout().toSeconds())));
        env.put("PGAPPNAME", "walferry");
        c.password().ifPresent(p -> env.put("PGPASSWORD", p.reveal()));
        c.sslRootCert().ifPresent(p -> env.put("PGSSLROOTCERT", p.toString()));
        c.sslCert().ifPresent(p -> env.put("PGSSLCERT", p.toString()));
        c.sslKey().ifPresent(p -> env.put("PGSSLKEY", p.toString()));
        c.passfile().ifPresent(p -> env.put("PGPASSFILE", p.toString()));
        return env;
    }
}
