package io.walferry;

import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command, as a user runs it: the whole flow, exit 0, every row on every replica. */
class DemoIT {
    @Test
    void theDemoRunsEndToEndAndEveryRowReachesEveryReplica() {
        Path dir = TempDirs.create("wf-demo-");
        ServerUser.chown(dir);
        try {
            WalferryFixture.Result r = WalferryFixture.exec(ServerUser.wrap(List.of(WalferryFixture.launcher().toString(), "demo",
                    "--seconds", "5", "--dir", dir.resolve("demo").toString())), dir, Duration.ofMinutes(5));
            assertThat(r.exitCode()).as(r.all()).isZero();
            assertThat(r.out()).contains("Took base backup").contains("streams from us-east-1 through replication slot")
                    .contains("replays only from the archive").contains("OK   us-west-2 holds").contains("OK   eu-central-1 holds")
                    .contains("Every row written is on every replica.");
            assertThat(r.out().lines().filter(l -> l.contains("| us-west-2 lag")).count()).as("live status every second").isGreaterThanOrEqualTo(4);
        } finally {
            TempDirs.deleteTree(dir);
        }
    }
}
