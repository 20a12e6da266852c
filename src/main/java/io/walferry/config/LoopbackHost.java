package io.walferry.config;

import java.util.Locale;

/**
 * Whether a configured host is this machine's loopback, judged from its spelling alone (no name lookup, which
 * the network could answer): {@code localhost}, {@code 127.0.0.0/8} or {@code ::1}. Traffic to it never
 * leaves the host, so no one on the network can read or change it; anywhere else, TLS must be verified.
 */
public final class LoopbackHost {
    private LoopbackHost() {
    }

    public static boolean is(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
                || h.matches("127(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    }
}
