package io.walferry.router;

import io.walferry.config.RouterConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/** The decisions of the limits per user, on plain counts. */
class UserLimitsTest {
    @Test
    void clientsOfOneUserBeyondMaxUserConnectionsAreRefusedAndOthersAreNot() {
        UserLimits l = new UserLimits(new RouterConfig.UserLimits(2, 0));
        assertThat(l.admitClient("app")).isEmpty();
        assertThat(l.admitClient("app")).isEmpty();
        assertThat(l.admitClient("app")).contains("too many connections for user \"app\": it holds 2 (router.max_user_connections 2)");
        assertThat(l.admitClient("report")).as("another user's count is its own").isEmpty();
        l.clientLeft("app");
        assertThat(l.admitClient("app")).as("a place came free").isEmpty();
        l.limits(new RouterConfig.UserLimits(0, 0));
        assertThat(l.admitClient("app")).as("0 is no limit").isEmpty();
    }

    @Test
    void serverConnectionsPerUserAndNodeAreCappedOverAllItsPools() {
        UserLimits l = new UserLimits(new RouterConfig.UserLimits(0, 2));
        assertThat(l.openServer("app", "pg1")).isTrue();
        assertThat(l.openServer("app", "pg1")).isTrue();
        assertThat(l.serversFull("app", "pg1")).isTrue();
        assertThat(l.openServer("app", "pg1")).isFalse();
        assertThat(l.serverLimit("app", "pg1")).contains("router.user_pool_size 2: user app holds 2 server connections on node pg1");
        assertThat(l.openServer("app", "pg2")).as("each node its own").isTrue();
        assertThat(l.openServer("report", "pg1")).as("each user its own").isTrue();
        l.serverGone("app", "pg1");
        assertThat(l.serversFull("app", "pg1")).isFalse();
        assertThat(l.serverLimit("app", "pg1")).isEmpty();
        assertThat(l.openServer("app", "pg1")).isTrue();
        assertThat(new UserLimits(RouterConfig.UserLimits.NONE).serversFull("app", "pg1")).isFalse();
    }

    private static RouterConfig.UserLimits.PerUser own(Integer maxConnections, Integer poolSize) {
        return new RouterConfig.UserLimits.PerUser(maxConnections == null ? OptionalInt.empty() : OptionalInt.of(maxConnections),
                poolSize == null ? OptionalInt.empty() : OptionalInt.of(poolSize));
    }

    @Test
    void aUserWithItsOwnLimitsIsHeldToThemAndItsMessagesNameItsKeyWhileOthersTakeTheGlobalOnes() {
        UserLimits l = new UserLimits(new RouterConfig.UserLimits(2, 1, Map.of("app", own(3, null), "report", own(0, 2))));
        for (int i = 0; i < 3; i++) {
            assertThat(l.admitClient("app")).as("app's own max_user_connections 3").isEmpty();
        }
        assertThat(l.admitClient("app")).contains("too many connections for user \"app\": it holds 3 (router.user_limits.app.max_user_connections 3)");
        assertThat(l.openServer("app", "pg1")).as("a key app does not set takes the global value").isTrue();
        assertThat(l.openServer("app", "pg1")).isFalse();
        assertThat(l.serverLimit("app", "pg1")).contains("router.user_pool_size 1: user app holds 1 server connections on node pg1");

        for (int i = 0; i < 5; i++) {
            assertThat(l.admitClient("report")).as("report's own 0 is no limit, below the global 2").isEmpty();
        }
        assertThat(l.openServer("report", "pg1")).isTrue();
        assertThat(l.openServer("report", "pg1")).as("report's own user_pool_size 2").isTrue();
        assertThat(l.openServer("report", "pg1")).isFalse();
        assertThat(l.serverLimit("report", "pg1")).contains("router.user_limits.report.user_pool_size 2: user report holds 2 server connections on node pg1");

        assertThat(l.admitClient("batch")).isEmpty();
        assertThat(l.admitClient("batch")).isEmpty();
        assertThat(l.admitClient("batch")).as("a user without overrides")
                .hasValueSatisfying(m -> assertThat(m).endsWith("(router.max_user_connections 2)"));
        assertThat(l.limitsServers("batch")).isTrue();
        assertThat(new UserLimits(new RouterConfig.UserLimits(0, 1, Map.of("report", own(null, 0)))).limitsServers("report"))
                .as("an own user_pool_size of 0 is no limit").isFalse();
    }

    @Test
    void aReloadThatChangesAUsersOwnLimitsTakesEffectForNewConnectionsAndEndsNone() {
        UserLimits l = new UserLimits(new RouterConfig.UserLimits(2, 1, Map.of("app", own(3, 2))));
        for (int i = 0; i < 3; i++) {
            assertThat(l.admitClient("app")).isEmpty();
        }
        assertThat(l.openServer("app", "pg1")).isTrue();
        assertThat(l.openServer("app", "pg1")).isTrue();
        l.limits(new RouterConfig.UserLimits(2, 1, Map.of("app", own(null, 3))));
        assertThat(l.admitClient("app")).as("app's own max_user_connections removed: the global 2, its 3 clients stay counted")
                .hasValueSatisfying(m -> assertThat(m).endsWith("it holds 3 (router.max_user_connections 2)"));
        assertThat(l.openServer("app", "pg1")).as("app's user_pool_size raised to 3").isTrue();
        assertThat(l.openServer("app", "pg1")).isFalse();
        l.limits(new RouterConfig.UserLimits(2, 1));
        assertThat(l.serverLimit("app", "pg1")).contains("router.user_pool_size 1: user app holds 3 server connections on node pg1");
        l.clientLeft("app");
        l.clientLeft("app");
        assertThat(l.admitClient("app")).isEmpty();
    }
}
