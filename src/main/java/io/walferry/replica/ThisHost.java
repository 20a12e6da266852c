package io.walferry.replica;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;

/**
 * Whether a node's configured host is this machine: only then can a data directory path from the configuration
 * name that node's files here (several hosts often use the same path).
 */
final class ThisHost {
    private ThisHost() {
    }

    static boolean is(String host) {
        if (host == null || host.isBlank() || host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            InetAddress local = InetAddress.getLocalHost();
            if (host.equalsIgnoreCase(local.getHostName()) || host.equalsIgnoreCase(local.getCanonicalHostName())
                    || host.equalsIgnoreCase(local.getHostName().split("\\.")[0])) {
                return true;
            }
        } catch (UnknownHostException e) {
            // this host has no resolvable name: only addresses can match
        }
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (IOException e) {
            return false;
        }
    }
}
