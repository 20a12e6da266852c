package io.walferry.config;

import io.walferry.failure.WalferryException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads walferry.yaml into a {@link WalferryConfig}. Every value is checked here, once, so that the rest of
 * walferry can trust the record; see docs/configuration.md for the keys and their defaults.
 */
public final class ConfigLoader {
    public static final String ENV_CONFIG = "WALFERRY_CONFIG";
    public static final Path DEFAULT_LOCAL = Path.of("walferry.yaml");
    public static final Path DEFAULT_SYSTEM = Path.of("/etc/walferry/walferry.yaml");

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = environment;
    }

    public static ConfigLoader fromEnvironment() {
        return new ConfigLoader(System.getenv());
    }

    /** The file to read: -c, then $WALFERRY_CONFIG, then ./walferry.yaml, then /etc/walferry/walferry.yaml. */
    public Path locate(Path explicit) {
        if (explicit != null) {
            return explicit.toAbsolutePath().normalize();
        }
        String env = environment.get(ENV_CONFIG);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        if (Files.isRegularFile(DEFAULT_LOCAL)) {
            return DEFAULT_LOCAL.toAbsolutePath().normalize();
        }
        if (Files.isRegularFile(DEFAULT_SYSTEM)) {
            return DEFAULT_SYSTEM;
        }
        throw WalferryException.config("no configuration file found",
                "pass -c FILE, set " + ENV_CONFIG + ", or create ./walferry.yaml or " + DEFAULT_SYSTEM);
    }

    public WalferryConfig load(Path file) {
        Node root;
        try (Reader r = Files.newBufferedReader(file)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(r);
        } catch (NoSuchFileException e) {
            throw WalferryException.config("configuration file " + file + " does not exist", "pass -c with the path of walferry.yaml");
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(file, line, null, "not valid YAML: " + e.getProblem());
        } catch (IOException e) {
            throw WalferryException.config("cannot read configuration file " + file + ": " + e.getMessage(), "check its permissions");
        }
        if (root == null) {
            throw new ConfigException(file, 0, null, "the file is empty");
        }
        YamlSection top = new YamlSection(file, "", root, new SecretResolver(environment));
        String cluster = top.name("cluster");
        ConnectionConfig connection = connection(top.optionalSection("connection"));
        Map<String, HaConfig.Member> members = new java.util.HashMap<>();
        Map<String, Integer> metricsPorts = new java.util.HashMap<>();
        List<NodeConfig> nodes = nodes(top, members, metricsPorts);
        List<RepositoryConfig> repositories = repositories(top);
        ArchiveConfig archive = archive(top.optionalSection("archive"));
        Optional<HaConfig> ha = ha(top.optionalSection("ha"), members, nodes);
        AuxConfig aux = AuxSection.read(top, nodes, archive, repositories);
        MonitoringConfig monitoring = monitoring(top.optionalSection("monitoring"), metricsPorts);
        List<LogicalStreamConfig> logical = LogicalSection.read(top, nodes, connection);
        Optional<RouterConfig> router = top.optionalSection("router").map(ConfigLoader::router);
        top.refuseUnknownKeys();
        if (connection.password().map(Secret::inline).orElse(false)) {
            refuseOpen(file, "connection.password is written inline");
        }
        for (RepositoryConfig r : repositories) {
            if (secretsOf(r).stream().anyMatch(Secret::inline)) {
                refuseOpen(file, "repository " + r.name() + " has a secret written inline");
            }
        }
        ha.flatMap(h -> h.etcd().password()).filter(Secret::inline).ifPresent(p -> refuseOpen(file, "ha.etcd.password is written inline"));
        ha.flatMap(h -> h.api().password()).filter(Secret::inline).ifPresent(p -> refuseOpen(file, "ha.api.password is written inline"));
        for (LogicalStreamConfig l : logical) {
            for (LogicalStreamConfig.Endpoint e : List.of(l.source(), l.target())) {
                if (e.node().isEmpty() && e.connection().password().map(Secret::inline).orElse(false)) {
                    refuseOpen(file, "logical stream " + l.name() + " has a password written inline");
                }
            }
        }
        monitoring.dashboard().password().filter(Secret::inline)
                .ifPresent(p -> refuseOpen(file, "monitoring.dashboard.password is written inline"));
        return new WalferryConfig(file, cluster, nodes, repositories, archive, connection, ha, monitoring, aux, logical, router);
    }

    private static void refuseOpen(Path file, String why) {
        try {
            java.util.Optional<String> problem = SecretFileAccess.problem(file);
            if (problem.isPresent()) {
                throw new ConfigException(file, 0, null, why + " but the file " + problem.get() + ", or use ${env:NAME} / ${file:/path}");
            }
        } catch (IOException e) {
            throw new ConfigException(file, 0, null, "cannot read its permissions: " + e.getMessage());
        }
    }

    private static ConnectionConfig connection(Optional<YamlSection> section) {
        if (section.isEmpty()) {
            return ConnectionConfig.defaults();
        }
        ConnectionConfig c = connectionKeys(section.get(), "postgres", "postgres");
        section.get().refuseUnknownKeys();
        return c;
    }

    /**
     * The keys of a connection (role, database, password, TLS) in {@code s}, which may hold others; a null default makes
     * the key required.
     */
    static ConnectionConfig connectionKeys(YamlSection s, String defaultUser, String defaultDatabase) {
        Optional<String> sslMode = s.optionalString("sslmode");
        if (sslMode.isPresent() && !ConnectionConfig.SSL_MODES.contains(sslMode.get())) {
            throw s.error("sslmode", "expected one of disable, allow, prefer, require, verify-ca, verify-full, got \"" + sslMode.get() + "\"");
        }
        Optional<String> binding = s.optionalString("channel_binding");
        if (binding.isPresent() && !ConnectionConfig.CHANNEL_BINDINGS.contains(binding.get())) {
            throw s.error("channel_binding", "expected one of disable, prefer, require, got \"" + binding.get() + "\"");
        }
        if (binding.equals(Optional.of("require")) && sslMode.equals(Optional.of("disable"))) {
            throw s.error("channel_binding", "require needs TLS: set sslmode to require or verify-full");
        }
        String user = defaultUser == null ? s.string("user") : s.string("user", defaultUser);
        String database = defaultDatabase == null ? s.string("database") : s.string("database", defaultDatabase);
        ConnectionConfig c = new ConnectionConfig(user, database, s.secret("password"), sslMode, s.optionalPath("sslrootcert"),
                s.optionalPath("sslcert"), s.optionalPath("sslkey"), s.duration("connect_timeout", Duration.ofSeconds(10)), binding,
                s.optionalPath("passfile"));
        if (sslMode.filter(m -> m.startsWith("verify-")).isPresent() && c.sslRootCert().isEmpty()) {
            throw s.error("sslrootcert", "is required with sslmode " + sslMode.get() + " (the CA that signed the server certificates)");
        }
        return c;
    }

    private static List<NodeConfig> nodes(YamlSection top, Map<String, HaConfig.Member> members, Map<String, Integer> metricsPorts) {
        List<NodeConfig> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection s : top.list("nodes")) {
            String name = s.name("name");
            if (!names.add(name)) {
                throw s.error("name", "node name \"" + name + "\" is used twice");
            }
            nodes.add(new NodeConfig(name, s.string("region", "default"), s.string("host", "127.0.0.1"),
                    s.integer("port", 5432, 1, 65535), s.path("data_directory"), s.optionalPath("bin_directory")));
            HaConfig.Member d = HaConfig.Member.DEFAULT;
            members.put(name, new HaConfig.Member(s.integer("failover_priority", d.failoverPriority(), 0, 1000),
                    s.bool("nofailover", d.noFailover()), s.bool("promote_from_archive", d.promoteFromArchive()),
                    s.integer("api_port", d.apiPort(), 1, 65535)));
            metricsPorts.put(name, s.integer("metrics_port", MonitoringConfig.DEFAULT_METRICS_PORT, 1, 65535));
            s.refuseUnknownKeys();
        }
        return nodes;
    }

    private static List<RepositoryConfig> repositories(YamlSection top) {
        List<RepositoryConfig> repos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection s : top.list("repositories")) {
            String name = s.has("name") ? s.name("name") : "repo" + (repos.size() + 1);
            if (!names.add(name)) {
                throw s.error("name", "repository name \"" + name + "\" is used twice");
            }
            String type = s.string("type");
            boolean required = s.bool("required", true);
            Optional<EncryptionConfig> encryption = encryption(s.optionalSection("encryption"));
            RepositoryConfig repo = switch (type) {
                case "fs" -> new FsRepositoryConfig(name, s.path("path"), required, encryption);
                case "s3" -> s3(s, name, required, encryption);
                default -> throw s.error("type", "expected fs or s3, got \"" + type + "\"");
            };
            s.refuseUnknownKeys();
            repos.add(repo);
        }
        if (repos.stream().noneMatch(RepositoryConfig::required)) {
            throw top.error("repositories", "at least one repository must be required");
        }
        return repos;
    }

    private static Optional<EncryptionConfig> encryption(Optional<YamlSection> section) {
        if (section.isEmpty()) {
            return Optional.empty();
        }
        YamlSection s = section.get();
        String cipher = s.string("cipher", "aes-256-gcm");
        if (!cipher.equals("aes-256-gcm")) {
            throw s.error("cipher", "expected aes-256-gcm, got \"" + cipher + "\"");
        }
        Secret key = s.secret("key").orElseThrow(() -> s.error("key", "is required: a secret reference such as ${file:/etc/walferry/repo.key}"));
        boolean legacy = s.bool("legacy_weak_key", false);
        int bytes = EncryptionConfig.decodedBytes(key.reveal());
        if (bytes < EncryptionConfig.MIN_KEY_BYTES && !legacy) {
            throw s.error("key", "must be at least " + EncryptionConfig.MIN_KEY_BYTES + " random bytes as base64 or hex, and "
                    + (bytes == 0 ? "this one is neither (or a repeated pattern)" : "this one decodes to " + bytes)
                    + " (make one with: openssl rand -base64 48; for a repository an earlier walferry created with it, see legacy_weak_key)");
        }
        s.refuseUnknownKeys();
        return Optional.of(new EncryptionConfig(key, bytes < EncryptionConfig.MIN_KEY_BYTES));
    }

    private static final java.util.regex.Pattern BUCKET = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]");

    private static S3RepositoryConfig s3(YamlSection s, String name, boolean required, Optional<EncryptionConfig> encryption) {
        String bucket = s.string("bucket");
        if (!BUCKET.matcher(bucket).matches()) {
            throw s.error("bucket", "expected a bucket name (lower-case letters, digits, '.', '-'), got \"" + bucket + "\"");
        }
        String prefix = s.string("prefix", "");
        while (prefix.startsWith("/")) {
            prefix = prefix.substring(1);
        }
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        Optional<java.net.URI> endpoint = s.optionalUrl("endpoint");
        String region = s.string("region", endpoint.isPresent() ? "us-east-1" : null);
        if (region == null) {
            throw s.error("region", "is required for AWS S3 (for example us-east-1)");
        }
        S3RepositoryConfig.ServerSideEncryption sse = s.choice("sse", S3RepositoryConfig.ServerSideEncryption.class,
                S3RepositoryConfig.ServerSideEncryption.NONE);
        Optional<String> kmsKey = s.optionalString("sse_kms_key_id");
        if (kmsKey.isPresent() && sse != S3RepositoryConfig.ServerSideEncryption.KMS) {
            throw s.error("sse_kms_key_id", "is only used with sse: kms");
        }
        boolean verifyTls = s.bool("verify_tls", true);
        Optional<Path> caFile = s.optionalPath("ca_file");
        if (caFile.isPresent() && !Files.isReadable(caFile.get())) {
            throw s.error("ca_file", "cannot read " + caFile.get() + " (a PEM file of the CA certificates to trust)");
        }
        S3RepositoryConfig c = new S3RepositoryConfig(name, required, encryption, bucket, prefix, region, endpoint,
                s.bool("path_style", false), s.optionalString("storage_class"), sse, kmsKey, verifyTls, caFile,
                credentials(s.optionalSection("credentials")),
                s.byteSize("part_size", 16L << 20, S3RepositoryConfig.MIN_PART_SIZE, S3RepositoryConfig.MAX_PART_SIZE),
                s.choice("upload_checksum", S3RepositoryConfig.UploadChecksum.class, S3RepositoryConfig.UploadChecksum.CRC32C),
                s.duration("retry_timeout", Duration.ofSeconds(60)), s.duration("io_timeout", Duration.ofSeconds(30)));
        if (c.retryTimeout().isZero() || c.ioTimeout().isZero()) {
            throw s.error(c.retryTimeout().isZero() ? "retry_timeout" : "io_timeout", "must be longer than 0s");
        }
        return c;
    }

    private static S3RepositoryConfig.S3Credentials credentials(Optional<YamlSection> section) {
        if (section.isEmpty()) {
            return S3RepositoryConfig.S3Credentials.defaultChain();
        }
        YamlSection s = section.get();
        Optional<Secret> id = s.secret("access_key_id");
        Optional<Secret> key = s.secret("secret_access_key");
        if (id.isPresent() != key.isPresent()) {
            throw s.error(id.isPresent() ? "secret_access_key" : "access_key_id", "is required with "
                    + (id.isPresent() ? "access_key_id" : "secret_access_key"));
        }
        Optional<Secret> token = s.secret("session_token");
        Optional<String> profile = s.optionalString("profile");
        if (profile.isPresent() && id.isPresent()) {
            throw s.error("profile", "cannot be combined with access_key_id: use one source of credentials");
        }
        Optional<S3RepositoryConfig.AssumeRole> role = Optional.empty();
        if (s.has("role_arn")) {
            String arn = s.string("role_arn");
            if (!arn.startsWith("arn:")) {
                throw s.error("role_arn", "expected a role ARN such as arn:aws:iam::123456789012:role/walferry, got \"" + arn + "\"");
            }
            Duration duration = s.duration("session_duration", Duration.ofHours(1));
            if (duration.toSeconds() < 900 || duration.toSeconds() > 43200) {
                throw s.error("session_duration", "expected from 15m to 12h");
            }
            // An external id is not a secret (AWS: it guards against the confused deputy, not against readers).
            role = Optional.of(new S3RepositoryConfig.AssumeRole(arn, s.optionalString("external_id"),
                    s.string("session_name", "walferry"), duration, s.optionalUrl("sts_endpoint"), s.optionalString("sts_region")));
        } else {
            for (String k : List.of("external_id", "session_name", "session_duration", "sts_endpoint", "sts_region")) {
                if (s.has(k)) {
                    throw s.error(k, "is only used with role_arn");
                }
            }
        }
        s.refuseUnknownKeys();
        return new S3RepositoryConfig.S3Credentials(id, key, token, profile, role);
    }

    /** Every secret a repository holds, to refuse a world-readable file that has one inline. */
    private static List<Secret> secretsOf(RepositoryConfig r) {
        List<Secret> out = new ArrayList<>();
        r.encryption().ifPresent(e -> out.add(e.key()));
        if (r instanceof S3RepositoryConfig s3) {
            s3.credentials().accessKeyId().ifPresent(out::add);
            s3.credentials().secretAccessKey().ifPresent(out::add);
            s3.credentials().sessionToken().ifPresent(out::add);
        }
        return out;
    }

    private static Optional<HaConfig> ha(Optional<YamlSection> section, Map<String, HaConfig.Member> members, List<NodeConfig> nodes) {
        if (section.isEmpty()) {
            return Optional.empty();
        }
        YamlSection s = section.get();
        YamlSection e = s.optionalSection("etcd").orElseThrow(() -> s.error("etcd", "is required: etcd: { endpoints: [http://HOST:2379] }"));
        HaConfig.Etcd etcd = new HaConfig.Etcd(e.urls("endpoints"), e.optionalPath("ca_file"), e.optionalPath("cert_file"),
                e.optionalPath("key_file"), e.optionalString("username"), e.secret("password"));
        if (etcd.certFile().isPresent() != etcd.keyFile().isPresent()) {
            throw e.error(etcd.certFile().isPresent() ? "key_file" : "cert_file", "cert_file and key_file go together (a client certificate)");
        }
        if (etcd.username().isPresent() != etcd.password().isPresent()) {
            throw e.error(etcd.username().isPresent() ? "password" : "username", "username and password go together");
        }
        e.refuseUnknownKeys();
        String namespace = s.string("namespace", "/walferry");
        if (!namespace.matches("/[A-Za-z0-9_./-]*[A-Za-z0-9_-]")) {
            throw s.error("namespace", "expected an etcd key prefix such as /walferry, got \"" + namespace + "\"");
        }
        Duration ttl = s.duration("ttl", Duration.ofSeconds(30));
        Duration loopWait = s.duration("loop_wait", Duration.ofSeconds(10));
        Duration retry = s.duration("retry_timeout", Duration.ofSeconds(10));
        if (ttl.toSeconds() < 5 || loopWait.toMillis() < 100 || retry.toMillis() < 100) {
            throw s.error(ttl.toSeconds() < 5 ? "ttl" : loopWait.toMillis() < 100 ? "loop_wait" : "retry_timeout",
                    "too short: ttl at least 5s, loop_wait and retry_timeout at least 100ms");
        }
        // A primary that cannot renew the leader key must stop taking writes before it expires: one pass to notice,
        // retries of etcd and of PostgreSQL within it.
        if (loopWait.plus(retry.multipliedBy(2)).compareTo(ttl) > 0) {
            throw s.error("ttl", "loop_wait + 2 * retry_timeout (" + loopWait.plus(retry.multipliedBy(2)).toMillis() / 1000.0
                    + "s) must be at most ttl (" + ttl.toSeconds() + "s), or a primary cut off from etcd could not stop before its lease expires");
        }
        HaConfig.Synchronous sync = s.choice("synchronous", HaConfig.Synchronous.class, HaConfig.Synchronous.OFF);
        int syncCount = s.integer("synchronous_count", 1, 1, Math.max(1, nodes.size() - 1));
        HaConfig.Api api = s.optionalSection("api").map(a -> {
            HaConfig.Api x = new HaConfig.Api(a.string("listen", "127.0.0.1"), a.optionalPath("cert_file"), a.optionalPath("key_file"),
                    a.optionalPath("ca_file"), a.optionalString("username"), a.secret("password"));
            if (x.certFile().isPresent() != x.keyFile().isPresent()) {
                throw a.error(x.certFile().isPresent() ? "key_file" : "cert_file", "cert_file and key_file go together");
            }
            if (x.username().isPresent() != x.password().isPresent()) {
                throw a.error(x.username().isPresent() ? "password" : "username", "username and password go together");
            }
            a.refuseUnknownKeys();
            return x;
        }).orElse(HaConfig.Api.LOOPBACK);
        HaConfig ha = new HaConfig(etcd, namespace, ttl, loopWait, retry, s.byteSize("maximum_lag_on_failover", 1L << 20, 0, Long.MAX_VALUE),
                sync, syncCount, s.bool("synchronous_strict", true), s.duration("primary_start_timeout", Duration.ofMinutes(5)), s.bool("failsafe", true), api, members);
        s.refuseUnknownKeys();
        if (nodes.stream().allMatch(n -> ha.member(n.name()).noFailover())) {
            throw s.error("etcd", "every node has nofailover: true, so no failover could ever happen");
        }
        return Optional.of(ha);
    }

    private static ArchiveConfig.Stream stream(YamlSection s) {
        ArchiveConfig.Stream d = ArchiveConfig.NO_STREAM;
        ArchiveConfig.Stream stream = new ArchiveConfig.Stream(s.bool("stream", d.on()), s.duration("stream_interval", d.interval()),
                s.byteSize("stream_chunk", d.chunk(), 1L << 20, 64L << 20), s.bool("synchronous", d.synchronous()),
                s.duration("synchronous_timeout", d.synchronousTimeout()),
                s.choice("synchronous_with_standbys", ArchiveConfig.WithStandbys.class, d.withStandbys()),
                s.integer("stream_in_flight", d.inFlight(), 1, 16));
        if (!stream.synchronous() && (s.has("synchronous_timeout") || s.has("synchronous_with_standbys"))) {
            throw s.error(s.has("synchronous_timeout") ? "synchronous_timeout" : "synchronous_with_standbys", "needs synchronous: on");
        }
        if (stream.synchronousTimeout().isNegative() || stream.synchronousTimeout().compareTo(Duration.ofHours(1)) > 0) {
            throw s.error("synchronous_timeout", "expected 0 (commits wait) or a duration up to 1h, got " + stream.synchronousTimeout().toMillis() + "ms");
        }
        if (stream.synchronous() && !stream.on()) {
            throw s.error("synchronous", "needs stream: on (the synchronous archive is the stream's agent)");
        }
        if (stream.interval().compareTo(Duration.ofMillis(10)) < 0 || stream.interval().compareTo(Duration.ofMinutes(1)) > 0) {
            throw s.error("stream_interval", "expected a duration from 10ms to 1m, got " + stream.interval().toMillis() + "ms");
        }
        return stream;
    }

    private static RouterConfig router(YamlSection s) {
        String listen = s.string("listen", "127.0.0.1");
        List<RouterConfig.Endpoint> endpoints = new ArrayList<>();
        YamlSection e = s.optionalSection("endpoints").orElseThrow(() -> s.error("endpoints",
                "is required: endpoints: { rw: { port: 6432 }, ro: { port: 6433 } }"));
        Map<Integer, String> ports = new java.util.HashMap<>();
        for (RouterConfig.Role role : RouterConfig.Role.values()) {
            String name = role.name().toLowerCase(java.util.Locale.ROOT);
            Optional<YamlSection> section = e.optionalSection(name);
            if (section.isEmpty()) {
                continue;
            }
            YamlSection x = section.get();
            int port = x.integer("port", 0, 1, 65535);
            if (port == 0) {
                throw x.error("port", "is required: the port clients of the " + name + " endpoint connect to");
            }
            String other = ports.put(port, name);
            if (other != null) {
                throw x.error("port", "port " + port + " is already the " + other + " endpoint's: give each endpoint its own");
            }
            RouterConfig.PoolMode mode = x.choice("pool_mode", RouterConfig.PoolMode.class, RouterConfig.PoolMode.TRANSACTION);
            if (role == RouterConfig.Role.AUTO && mode != RouterConfig.PoolMode.TRANSACTION) {
                throw x.error("pool_mode", "must be transaction for the auto endpoint: it routes each transaction on its own "
                        + "(a session stays on one server); use rw or ro for session pooling");
            }
            endpoints.add(new RouterConfig.Endpoint(role, port, mode, x.integer("pool_size", 20, 1, 10000)));
            x.refuseUnknownKeys();
        }
        e.refuseUnknownKeys();
        if (endpoints.isEmpty()) {
            throw s.error("endpoints", "must name at least one of rw, ro, auto");
        }
        RouterConfig.ClientAuth auth = s.choice("auth", RouterConfig.ClientAuth.class, RouterConfig.ClientAuth.SCRAM);
        Optional<Path> users = s.optionalPath("users_file");
        Optional<RouterConfig.AuthQuery> authQuery = s.optionalSection("auth_query").map(ConfigLoader::routerAuthQuery);
        if (auth == RouterConfig.ClientAuth.SCRAM && users.isEmpty() && authQuery.isEmpty()) {
            throw s.error("users_file", "is required with auth: scram (lines \"user\" \"SCRAM-SHA-256$...\", see docs/router.md), "
                    + "unless auth_query looks users up on the primary; or set auth: trust");
        }
        if (auth == RouterConfig.ClientAuth.TRUST && users.isPresent()) {
            throw s.error("users_file", "is only read with auth: scram or cert");
        }
        if (auth != RouterConfig.ClientAuth.SCRAM && authQuery.isPresent()) {
            throw s.error("auth_query", "is only used with auth: scram (it looks up SCRAM verifiers)");
        }
        Optional<RouterConfig.ClientTls> clientTls = s.optionalSection("tls").map(ConfigLoader::routerTls);
        if (auth == RouterConfig.ClientAuth.CERT
                && clientTls.map(t -> t.clientCertificates() == RouterConfig.ClientCertificates.NONE).orElse(true)) {
            throw s.error("auth", "cert needs client certificates: set router.tls.clients to verify-ca or verify-full and "
                    + "router.tls.client_ca");
        }
        RouterConfig.UserLimits limits = new RouterConfig.UserLimits(s.integer("max_user_connections", 0, 0, MAX_USER_CONNECTIONS),
                s.integer("user_pool_size", 0, 0, MAX_USER_POOL_SIZE), s.optionalSection("user_limits").map(ConfigLoader::routerUserLimits).orElse(Map.of()));
        Duration lagTime = s.duration("max_lag_time", Duration.ofSeconds(10));
        Duration check = s.duration("check_interval", Duration.ofMillis(250));
        if (check.toMillis() < 50 || check.toMillis() > 1000) {
            throw s.error("check_interval", "expected from 50ms to 1s (a new primary is followed within one second)");
        }
        if (lagTime.compareTo(check) <= 0) {
            throw s.error("max_lag_time", "must be longer than check_interval (" + check.toMillis() + "ms), or no replica could qualify");
        }
        RouterConfig r = new RouterConfig(listen, endpoints, auth, users, s.integer("max_client_connections", 1000, 1, 100000),
                s.byteSize("max_message_size", 16L << 20, 1L << 20, 1L << 30), s.duration("startup_timeout", Duration.ofSeconds(10)),
                s.duration("failover_wait", Duration.ofSeconds(30)), s.byteSize("max_lag_bytes", 16L << 20, 0, Long.MAX_VALUE >> 30),
                lagTime, check, s.duration("connect_timeout", Duration.ofSeconds(5)), clientTls,
                s.optionalSection("server_tls").map(ConfigLoader::routerServerTls).orElse(RouterConfig.ServerTls.DEFAULT),
                new RouterConfig.Metrics(s.string("metrics_listen", MonitoringConfig.LOOPBACK),
                        s.integer("metrics_port", RouterConfig.DEFAULT_METRICS_PORT, 0, 65535)), authQuery, limits,
                s.duration("client_write_timeout", Duration.ofSeconds(60)));
        if (r.startupTimeout().isZero() || r.connectTimeout().isZero()) {
            throw s.error(r.startupTimeout().isZero() ? "startup_timeout" : "connect_timeout", "must be longer than 0s");
        }
        s.refuseUnknownKeys();
        return r;
    }

    private static final int MAX_USER_CONNECTIONS = 100000;
    private static final int MAX_USER_POOL_SIZE = 10000;

    /** {@code router.user_limits}: each user's own {@code max_user_connections} and {@code user_pool_size}, as PgBouncer's [users]. */
    private static Map<String, RouterConfig.UserLimits.PerUser> routerUserLimits(YamlSection s) {
        Map<String, RouterConfig.UserLimits.PerUser> out = new java.util.LinkedHashMap<>();
        for (String user : s.keys()) {
            YamlSection u = s.optionalSection(user).orElseThrow(() -> s.error(user,
                    "expected this user's limits, such as { max_user_connections: 50, user_pool_size: 10 }"));
            RouterConfig.UserLimits.PerUser limits = new RouterConfig.UserLimits.PerUser(
                    optionalCount(u, "max_user_connections", MAX_USER_CONNECTIONS), optionalCount(u, "user_pool_size", MAX_USER_POOL_SIZE));
            u.refuseUnknownKeys();
            if (limits.maxConnections().isEmpty() && limits.poolSize().isEmpty()) {
                throw s.error(user, "sets neither max_user_connections nor user_pool_size: set one, or remove the user to take the global limits");
            }
            out.put(user, limits);
        }
        return out;
    }

    /** A count from 0 to {@code max} when the key is given, else empty. */
    private static java.util.OptionalInt optionalCount(YamlSection s, String key, int max) {
        int v = s.integer(key, -1, 0, max);
        return v < 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(v);
    }

    private static RouterConfig.ClientTls routerTls(YamlSection s) {
        Optional<Path> cert = s.optionalPath("certificate");
        Optional<Path> key = s.optionalPath("key");
        if (cert.isEmpty() || key.isEmpty()) {
            throw s.error(cert.isEmpty() ? "certificate" : "key", "is required: the router's certificate chain and its private key (PEM)");
        }
        String mode = s.string("clients", "prefer");
        RouterConfig.ClientCertificates certs = switch (mode) {
            case "prefer", "require" -> RouterConfig.ClientCertificates.NONE;
            case "verify-ca" -> RouterConfig.ClientCertificates.VERIFY_CA;
            case "verify-full" -> RouterConfig.ClientCertificates.VERIFY_FULL;
            default -> throw s.error("clients", "expected prefer (clients choose), require (clients without TLS are refused), "
                    + "verify-ca (and a client certificate signed by client_ca) or verify-full (and its CN is the user), got " + mode);
        };
        Optional<Path> ca = s.optionalPath("client_ca");
        if (certs != RouterConfig.ClientCertificates.NONE && ca.isEmpty()) {
            throw s.error("client_ca", "is required with clients: " + mode + ": the CA certificates (PEM) that sign the clients' certificates");
        }
        if (certs == RouterConfig.ClientCertificates.NONE && ca.isPresent()) {
            throw s.error("client_ca", "is only read with clients: verify-ca or verify-full");
        }
        s.refuseUnknownKeys();
        return new RouterConfig.ClientTls(cert.get(), key.get(), !mode.equals("prefer"), certs, ca);
    }

    private static RouterConfig.AuthQuery routerAuthQuery(YamlSection s) {
        String user = s.optionalString("user").orElseThrow(() -> s.error("user",
                "is required: the role the router logs in as to look users up (PgBouncer's auth_user)"));
        Optional<String> query = s.optionalString("query");
        if (query.isPresent() && !query.get().contains("$1")) {
            throw s.error("query", "must take the user name as $1, e.g. select passwd from walferry.user_secret($1)");
        }
        Duration ttl = s.duration("cache_ttl", Duration.ofSeconds(10));
        if (ttl.compareTo(Duration.ofHours(1)) > 0) {
            throw s.error("cache_ttl", "expected at most 1h: a changed or dropped role must not log in through the router much longer");
        }
        RouterConfig.AuthQuery q = new RouterConfig.AuthQuery(user, s.secret("password"), query, s.optionalString("database"), ttl);
        s.refuseUnknownKeys();
        return q;
    }

    private static RouterConfig.ServerTls routerServerTls(YamlSection s) {
        Optional<String> mode = s.optionalString("sslmode");
        if (mode.isPresent() && !RouterConfig.ServerTls.MODES.contains(mode.get())) {
            throw s.error("sslmode", "expected one of disable, prefer, require, verify-ca, verify-full, got " + mode.get());
        }
        RouterConfig.ServerTls t = new RouterConfig.ServerTls(mode, s.optionalPath("sslrootcert"), s.bool("allow_plaintext", false));
        s.refuseUnknownKeys();
        return t;
    }

    private static MonitoringConfig monitoring(Optional<YamlSection> section, Map<String, Integer> metricsPorts) {
        MonitoringConfig d = MonitoringConfig.defaults(metricsPorts);
        if (section.isEmpty()) {
            return d;
        }
        YamlSection s = section.get();
        MonitoringConfig.Dashboard dd = MonitoringConfig.Dashboard.DEFAULT;
        MonitoringConfig.Dashboard dashboard = s.optionalSection("dashboard").map(ds -> {
            MonitoringConfig.Dashboard x = new MonitoringConfig.Dashboard(ds.string("listen", dd.listen()),
                    ds.integer("port", dd.port(), 1, 65535), ds.optionalPath("tls_cert"), ds.optionalPath("tls_key"),
                    ds.optionalString("username"), ds.secret("password"));
            if (x.tlsCert().isPresent() != x.tlsKey().isPresent()) {
                throw ds.error(x.tlsCert().isPresent() ? "tls_key" : "tls_cert", "tls_cert and tls_key go together (the server's certificate)");
            }
            if (x.username().isPresent() != x.password().isPresent()) {
                throw ds.error(x.username().isPresent() ? "password" : "username", "username and password go together");
            }
            ds.refuseUnknownKeys();
            return x;
        }).orElse(dd);
        Duration backupMaxAge = s.duration("backup_max_age", d.backupMaxAge());
        if (backupMaxAge.isZero()) {
            throw s.error("backup_max_age", "must be longer than 0s");
        }
        MonitoringConfig.Alerts da = MonitoringConfig.Alerts.DEFAULT;
        MonitoringConfig.Alerts alerts = s.optionalSection("alerts").map(as -> {
            MonitoringConfig.Alerts x = new MonitoringConfig.Alerts(as.byteSize("replica_lag_bytes", da.replicaLagBytes(), 0, Long.MAX_VALUE),
                    as.duration("replica_lag_time", da.replicaLagTime()), as.byteSize("slot_retained_bytes", da.slotRetainedBytes(), 0, Long.MAX_VALUE));
            as.refuseUnknownKeys();
            return x;
        }).orElse(da);
        MonitoringConfig m = new MonitoringConfig(s.string("listen", d.listen()), metricsPorts, backupMaxAge, dashboard, alerts);
        s.refuseUnknownKeys();
        return m;
    }

    private static ArchiveConfig archive(Optional<YamlSection> section) {
        Path defaultSpool = Path.of("/var/spool/walferry");
        if (section.isEmpty()) {
            return new ArchiveConfig(Compression.defaultFor(CompressionType.LZ4), 2, defaultSpool, Duration.ofSeconds(60), 8,
                    ArchiveConfig.NO_STREAM);
        }
        YamlSection s = section.get();
        CompressionType type = s.choice("compression", CompressionType.class, CompressionType.LZ4);
        int level = s.integer("compression_level", type.defaultLevel(), type.minLevel(), type.maxLevel());
        ArchiveConfig a = new ArchiveConfig(new Compression(type, level), s.integer("workers", 2, 1, 64),
                s.optionalPath("spool_directory").orElse(defaultSpool), s.duration("timeout", Duration.ofSeconds(60)),
                s.integer("prefetch", 8, 0, 256), stream(s));
        if (a.timeout().isZero()) {
            throw s.error("timeout", "must be longer than 0s");
        }
        s.refuseUnknownKeys();
        return a;
    }
}
