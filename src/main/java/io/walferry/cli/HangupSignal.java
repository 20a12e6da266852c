package io.walferry.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * Runs an action on each SIGHUP (as PgBouncer and PgCat reload on it) instead of the JVM's default, which is to exit.
 * Java has no public API for signals; {@code sun.misc.Signal} (module jdk.unsupported) is the one every JVM has. It is
 * reached reflectively so that the build does not warn about an internal API on every compile.
 */
final class HangupSignal {
    private HangupSignal() {
    }

    static void onHangup(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object hup = signal.getConstructor(String.class).newInstance("HUP");
            InvocationHandler h = (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    action.run();
                    return null;
                }
                return switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "SIGHUP handler";
                };
            };
            Object p = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[]{handler}, h);
            signal.getMethod("handle", signal, handler).invoke(null, hup, p);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this JVM offers no way to handle SIGHUP (sun.misc.Signal): " + e, e);
        }
    }
}
