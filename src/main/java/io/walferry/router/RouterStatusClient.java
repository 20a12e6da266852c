package io.walferry.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.config.RouterConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads a running router's {@code /status} (for {@code walferry router status}). */
public final class RouterStatusClient {
    private RouterStatusClient() {
    }

    /** The address of the router's HTTP server as configured (a wildcard listen address is reached on loopback). */
    public static URI statusUri(RouterConfig config) {
        RouterConfig.Metrics m = config.metrics();
        if (m.port() == 0) {
            throw WalferryException.config("router.metrics_port is 0: the router serves no status", "set router.metrics_port (default "
                    + RouterConfig.DEFAULT_METRICS_PORT + ") and restart the router");
        }
        String host = m.listen().equals("0.0.0.0") || m.listen().equals("::") ? "127.0.0.1" : m.listen();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + m.port() + "/status");
    }

    public static JsonNode fetch(RouterConfig config) {
        URI uri = statusUri(config);
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new WalferryException(Failure.FAILED, "the router at " + uri + " answered " + r.statusCode() + ": " + r.body().strip(),
                        "see the router's log");
            }
            return new ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw new WalferryException(Failure.FAILED, "no router answers at " + uri + ": " + e.getMessage(),
                    "is walferry router running with this configuration (router.metrics_listen, metrics_port)?");
        } catch (InterruptedException e) {
            throw WalferryException.interrupted("reading the router's status");
        }
    }
}
