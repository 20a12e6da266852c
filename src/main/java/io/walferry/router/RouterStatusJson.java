package io.walferry.router;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.LinkedHashMap;
import java.util.Map;

/** The router's {@code /status}: its stats as JSON, which {@code walferry router status} reads. */
final class RouterStatusJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);

    private RouterStatusJson() {
    }

    static byte[] write(RouterStats s) throws JsonProcessingException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("primary", s.primary().orElse(null));
        m.put("readable", s.readable());
        m.put("clients", s.clients());
        m.put("waiting_for_primary", s.waitingForPrimary());
        m.put("pools", s.pools());
        m.put("routes", s.routes());
        m.put("replica_exclusions", s.exclusions());
        m.put("reloads", s.reloads());
        m.put("reloads_refused", s.reloadsRefused());
        return JSON.writeValueAsBytes(m);
    }
}
