package io.walferry.replica;

import io.walferry.config.ConnectionConfig;
import io.walferry.config.NodeConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** primary_conninfo carries the TLS walferry uses for the primary's host: a replica must not stream unverified. */
class ConninfoTest {
    private static NodeConfig node(String host) {
        return new NodeConfig("east", "us-east-1", host, 5432, Path.of("/d"), Optional.empty());
    }

    @Test
    void aRemotePrimaryIsVerifiedWithChannelBinding() {
        ConnectionConfig c = new ConnectionConfig("replicator", "postgres", Optional.empty(), Optional.empty(),
                Optional.of(Path.of("/etc/walferry/ca.pem")), Optional.empty(), Optional.empty(), Duration.ofSeconds(10), Optional.empty(),
                Optional.of(Path.of("/var/lib/postgresql/walferry pgpass")));
        assertThat(ReplicaProvisioner.conninfo(node("db1.internal"), "west", c)).isEqualTo("host=db1.internal port=5432 user=replicator "
                + "application_name=west sslmode=verify-full channel_binding=require sslrootcert=/etc/walferry/ca.pem "
                + "passfile='/var/lib/postgresql/walferry pgpass'");
    }

    @Test
    void aLoopbackPrimaryKeepsLibpqsDefaults() {
        assertThat(ReplicaProvisioner.conninfo(node("127.0.0.1"), "west", ConnectionConfig.defaults()))
                .isEqualTo("host=127.0.0.1 port=5432 user=postgres application_name=west sslmode=prefer");
    }

    @Test
    void theSlotSyncWorkerOfPostgreSql17GetsADatabase() {
        assertThat(ReplicaProvisioner.conninfo(node("127.0.0.1"), "west", ConnectionConfig.defaults(), true))
                .isEqualTo("host=127.0.0.1 port=5432 user=postgres application_name=west sslmode=prefer dbname=postgres");
    }
}
