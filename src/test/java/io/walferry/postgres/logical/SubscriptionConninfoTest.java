package io.walferry.postgres.logical;

import io.walferry.config.ConnectionConfig;
import io.walferry.config.Secret;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SubscriptionConninfoTest {
    private static ConnectionConfig login(Optional<Secret> password, Optional<Path> passfile) {
        return new ConnectionConfig("rep'l", "shop", password, Optional.of("verify-full"), Optional.of(Path.of("/etc/ca.pem")),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(5), Optional.empty(), passfile);
    }

    @Test
    void quotesEveryValueAndCarriesTheTls() {
        String s = Subscriptions.conninfo("db.example.com", 5433, login(Optional.of(new Secret("p'w\\x", "file:/s")), Optional.empty()));
        assertThat(s).startsWith("host='db.example.com' port='5433' dbname='shop' user='rep\\'l' sslmode='verify-full'")
                .contains("sslrootcert='/etc/ca.pem'").contains("connect_timeout='5'").endsWith("password='p\\'w\\\\x'");
    }

    @Test
    void aPasswordFileKeepsThePasswordOutOfTheString() {
        String s = Subscriptions.conninfo("db.example.com", 5432, login(Optional.of(new Secret("secret", "inline")),
                Optional.of(Path.of("/var/lib/postgresql/.pgpass"))));
        assertThat(s).contains("passfile='/var/lib/postgresql/.pgpass'").doesNotContain("secret");
    }
}
