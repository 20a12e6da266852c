package io.walferry.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.postgres.WalFileName;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * walferry verify against a real PostgreSQL 15 and its archive: flipped bytes in a WAL object and a backup chunk and a
 * segment deleted from a backup's WAL range are reported, exactly those; info marks the backup; --repair fixes the
 * optional repository from the required one and leaves the required one alone; an encrypted repository is decrypted
 * to be verified.
 */
@ExtendWith(PgLogOnFailure.class)
class VerifyIT {
    private static final long SEG = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;
    private PgCluster pg;
    private PgCluster standby;
    private WalferryFixture wf;

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-verify-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{standby, pg}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    /** Starts the primary, archiving through the agent into the repositories {@code repositories} sets up. */
    private AgentProcess startPrimary(Consumer<WalferryFixture> repositories) {
        pg = PgCluster.init(dir, "primary", 1);
        wf = new WalferryFixture(dir.resolve("wf"), pg, "  workers: 2\n");
        repositories.accept(wf);
        wf.enableArchiving(pg);
        pg.set("wal_keep_size", "512MB");
        // no checkpoint but the base backup's: a standby's backup starts at the last one, so its WAL range spans segments
        pg.set("checkpoint_timeout", "1h");
        pg.start();
        Result r = wf.run("repo-create");
        assertThat(r.exitCode()).as(r.all()).isZero();
        return wf.startAgent();
    }

    private static Path walObject(Path repo, String segment) {
        return repo.resolve("test/wal").resolve(segment.substring(0, 16)).resolve(segment);
    }

    private static Path largestChunk(Path repo, String backup) throws IOException {
        try (Stream<Path> s = Files.walk(repo.resolve("test/backup").resolve(backup).resolve("data"))) {
            return s.filter(Files::isRegularFile).max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
    }

    /** Flips one bit in the middle of an object's payload: its CRC-32C no longer matches. */
    private static void flipByte(Path object) throws IOException {
        byte[] b = Files.readAllBytes(object);
        b[72 + (b.length - 72) / 2] ^= 0x10;
        Files.write(object, b);
    }

    /** Flips a bit of the payload and writes its CRC-32C (and the header's) anew: only decryption can tell. */
    private static void tamperKeepingCrcs(Path object) throws IOException {
        byte[] b = Files.readAllBytes(object);
        b[72 + (b.length - 72) / 2] ^= 0x10;
        CRC32C payload = new CRC32C();
        payload.update(b, 72, b.length - 72);
        ByteBuffer.wrap(b, 64, 4).putInt((int) payload.getValue());
        CRC32C header = new CRC32C();
        header.update(b, 0, 68);
        ByteBuffer.wrap(b, 68, 4).putInt((int) header.getValue());
        Files.write(object, b);
    }

    private static JsonNode json(Result r) throws IOException {
        return JSON.readTree(r.out());
    }

    private JsonNode info(String repository) throws IOException {
        Result r = wf.inProcess("info", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        for (JsonNode n : JSON.readTree(r.out())) {
            if (n.get("repository").asText().equals(repository)) {
                return n;
            }
        }
        throw new AssertionError("no repository " + repository + " in " + r.out());
    }

    private static List<String> findings(JsonNode report) {
        List<String> out = new ArrayList<>();
        report.get("findings").forEach(f -> out.add(f.get("kind").asText() + " " + f.get("repository").asText() + " " + f.get("object").asText()));
        return out;
    }

    @Test
    void damageIsReportedExactlyMarksTheBackupAndTheOptionalRepositoryIsRepairedFromTheRequiredOne() throws Exception {
        Path[] added = new Path[1];
        try (AgentProcess agent = startPrimary(f -> added[0] = f.addRepository("copy", false))) {
            Path copy = added[0];
            pg.execute("create table t as select g, md5(g::text) as h from generate_series(1, 100000) g");
            standby = PgCluster.baseBackup(pg, dir, "standby", true);
            standby.set("primary_conninfo", "host=127.0.0.1 port=" + pg.port() + " user=postgres");
            standby.touch("standby.signal");
            standby.start();
            wf.writeConfig(List.of(pg, standby), "  workers: 2\n");
            for (int i = 0; i < 4; i++) {
                pg.execute("insert into t select g, 'more' from generate_series(1, 1000) g");
                pg.switchWal();
            }
            String lsn = pg.queryString("select pg_current_wal_lsn()::text");
            Await.until(Duration.ofSeconds(60), "the standby to replay " + lsn,
                    () -> standby.queryString("select pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn").equals("t"));
            Result backup = wf.run("backup", "--node", "standby", "--output", "json");
            assertThat(backup.exitCode()).as(backup.all()).isZero();
            JsonNode m = json(backup);
            String id = m.get("backup").asText();
            WalFileName.Segment start = new WalFileName.Segment(m.get("start_wal").asText());
            WalFileName.Segment stop = new WalFileName.Segment(m.get("stop_wal").asText());
            assertThat(stop.segmentNumber(SEG) - start.segmentNumber(SEG)).as("segments in the backup's WAL range").isGreaterThanOrEqualTo(2);

            // intact: nothing found, exit 0
            Result intact = wf.run("verify");
            assertThat(intact.exitCode()).as(intact.all()).isZero();
            assertThat(intact.out()).startsWith("verify: all good (all): ").contains("in 2 repositories");
            assertThat(info("copy").get("backups").get(0).get("verify").asText()).isEqualTo("ok");

            // damage in the optional repository: a WAL object, a backup chunk, a segment in the middle of the backup's range
            String corruptWal = start.fileName();
            String missing = start.next(SEG).fileName();
            Path chunk = largestChunk(copy, id);
            String chunkObject = copy.resolve("test").relativize(chunk).toString();
            flipByte(walObject(copy, corruptWal));
            flipByte(chunk);
            Files.delete(walObject(copy, missing));
            Path intactWal = walObject(copy, stop.fileName());
            Object inode = Files.getAttribute(intactWal, "unix:ino");

            Result found = wf.run("verify", "--output", "json");
            assertThat(found.exitCode()).as(found.all()).isEqualTo(3);
            JsonNode report = json(found);
            assertThat(report.get("ok").asBoolean()).isFalse();
            assertThat(findings(report)).containsExactlyInAnyOrder("corrupt copy " + corruptWal, "corrupt copy " + chunkObject, "gap copy " + missing);
            report.get("findings").forEach(f -> assertThat(f.get("backups").toString()).isEqualTo("[\"" + id + "\"]"));
            assertThat(report.get("counts").get("corrupt").asInt()).isEqualTo(2);
            assertThat(report.get("counts").get("gap").asInt()).isEqualTo(1);
            assertThat(report.get("counts").get("total").asInt()).isEqualTo(3);
            JsonNode local = report.get("repositories").get(0);
            assertThat(local.get("repository").asText()).isEqualTo("local");
            assertThat(local.get("ok").asBoolean()).isTrue();
            JsonNode damaged = report.get("repositories").get(1).get("backups").get(0);
            assertThat(damaged.get("ok").asBoolean()).isFalse();
            assertThat(damaged.get("problems").toString()).contains(corruptWal).contains(missing).contains(chunkObject);

            Result text = wf.run("verify");
            assertThat(text.exitCode()).as(text.all()).isEqualTo(3);
            assertThat(text.out().lines().toList()).contains(
                    "copy: corrupt " + corruptWal + ": payload does not match its CRC-32C: the stored bytes were altered (backup " + id + ")",
                    "copy: gap " + missing + ": 1 segment of timeline 1 missing: a recovery cannot replay past them (backup " + id + ")");
            assertThat(text.out()).contains("copy: corrupt " + chunkObject + ": payload does not match its CRC-32C")
                    .contains("copy: backup " + id + " is damaged here: 3 objects it needs are bad or missing")
                    .contains("verify: 3 findings (2 corrupt, 1 gap) in repository copy (all)");
            assertThat(text.out().lines().filter(l -> l.startsWith("local: ") || l.contains(" local:"))).isEmpty();

            // one backup: its files and the WAL from its start to its stop, the same three
            Result scoped = wf.run("verify", "--backup", id, "--repository", "copy", "--output", "json");
            assertThat(scoped.exitCode()).as(scoped.all()).isEqualTo(3);
            assertThat(json(scoped).get("scope").asText()).isEqualTo("backup " + id);
            assertThat(findings(json(scoped))).containsExactlyInAnyOrder("corrupt copy " + corruptWal, "corrupt copy " + chunkObject,
                    "gap copy " + missing);
            Result unknown = wf.run("verify", "--backup", "20200101T000000Z");
            assertThat(unknown.exitCode()).as(unknown.all()).isEqualTo(2);
            assertThat(unknown.err().strip()).isEqualTo("walferry: no repository holds a complete backup 20200101T000000Z (hint: walferry info lists the backups)");

            // info marks the backup in the damaged repository only, and says what the last verify found
            JsonNode copyInfo = info("copy");
            assertThat(copyInfo.get("backups").get(0).get("verify").asText()).isEqualTo("damaged");
            assertThat(copyInfo.get("backups").get(0).get("verify_problems")).hasSize(3);
            assertThat(copyInfo.get("last_verify").get("ok").asBoolean()).isFalse();
            assertThat(copyInfo.get("last_verify").get("damaged_backups").toString()).isEqualTo("[\"" + id + "\"]");
            assertThat(info("local").get("backups").get(0).get("verify").asText()).isEqualTo("ok");
            Result infoText = wf.inProcess("info");
            assertThat(infoText.out()).contains("DAMAGED (3)").contains("3 findings (2 corrupt, 1 gap)").contains("gap " + missing);

            // --repair: the optional repository from the required one; an intact object is not touched
            Result repaired = wf.run("verify", "--repair", "--output", "json");
            assertThat(repaired.exitCode()).as(repaired.all()).isZero();
            JsonNode repairs = json(repaired).get("repairs");
            assertThat(repairs).hasSize(3);
            repairs.forEach(p -> {
                assertThat(p.get("outcome").asText()).isEqualTo("repaired");
                assertThat(p.get("detail").asText()).isEqualTo("copied from repository local");
            });
            assertThat(Files.getAttribute(intactWal, "unix:ino")).as("an intact object is left as it is").isEqualTo(inode);
            assertThat(walObject(copy, missing)).exists();
            Result again = wf.run("verify");
            assertThat(again.exitCode()).as(again.all()).isZero();
            assertThat(info("copy").get("backups").get(0).get("verify").asText()).isEqualTo("ok");

            // a required repository is reported, never repaired
            Path requiredWal = walObject(wf.repo(), stop.fileName());
            flipByte(requiredWal);
            byte[] damagedBytes = Files.readAllBytes(requiredWal);
            Result required = wf.run("verify", "--repair", "--output", "json");
            assertThat(required.exitCode()).as(required.all()).isEqualTo(3);
            JsonNode r = json(required);
            assertThat(findings(r)).containsExactly("corrupt local " + stop.fileName());
            assertThat(r.get("repairs").get(0).get("outcome").asText()).isEqualTo("not repaired");
            assertThat(r.get("repairs").get(0).get("detail").asText()).contains("required");
            assertThat(Files.readAllBytes(requiredWal)).isEqualTo(damagedBytes);
        }
    }

    @Test
    void anEncryptedRepositoryIsDecryptedToBeVerifiedAndRepairedUnderItsOwnKey() throws Exception {
        Path[] added = new Path[1];
        try (AgentProcess agent = startPrimary(f -> {
            added[0] = f.addRepository("copy", false);
            f.repositories("""
                      - name: local
                        type: fs
                        path: %s
                        encryption:
                          key: ${file:%s}
                      - name: copy
                        type: fs
                        path: %s
                        required: false
                        encryption:
                          key: ${file:%s}
                    """.formatted(f.repo(), f.secretFile("local.key", "QR8J+ig5GIJeY5KfE7OpCp0TMPuPQAk4NLeFOYY+OXoB+Nbv/sfUDsv+IhdE87ex"), added[0],
                    f.secretFile("copy.key", "0brxneNC8JvbJbHGx8B8ctk3ZE4vcINxfC+yWt6hTgavVq3x4npuMszjYrCybYUT")));
        })) {
            Path copy = added[0];
            pg.execute("create table t as select g, md5(g::text) as h from generate_series(1, 50000) g");
            String last = pg.switchWal();
            pg.awaitArchived(last, Duration.ofSeconds(120));
            Result backup = wf.run("backup", "--output", "json");
            assertThat(backup.exitCode()).as(backup.all()).isZero();
            String id = json(backup).get("backup").asText();
            Await.until(Duration.ofSeconds(60), last + " in the optional repository", () -> Files.exists(walObject(copy, last)));

            Result intact = wf.run("verify", "--output", "json");
            assertThat(intact.exitCode()).as(intact.all()).isZero();
            assertThat(json(intact).get("ok").asBoolean()).isTrue();

            // altered with the CRCs made to match: only authenticated decryption finds it
            tamperKeepingCrcs(walObject(copy, last));
            Path chunk = largestChunk(copy, id);
            tamperKeepingCrcs(chunk);
            Result found = wf.run("verify", "--output", "json");
            assertThat(found.exitCode()).as(found.all()).isEqualTo(3);
            JsonNode report = json(found);
            assertThat(report.get("findings")).hasSize(2);
            report.get("findings").forEach(f -> {
                assertThat(f.get("kind").asText()).isEqualTo("corrupt");
                assertThat(f.get("repository").asText()).isEqualTo("copy");
                assertThat(f.get("detail").asText()).contains("fails authentication");
            });
            assertThat(findings(report)).contains("corrupt copy " + last);

            Result repaired = wf.run("verify", "--repair");
            assertThat(repaired.exitCode()).as(repaired.all()).isZero();
            assertThat(repaired.out()).contains("copy: repaired " + last + " (corrupt): copied from repository local");
            // stored anew under the copy's own key: encrypted, and verify reads it
            assertThat(Files.readAllBytes(walObject(copy, last))[9]).isEqualTo((byte) 1);
            Result again = wf.run("verify", "--repository", "copy");
            assertThat(again.exitCode()).as(again.all()).isZero();
        }
    }
}
