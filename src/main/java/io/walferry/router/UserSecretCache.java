package io.walferry.router;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code auth_query} answered, by user, for {@code ttl}: a found user and an unknown one alike, so that a client
 * that tries names does not make the router ask the primary for each attempt. At most {@value #MAX} users, the least
 * recently asked dropped first. Pure: the caller gives the time. Runs on the router's event loop only.
 */
final class UserSecretCache {
    static final int MAX = 10_000;

    private record Kept(Optional<UserSecret> secret, long until) {
    }

    private final long ttlNanos;
    private final Map<String, Kept> entries = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
            return size() > MAX;
        }
    };

    UserSecretCache(java.time.Duration ttl) {
        this.ttlNanos = ttl.toNanos();
    }

    /** The answer kept for {@code user}: outer empty when there is none still fresh at {@code nowNanos}. */
    Optional<Optional<UserSecret>> get(String user, long nowNanos) {
        Kept e = entries.get(user);
        if (e == null) {
            return Optional.empty();
        }
        if (nowNanos - e.until() >= 0) {
            entries.remove(user);
            return Optional.empty();
        }
        return Optional.of(e.secret());
    }

    void put(String user, Optional<UserSecret> secret, long nowNanos) {
        if (ttlNanos > 0) {
            entries.put(user, new Kept(secret, nowNanos + ttlNanos));
        }
    }

    int size() {
        return entries.size();
    }
}
