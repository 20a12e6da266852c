package io.walferry.router;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

/** The router's sockets go through Netty's native epoll on Linux (the library is one of the build's dependencies). */
class RouterTransportTest {
    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = "amd64")
    void epollLoadsOnLinux() {
        assertThat(RouterTransport.whyNotEpoll()).isEmpty();
        assertThat(RouterTransport.best()).isEqualTo(RouterTransport.EPOLL);
    }

    @Test
    void nioWhenAskedFor() {
        System.setProperty("walferry.router.transport", "nio");
        try {
            assertThat(RouterTransport.best()).isEqualTo(RouterTransport.NIO);
        } finally {
            System.clearProperty("walferry.router.transport");
        }
    }
}
