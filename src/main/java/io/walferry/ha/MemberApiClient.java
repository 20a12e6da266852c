package io.walferry.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.postgres.Lsn;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Asks other members' REST APIs what they hold now: a member's published state may be a pass old. */
public final class MemberApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;
    private final ApiCredentials credentials;

    public MemberApiClient(io.walferry.config.HaConfig.Api api, Duration timeout) {
        this.timeout = timeout;
        this.credentials = new ApiCredentials(api);
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
        if (api.tls()) {
            b.sslContext(ApiCredentials.clientContext(api));
        }
        this.http = b.build();
    }

    /** The WAL each other member holds, by its API; members that do not answer are left out. */
    public Map<String, Lsn> askWal(StoreView view, String me) {
        Map<String, Lsn> out = new HashMap<>();
        for (MemberState m : view.members().values()) {
            if (!m.node().equals(me) && m.api() != null) {
                wal(m.api()).ifPresent(l -> out.put(m.node(), l));
            }
        }
        return out;
    }

    /** Whether the member at {@code api} agrees that {@code leader} keeps serving without etcd (failsafe mode). */
    public boolean failsafe(String api, String leader) {
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(api + "/failsafe?leader="
                    + java.net.URLEncoder.encode(leader, java.nio.charset.StandardCharsets.UTF_8))).timeout(timeout)
                    .POST(HttpRequest.BodyPublishers.noBody());
            credentials.header().ifPresent(h -> req.header("Authorization", h));
            HttpResponse<Void> r = http.send(req.build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The WAL a member holds now, asked of its API at {@code api}. */
    public Optional<Lsn> wal(String api) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/member")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode lsn = JSON.readTree(r.body()).path("lsn");
            return lsn.isTextual() ? Optional.of(Lsn.parse(lsn.asText())) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
