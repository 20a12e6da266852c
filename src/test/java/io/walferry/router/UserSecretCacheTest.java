package io.walferry.router;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** auth_query's answers kept for their TTL, found and unknown users alike, and never more than MAX of them. */
class UserSecretCacheTest {
    private static final UserSecret APP = new UserSecret("app", Optional.empty(), new UserSecret.Scram(4096, new byte[16], new byte[32], new byte[32]));
    private static final long S = 1_000_000_000L;

    @Test
    void answersAreKeptForTheirTtlOnly() {
        UserSecretCache c = new UserSecretCache(Duration.ofSeconds(10));
        long t = 123 * S;
        assertThat(c.get("app", t)).isEmpty();
        c.put("app", Optional.of(APP), t);
        c.put("nobody", Optional.empty(), t);
        assertThat(c.get("app", t + 9 * S)).contains(Optional.of(APP));
        assertThat(c.get("nobody", t + 9 * S)).as("an unknown user is kept as such").contains(Optional.empty());
        assertThat(c.get("app", t + 10 * S)).isEmpty();
        assertThat(c.size()).isEqualTo(1);
    }

    @Test
    void aTtlOfZeroKeepsNothingAndTheCacheIsBounded() {
        UserSecretCache none = new UserSecretCache(Duration.ZERO);
        none.put("app", Optional.of(APP), 0);
        assertThat(none.get("app", 0)).isEmpty();
        UserSecretCache c = new UserSecretCache(Duration.ofSeconds(10));
        for (int i = 0; i < UserSecretCache.MAX + 50; i++) {
            c.put("user" + i, Optional.empty(), 0);
        }
        assertThat(c.size()).isEqualTo(UserSecretCache.MAX);
        assertThat(c.get("user0", 1)).as("the least recently asked went first").isEmpty();
    }
}
