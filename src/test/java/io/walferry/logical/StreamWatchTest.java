package io.walferry.logical;

import io.walferry.config.ConnectionConfig;
import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.LogicalStreamConfig.Endpoint;
import io.walferry.config.NodeConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Each logical stream is reported by one agent of the cluster. */
class StreamWatchTest {
    private static final List<NodeConfig> NODES = List.of(node("pg1"), node("pg2"));

    private static NodeConfig node(String name) {
        return new NodeConfig(name, "r", "127.0.0.1", 5432, Path.of("/d"), Optional.empty());
    }

    private static Endpoint side(String node) {
        return new Endpoint(Optional.ofNullable(node), "127.0.0.1", 5432, ConnectionConfig.defaults(), LogicalStreamConfig.Service.SELF_MANAGED);
    }

    private static LogicalStreamConfig stream(String name, String source, String target) {
        return new LogicalStreamConfig(name, side(source), side(target), new LogicalStreamConfig.Tables.All(), name, name,
                LogicalStreamConfig.ApplyMode.WALFERRY, 1, LogicalStreamConfig.ApplyCommit.ASYNC);
    }

    @Test
    void theSourcesAgentElseTheTargetsElseTheFirstNodes() {
        List<LogicalStreamConfig> streams = List.of(stream("from-pg2", "pg2", "pg1"), stream("into-pg2", null, "pg2"),
                stream("external", null, null), stream("unknown-node", "gone", null));
        assertThat(StreamWatch.reportedBy(streams, NODES, "pg1")).extracting(LogicalStreamConfig::name)
                .containsExactly("external", "unknown-node");
        assertThat(StreamWatch.reportedBy(streams, NODES, "pg2")).extracting(LogicalStreamConfig::name)
                .containsExactly("from-pg2", "into-pg2");
    }
}
