package io.walferry.router;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.util.concurrent.ThreadFactory;

/**
 * The router's sockets: Netty's native epoll transport on Linux (fewer system calls and less garbage per message than
 * the JDK's selector), else NIO, where the native library is not in the jar for this platform or does not load.
 *
 * @param name          {@code epoll} or {@code nio}, for the log
 * @param serverChannel the class of a listening socket
 * @param socketChannel the class of a connection, to a client or a server
 */
record RouterTransport(String name, Class<? extends ServerChannel> serverChannel, Class<? extends SocketChannel> socketChannel) {
    static final RouterTransport EPOLL = new RouterTransport("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class);
    static final RouterTransport NIO = new RouterTransport("nio", NioServerSocketChannel.class, NioSocketChannel.class);

    /** Epoll where it loads, unless {@code -Dwalferry.router.transport=nio} asks for NIO. */
    static RouterTransport best() {
        return !"nio".equals(System.getProperty("walferry.router.transport")) && Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** Why epoll is not used here (empty when it is available). */
    static String whyNotEpoll() {
        Throwable t = Epoll.unavailabilityCause();
        return t == null ? "" : String.valueOf(t.getMessage());
    }

    EventLoopGroup group(int threads, ThreadFactory factory) {
        return this == EPOLL ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
    }
}
