package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.LogicalStreamConfig.Endpoint;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.logical.SchemaTransfer;
import io.walferry.postgres.logical.Subscriptions;

import java.sql.Connection;
import java.util.Properties;

/** The two servers of a stream and how walferry connects to each, as messages name them. */
public final class StreamServers {
    private final LogicalStreamConfig stream;
    private final PgConnector source;
    private final PgConnector target;

    public StreamServers(LogicalStreamConfig stream) {
        this.stream = stream;
        this.source = new PgConnector(stream.source().connection());
        this.target = new PgConnector(stream.target().connection());
    }

    /** For walferry's own apply: a {@code mode: subscription} stream is applied by the target's subscription instead. */
    void requireWalferryMode() {
        if (subscription()) {
            throw WalferryException.refused("logical stream " + stream.name() + " has mode: subscription: subscription "
                    + subscriptionName() + " on the target applies it", "nothing to run; see walferry logical status " + stream.name());
        }
    }

    /** The target's native subscription applies the stream ({@code mode: subscription}). */
    public boolean subscription() {
        return stream.mode() == LogicalStreamConfig.ApplyMode.SUBSCRIPTION;
    }

    /** The name of the stream's subscription on the target: its slot's name, as a native subscription names its slot. */
    public String subscriptionName() {
        return stream.slot();
    }

    /** How the target's subscription reaches the source (holds the password unless a password file is configured). */
    String sourceConninfo() {
        return Subscriptions.conninfo(stream.source().host(), stream.source().port(), stream.source().connection());
    }

    public LogicalStreamConfig stream() {
        return stream;
    }

    public Connection source() {
        return source.connect(server(stream.source(), "source"), false, properties());
    }

    /** A replication connection to the source's database (slots, the change stream). */
    public Connection sourceReplication() {
        return source.connect(server(stream.source(), "source"), true, properties());
    }

    public Connection target() {
        return target.connect(server(stream.target(), "target"), false, properties());
    }

    /** The target session that applies changes: a batch of inserts of one shape goes as multi-row INSERTs. */
    public Connection targetForApply() {
        Properties p = properties();
        p.setProperty("reWriteBatchedInserts", "true");
        return target.connect(server(stream.target(), "target"), false, p);
    }

    public SchemaTransfer.Server sourceForTools() {
        return new SchemaTransfer.Server("the source " + stream.source().label(), stream.source().host(), stream.source().port(),
                stream.source().connection());
    }

    public SchemaTransfer.Server targetForTools() {
        return new SchemaTransfer.Server("the target " + stream.target().label(), stream.target().host(), stream.target().port(),
                stream.target().connection());
    }

    private PgConnector.Server server(Endpoint e, String side) {
        String name = "the " + side + " of logical stream " + stream.name() + " (" + e.label() + ")";
        return new PgConnector.Server(name, e.host(), e.port(), e.node().isPresent() ? "connection" : "logical[" + stream.name() + "]." + side);
    }

    private Properties properties() {
        Properties p = new Properties();
        p.setProperty("ApplicationName", "walferry logical " + stream.name());
        return p;
    }
}
