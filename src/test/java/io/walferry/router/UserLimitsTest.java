package io.walferry.router;

import io.walferry.config.RouterConfig;
import org.junit.jupiter.api.Test;

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
}
