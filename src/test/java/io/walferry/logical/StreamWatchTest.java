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

    @Test
    void aStreamTheAgentsRunIsReportedByTheAgentThatRunsItNotHere() {
        LogicalStreamConfig s = stream("by-agent", "pg2", null);
        LogicalStreamConfig byAgent = new LogicalStreamConfig(s.name(), s.source(), s.target(), s.tables(), s.publication(), s.slot(),
                s.mode(), s.copyJobs(), LogicalStreamConfig.RunBy.AGENT);
        assertThat(StreamWatch.reportedBy(List.of(byAgent), NODES, "pg2")).isEmpty();
    }

    @Test
    void aStreamFromANodeIsReadAtThePrimary() {
        LogicalStreamConfig s = stream("s", "pg1", null);
        assertThat(StreamStatus.atPrimary(s, NODES, List.of("pg2")).source().node()).contains("pg2");
        assertThat(StreamStatus.atPrimary(s, NODES, List.of("pg1"))).isSameAs(s);
        assertThat(StreamStatus.atPrimary(s, NODES, List.of())).as("no primary: as configured").isSameAs(s);
        assertThat(StreamStatus.atPrimary(s, NODES, List.of("pg1", "pg2"))).as("two primaries: as configured").isSameAs(s);
        LogicalStreamConfig external = stream("e", null, null);
        assertThat(StreamStatus.atPrimary(external, NODES, List.of("pg2"))).isSameAs(external);
    }
}
