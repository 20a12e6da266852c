package io.walferry.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One YAML mapping of the configuration, read key by key with the line of each value at hand, so that
 * every bad value is reported with its file, line and dotted key. Keys that nobody read are typos and
 * are refused by {@link #refuseUnknownKeys()}.
 */
final class YamlSection {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");
    private static final Pattern SECRET_REF = Pattern.compile("\\$\\{(env|file):([^}]+)}");

    private final Path file;
    private final String prefix;
    private final Node node;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> read = new java.util.HashSet<>();
    private final SecretResolver secrets;

    YamlSection(Path file, String prefix, Node node, SecretResolver secrets) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
        this.secrets = secrets;
        if (!(node instanceof MappingNode mapping)) {
            throw error(node, prefix.isEmpty() ? "" : prefix, "expected a mapping of keys to values");
        }
        for (NodeTuple t : mapping.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode key)) {
                throw error(t.getKeyNode(), prefix, "expected a plain key");
            }
            if (entries.put(key.getValue(), t) != null) {
                throw error(key, keyPath(key.getValue()), "given twice");
            }
        }
    }

    int line() {
        return node.getStartMark().getLine() + 1;
    }

    String keyPath(String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    /** The keys given, in file order (for mappings keyed by a name, such as a user's). */
    List<String> keys() {
        return List.copyOf(entries.keySet());
    }

    Optional<String> optionalString(String key) {
        read.add(key);
        NodeTuple t = entries.get(key);
        if (t == null || isNull(t.getValueNode())) {
            return Optional.empty();
        }
        if (!(t.getValueNode() instanceof ScalarNode scalar)) {
            throw error(t.getValueNode(), keyPath(key), "expected a single value");
        }
        String v = scalar.getValue().trim();
        if (v.isEmpty()) {
            throw error(scalar, keyPath(key), "must not be empty");
        }
        return Optional.of(v);
    }

    String string(String key) {
        return optionalString(key).orElseThrow(() -> error(node, keyPath(key), "is required"));
    }

    String string(String key, String defaultValue) {
        return optionalString(key).orElse(defaultValue);
    }

    String name(String key) {
        String v = string(key);
        if (!v.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw error(valueNode(key), keyPath(key), "expected a name of letters, digits, '.', '_' or '-' (at most 63), got \"" + v + "\"");
        }
        return v;
    }

    int integer(String key, int defaultValue, int min, int max) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            int i = Integer.parseInt(v.get());
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the expected range
        }
        throw error(valueNode(key), keyPath(key), "expected a whole number from " + min + " to " + max + ", got \"" + v.get() + "\"");
    }

    boolean bool(String key, boolean defaultValue) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        return switch (v.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error(valueNode(key), keyPath(key), "expected true or false, got \"" + v.get() + "\"");
        };
    }

    Duration duration(String key, Duration defaultValue) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        Matcher m = DURATION.matcher(v.get());
        if (!m.matches()) {
            throw error(valueNode(key), keyPath(key), "expected a duration such as 500ms, 60s, 5m or 1h, got \"" + v.get() + "\"");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }

    private static final Pattern BYTE_SIZE =
            Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB)?");

    /** A size such as 8MiB or 16MB (both binary, as PostgreSQL reads them), from {@code min} to {@code max} bytes. */
    long byteSize(String key, long defaultValue, long min, long max) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        Matcher m = BYTE_SIZE.matcher(v.get());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "B" : m.group(2);
            long bytes = n << switch (unit) {
                case "KiB", "KB" -> 10;
                case "MiB", "MB" -> 20;
                case "GiB", "GB" -> 30;
                default -> 0;
            };
            if (bytes >= min && bytes <= max) {
                return bytes;
            }
        }
        throw error(valueNode(key), keyPath(key), "expected a size from " + (min >> 20) + "MiB to " + (max >> 20)
                + "MiB such as 16MiB, got \"" + v.get() + "\"");
    }

    Optional<URI> optionalUrl(String key) {
        return optionalString(key).map(v -> {
            try {
                URI u = new URI(v);
                if ((u.getScheme() != null && (u.getScheme().equals("http") || u.getScheme().equals("https"))) && u.getHost() != null) {
                    return u;
                }
            } catch (java.net.URISyntaxException ignored) {
                // reported below
            }
            throw error(valueNode(key), keyPath(key), "expected an http:// or https:// URL with a host, got \"" + v + "\"");
        });
    }

    Optional<Path> optionalPath(String key) {
        return optionalString(key).map(v -> {
            Path p = Path.of(v);
            if (!p.isAbsolute()) {
                throw error(valueNode(key), keyPath(key), "expected an absolute path, got \"" + v + "\"");
            }
            return p.normalize();
        });
    }

    Path path(String key) {
        return optionalPath(key).orElseThrow(() -> error(node, keyPath(key), "is required"));
    }

    <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v.get().replace('-', '_'))) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        throw error(valueNode(key), keyPath(key), "expected one of " + String.join(", ", names) + ", got \"" + v.get() + "\"");
    }

    /** A value that may be a secret: inline, ${env:NAME} or ${file:/path}. */
    Optional<Secret> secret(String key) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = SECRET_REF.matcher(v.get());
        if (!m.matches()) {
            if (v.get().contains("${")) {
                throw error(valueNode(key), keyPath(key), "expected ${env:NAME} or ${file:/path} as a secret reference");
            }
            return Optional.of(new Secret(v.get(), "inline"));
        }
        try {
            return Optional.of(secrets.resolve(m.group(1), m.group(2).trim()));
        } catch (IllegalArgumentException e) {
            throw error(valueNode(key), keyPath(key), e.getMessage());
        }
    }

    Optional<YamlSection> optionalSection(String key) {
        read.add(key);
        NodeTuple t = entries.get(key);
        if (t == null || isNull(t.getValueNode())) {
            return Optional.empty();
        }
        return Optional.of(new YamlSection(file, keyPath(key), t.getValueNode(), secrets));
    }

    /** The list under {@code key}, which must be there. */
    private SequenceNode requiredList(String key) {
        read.add(key);
        NodeTuple t = entries.get(key);
        if (t == null || isNull(t.getValueNode())) {
            throw error(node, keyPath(key), "is required (a list)");
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            throw error(t.getValueNode(), keyPath(key), "expected a list");
        }
        return seq;
    }

    List<YamlSection> list(String key) {
        SequenceNode seq = requiredList(key);
        List<YamlSection> out = new ArrayList<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            out.add(new YamlSection(file, keyPath(key) + "[" + i + "]", seq.getValue().get(i), secrets));
        }
        if (out.isEmpty()) {
            throw error(seq, keyPath(key), "must list at least one entry");
        }
        return out;
    }

    /** The mappings a list holds; none when the key is absent or the list is empty. */
    List<YamlSection> optionalList(String key) {
        read.add(key);
        NodeTuple t = entries.get(key);
        if (t == null || isNull(t.getValueNode())) {
            return List.of();
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            throw error(t.getValueNode(), keyPath(key), "expected a list");
        }
        List<YamlSection> out = new ArrayList<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            out.add(new YamlSection(file, keyPath(key) + "[" + i + "]", seq.getValue().get(i), secrets));
        }
        return out;
    }

    /** A list of URLs (http or https, with a host), given as a YAML list or as one comma-separated value. */
    List<URI> urls(String key) {
        read.add(key);
        NodeTuple t = entries.get(key);
        if (t == null || isNull(t.getValueNode())) {
            throw error(node, keyPath(key), "is required (a list of URLs)");
        }
        List<ScalarNode> values = new ArrayList<>();
        if (t.getValueNode() instanceof SequenceNode seq) {
            for (Node n : seq.getValue()) {
                if (!(n instanceof ScalarNode sn)) {
                    throw error(n, keyPath(key), "expected a URL");
                }
                values.add(sn);
            }
        } else if (t.getValueNode() instanceof ScalarNode sn) {
            values.add(sn);
        } else {
            throw error(t.getValueNode(), keyPath(key), "expected a list of URLs");
        }
        List<URI> out = new ArrayList<>();
        for (ScalarNode sn : values) {
            for (String v : sn.getValue().split(",")) {
                try {
                    URI u = new URI(v.strip());
                    if (u.getScheme() != null && (u.getScheme().equals("http") || u.getScheme().equals("https")) && u.getHost() != null
                            && u.getPort() > 0) {
                        out.add(u);
                        continue;
                    }
                } catch (java.net.URISyntaxException ignored) {
                    // reported below
                }
                throw error(sn, keyPath(key), "expected http://HOST:PORT or https://HOST:PORT, got \"" + v.strip() + "\"");
            }
        }
        if (out.isEmpty()) {
            throw error(t.getValueNode(), keyPath(key), "must list at least one URL");
        }
        return out;
    }

    /** What a key holds: nothing, one value, a list or a mapping (for keys that take more than one form). */
    enum Shape { ABSENT, SCALAR, LIST, MAPPING }

    Shape shape(String key) {
        NodeTuple t = entries.get(key);
        if (t == null || isNull(t.getValueNode())) {
            return Shape.ABSENT;
        }
        return switch (t.getValueNode()) {
            case SequenceNode ignored -> Shape.LIST;
            case MappingNode ignored -> Shape.MAPPING;
            default -> Shape.SCALAR;
        };
    }

    /**
     * A non-empty list of single values, each matching {@code form}: a value that does not is reported at its own line
     * as not being {@code expected}.
     */
    List<String> strings(String key, Pattern form, String expected) {
        SequenceNode seq = requiredList(key);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            Node n = seq.getValue().get(i);
            String v = n instanceof ScalarNode sn ? sn.getValue().trim() : null;
            if (v == null || !form.matcher(v).matches()) {
                throw error(n, keyPath(key) + "[" + i + "]", "expected " + expected + (v == null ? "" : ", got \"" + v + "\""));
            }
            out.add(v);
        }
        if (out.isEmpty()) {
            throw error(seq, keyPath(key), "must list at least one entry");
        }
        return out;
    }

    void refuseUnknownKeys() {
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (!read.contains(e.getKey())) {
                throw error(e.getValue().getKeyNode(), keyPath(e.getKey()),
                        "unknown key (expected one of: " + String.join(", ", read.stream().sorted().toList()) + ")");
            }
        }
    }

    ConfigException error(String key, String problem) {
        return error(entries.containsKey(key) ? entries.get(key).getValueNode() : node, keyPath(key), problem);
    }

    ConfigException error(Node at, String key, String problem) {
        return new ConfigException(file, at.getStartMark().getLine() + 1, key, problem);
    }

    private Node valueNode(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? node : t.getValueNode();
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && "tag:yaml.org,2002:null".equals(s.getTag().getValue());
    }
}
