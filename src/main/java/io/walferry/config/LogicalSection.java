package io.walferry.config;

import io.walferry.config.LogicalStreamConfig.Endpoint;
import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Tables;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The {@code logical:} list of walferry.yaml: one {@link LogicalStreamConfig} per entry, every value checked. */
final class LogicalSection {
    /** An identifier PostgreSQL stores as written and walferry quotes: letters, digits, '_' and '$', not starting with a digit. */
    private static final String IDENTIFIER = "[\\p{L}_][\\p{L}\\p{N}_$]{0,62}";
    private static final Pattern SCHEMA = Pattern.compile(IDENTIFIER);
    private static final Pattern TABLE = Pattern.compile("(?:" + IDENTIFIER + "\\.)?" + IDENTIFIER);
    /** PostgreSQL's own rule for slot names. */
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");
    /** A publication name that needs no quoting. */
    private static final Pattern PUBLICATION = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final List<String> NODE_FIXED = List.of("host", "port", "user", "password", "sslmode", "sslrootcert", "sslcert",
            "sslkey", "channel_binding", "connect_timeout", "passfile", "service");

    private LogicalSection() {
    }

    static List<LogicalStreamConfig> read(YamlSection top, List<NodeConfig> nodes, ConnectionConfig cluster) {
        if (top.shape("logical") == YamlSection.Shape.ABSENT) {
            top.optionalSection("logical"); // an empty section is no stream; mark the key read
            return List.of();
        }
        List<LogicalStreamConfig> streams = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Map<String, String> slotsBySource = new HashMap<>();
        for (YamlSection s : top.list("logical")) {
            String name = s.name("name");
            if (!names.add(name)) {
                throw s.error("name", "logical stream name \"" + name + "\" is used twice");
            }
            Endpoint source = endpoint(section(s, "source"), true, nodes, cluster);
            Endpoint target = endpoint(section(s, "target"), false, nodes, cluster);
            if (source.sameDatabase(target)) {
                throw s.error("target", "is the source database itself (" + source.label() + "): replicate into another database or server");
            }
            Tables tables = tables(s);
            String defaultName = "walferry_" + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
            String slot = identifier(s, "slot", SLOT, "letters a-z, digits and '_'", defaultName);
            String publication = identifier(s, "publication", PUBLICATION, "a lower-case letter or '_', then letters a-z, digits and '_'",
                    defaultName);
            String sourceKey = source.host().toLowerCase(Locale.ROOT) + ":" + source.port() + "/" + slot;
            String other = slotsBySource.putIfAbsent(sourceKey, name);
            if (other != null) {
                throw s.error(s.has("slot") ? "slot" : "name", "stream " + other + " uses slot " + slot + " on the same source: a slot "
                        + "feeds one stream; set slot: to another name");
            }
            LogicalStreamConfig.ApplyMode mode = s.choice("mode", LogicalStreamConfig.ApplyMode.class, LogicalStreamConfig.ApplyMode.WALFERRY);
            int copyJobs = s.integer("copy_jobs", 4, 1, 64);
            LogicalStreamConfig.ApplyCommit applyCommit = s.choice("apply_commit", LogicalStreamConfig.ApplyCommit.class,
                    LogicalStreamConfig.ApplyCommit.ASYNC);
            int applySessions = s.integer("apply_sessions", 1, 1, 32);
            LogicalStreamConfig.RunBy run = s.choice("run", LogicalStreamConfig.RunBy.class, LogicalStreamConfig.RunBy.SERVICE);
            if (run == LogicalStreamConfig.RunBy.AGENT && source.node().isEmpty()) {
                throw s.error("run", "agent runs a stream whose source is a node of this cluster (source: {node: NAME}); an external "
                        + "source is run by walferry logical run " + name + " (run: service)");
            }
            s.refuseUnknownKeys();
            streams.add(new LogicalStreamConfig(name, source, target, tables, publication, slot, mode, copyJobs, applyCommit, run,
                    applySessions));
        }
        return streams;
    }

    private static YamlSection section(YamlSection s, String key) {
        return s.optionalSection(key).orElseThrow(() -> s.error(key, "is required: "
                + (key.equals("source") ? "node: NAME, or host, port, database and user of an external server"
                : "host, port, database and user of the server to replicate into")));
    }

    private static Endpoint endpoint(YamlSection s, boolean mayBeNode, List<NodeConfig> nodes, ConnectionConfig cluster) {
        if (s.has("node")) {
            if (!mayBeNode) {
                throw s.error("node", "the target is a server outside the cluster: give its host, port, database and user");
            }
            String name = s.name("node");
            NodeConfig node = nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(() -> s.error("node",
                    "no node named \"" + name + "\" (one of: " + String.join(", ", nodes.stream().map(NodeConfig::name).toList()) + ")"));
            for (String key : NODE_FIXED) {
                if (s.has(key)) {
                    throw s.error(key, "comes from node " + name + " and the connection: section; with node: only database may be set");
                }
            }
            ConnectionConfig connection = cluster.withDatabase(s.string("database", cluster.database()));
            s.refuseUnknownKeys();
            return new Endpoint(Optional.of(name), node.host(), node.port(), connection, LogicalStreamConfig.Service.SELF_MANAGED);
        }
        String host = s.string("host");
        int port = s.integer("port", 5432, 1, 65535);
        ConnectionConfig connection = ConfigLoader.connectionKeys(s, null, null);
        LogicalStreamConfig.Service service = s.choice("service", LogicalStreamConfig.Service.class, LogicalStreamConfig.Service.SELF_MANAGED);
        s.refuseUnknownKeys();
        return new Endpoint(Optional.empty(), host, port, connection, service);
    }

    private static Tables tables(YamlSection s) {
        return switch (s.shape("tables")) {
            case ABSENT -> {
                s.optionalString("tables");
                yield new Tables.All();
            }
            case SCALAR -> {
                String v = s.string("tables");
                if (!v.equals("all")) {
                    throw s.error("tables", "expected all, {schemas: [NAME, ...]} or a list of tables such as [public.orders], got \"" + v + "\"");
                }
                yield new Tables.All();
            }
            case LIST -> {
                List<QualifiedName> tables = new ArrayList<>();
                Set<QualifiedName> seen = new HashSet<>();
                for (String t : s.strings("tables", TABLE, "a table as SCHEMA.TABLE or TABLE (letters, digits, '_', '$')")) {
                    int dot = t.indexOf('.');
                    QualifiedName q = dot < 0 ? new QualifiedName("public", t) : new QualifiedName(t.substring(0, dot), t.substring(dot + 1));
                    if (!seen.add(q)) {
                        throw s.error("tables", "lists " + q + " twice");
                    }
                    tables.add(q);
                }
                yield new Tables.Listed(tables);
            }
            case MAPPING -> {
                YamlSection m = s.optionalSection("tables").orElseThrow();
                if (m.has("schema") && m.has("schemas")) {
                    throw m.error("schemas", "give schema: NAME or schemas: [NAME, ...], not both");
                }
                List<String> schemas = m.has("schema") ? List.of(m.string("schema"))
                        : m.strings("schemas", SCHEMA, "a schema name (letters, digits, '_', '$')");
                if (!SCHEMA.matcher(schemas.get(0)).matches()) {
                    throw m.error("schema", "expected a schema name (letters, digits, '_', '$'), got \"" + schemas.get(0) + "\"");
                }
                m.refuseUnknownKeys();
                yield new Tables.Schemas(schemas);
            }
        };
    }

    private static String identifier(YamlSection s, String key, Pattern form, String expected, String defaultValue) {
        Optional<String> v = s.optionalString(key);
        if (v.isPresent() && !form.matcher(v.get()).matches()) {
            throw s.error(key, "expected at most 63 characters: " + expected + ", got \"" + v.get() + "\"");
        }
        String value = v.orElse(defaultValue);
        if (value.length() > 63) {
            throw s.error("name", "the default " + key + " name " + value + " is longer than 63 characters: set " + key + ": to a shorter one");
        }
        return value;
    }
}
