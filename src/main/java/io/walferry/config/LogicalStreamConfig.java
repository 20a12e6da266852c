package io.walferry.config;

import java.util.List;
import java.util.Optional;

/**
 * One logical replication stream (an entry of the {@code logical:} list): tables of one source database replicated
 * into one target database, through a publication and a pgoutput slot on the source. See docs/logical.md.
 *
 * @param name        the stream's name, used by {@code walferry logical ... NAME} and in its state on the target
 * @param publication the publication on the source (created by {@code logical create} unless it exists)
 * @param slot        the logical replication slot on the source
 * @param copyJobs    how many tables (or ranges of a large table) the initial copy copies at the same time
 * @param applyCommit how the target commits applied changes
 * @param run         where the changes are applied from: {@code walferry logical run NAME}, or the agent of the source's primary
 * @param applySessions target sessions that apply independent source transactions side by side (1: one session, in order)
 */
public record LogicalStreamConfig(String name, Endpoint source, Endpoint target, Tables tables, String publication, String slot,
                                  ApplyMode mode, int copyJobs, ApplyCommit applyCommit, RunBy run, int applySessions) {

    /** A stream applied with one target session (the default). */
    public LogicalStreamConfig(String name, Endpoint source, Endpoint target, Tables tables, String publication, String slot,
                               ApplyMode mode, int copyJobs, ApplyCommit applyCommit, RunBy run) {
        this(name, source, target, tables, publication, slot, mode, copyJobs, applyCommit, run, 1);
    }

    /** A stream applied by {@code walferry logical run} (the default), committing asynchronously (the default). */
    public LogicalStreamConfig(String name, Endpoint source, Endpoint target, Tables tables, String publication, String slot,
                               ApplyMode mode, int copyJobs) {
        this(name, source, target, tables, publication, slot, mode, copyJobs, ApplyCommit.ASYNC, RunBy.SERVICE);
    }

    /** A stream applied by {@code walferry logical run} (the default). */
    public LogicalStreamConfig(String name, Endpoint source, Endpoint target, Tables tables, String publication, String slot,
                               ApplyMode mode, int copyJobs, ApplyCommit applyCommit) {
        this(name, source, target, tables, publication, slot, mode, copyJobs, applyCommit, RunBy.SERVICE);
    }

    /** A stream committing asynchronously (the default). */
    public LogicalStreamConfig(String name, Endpoint source, Endpoint target, Tables tables, String publication, String slot,
                               ApplyMode mode, int copyJobs, RunBy run) {
        this(name, source, target, tables, publication, slot, mode, copyJobs, ApplyCommit.ASYNC, run);
    }

    /** How the target commits a group of applied transactions. */
    public enum ApplyCommit {
        /** synchronous_commit off; a group is confirmed to the slot once the target's WAL is flushed past its commit. */
        ASYNC,
        /** Each commit waits for the target's disk before it is confirmed. */
        SYNC
    }

    /** Who runs the stream. */
    public enum RunBy {
        /** {@code walferry logical run NAME}: a service of its own, started by systemd or the user. */
        SERVICE,
        /** The agent of the node that is the source's primary now (with ha: the leader), on a thread of its own. */
        AGENT
    }

    /**
     * This stream with its source at {@code node} (same database, role and TLS): a stream whose source is a node of the
     * cluster follows the cluster's primary, which after a failover is another node.
     */
    public LogicalStreamConfig withSourceAt(NodeConfig node) {
        if (source.node().isEmpty() || source.node().get().equals(node.name())) {
            return this;
        }
        Endpoint moved = new Endpoint(Optional.of(node.name()), node.host(), node.port(), source.connection(), source.service());
        return new LogicalStreamConfig(name, moved, target, tables, publication, slot, mode, copyJobs, applyCommit, run, applySessions);
    }

    /** Who applies the changes on the target. */
    public enum ApplyMode {
        /** walferry's own pgoutput consumer, as an ordinary user of the target. */
        WALFERRY,
        /** A native subscription on the target that walferry creates and watches. */
        SUBSCRIPTION
    }

    /**
     * A managed service, for the hints on what to change where walferry cannot (a parameter group, a console switch).
     * {@code SELF_MANAGED}: a server whose postgresql.conf and pg_hba.conf someone can edit.
     */
    public enum Service { SELF_MANAGED, RDS, AURORA, CLOUD_SQL, AZURE, CRUNCHY_BRIDGE }

    /**
     * A server of a stream: a node of the cluster (with the {@code connection:} section's role and TLS) or an external
     * server with connection settings of its own.
     *
     * @param node       the node's name for a node of the cluster; empty for an external server
     * @param connection role, database, password and TLS for this server
     */
    public record Endpoint(Optional<String> node, String host, int port, ConnectionConfig connection, Service service) {
        /** How messages name it: the node, or host:port/database. */
        public String label() {
            return node.map(n -> "node " + n).orElse(host + ":" + port) + "/" + connection.database();
        }

        /** Whether both are the same database of the same server, as far as the configuration can tell. */
        public boolean sameDatabase(Endpoint other) {
            return host.equalsIgnoreCase(other.host) && port == other.port && connection.database().equals(other.connection.database());
        }
    }

    /**
     * Which tables of the source the stream replicates, resolved against the source's catalog by {@code logical create}.
     * Names are as the catalog stores them (case-sensitive, unquoted).
     */
    public sealed interface Tables {
        /** Every ordinary and partitioned table outside the system schemas. */
        record All() implements Tables {
        }

        /** Every table of these schemas. */
        record Schemas(List<String> schemas) implements Tables {
            public Schemas {
                schemas = List.copyOf(schemas);
            }
        }

        /** These tables, each schema-qualified ({@code public} where the configuration gave none). */
        record Listed(List<QualifiedName> tables) implements Tables {
            public Listed {
                tables = List.copyOf(tables);
            }
        }
    }

    /** A table as schema and name, unquoted. */
    public record QualifiedName(String schema, String name) {
        @Override
        public String toString() {
            return schema + "." + name;
        }
    }
}
