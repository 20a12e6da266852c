package io.walferry.auxdir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.testing.AgentProcess;
import io.walferry.testing.Await;
import io.walferry.testing.PgCluster;
import io.walferry.testing.PgLogOnFailure;
import io.walferry.testing.S3ProxyServer;
import io.walferry.testing.ServerUser;
import io.walferry.testing.TempDirs;
import io.walferry.testing.WalferryFixture;
import io.walferry.testing.WalferryFixture.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * aux_directories end to end, on a filesystem repository and on an encrypted S3 one: the primary's agent stores a
 * directory (a large file in two chunks, a nested directory, modes, a link); replica create copies it byte for byte;
 * a change on the primary uploads only the changed file and reaches the replica, a removal too; a tampered object is
 * refused and the replica's file is left as it was; after a promotion the new primary's agent keeps the directory.
 */
@ExtendWith(PgLogOnFailure.class)
class AuxDirectoryIT {
    private static final Pattern STORED = Pattern.compile("aux directory models: manifest \\S+ stored in repository \\S+ "
            + "\\((\\d+) files; (\\d+) new objects, (\\d+) bytes\\)");
    private static final String BUCKET = "aux-east";
    private static S3ProxyServer s3;
    private Path dir;
    private PgCluster east;
    private PgCluster west;
    private WalferryFixture wf;
    private String kind;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyServer.start(false);
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void setUp() {
        dir = TempDirs.create("wf-aux-");
    }

    @AfterEach
    void tearDown() {
        for (PgCluster c : new PgCluster[]{west, east}) {
            if (c != null) {
                c.close();
            }
        }
        TempDirs.deleteTree(dir);
    }

    private Result ok(String... args) {
        Result r = wf.run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.all()).isZero();
        return r;
    }

    private String s3Repository() {
        Path id = wf.secretFile("s3.key-id", S3ProxyServer.ACCESS_KEY);
        Path secret = wf.secretFile("s3.secret", S3ProxyServer.SECRET_KEY);
        Path key = wf.secretFile("s3.encryption-key", "sCsfz9rTpsNvrCTyDEH3Ep+pNwb1hrB0kmqVhLs165hlBYyao20RiJyMsD/Yexi6");
        String prefix = "aux" + System.nanoTime();
        return """
                  - name: s3east
                    type: s3
                    bucket: %s
                    prefix: %s
                    endpoint: %s
                    path_style: true
                    part_size: 5MiB
                    retry_timeout: 3s
                    io_timeout: 20s
                    credentials:
                      access_key_id: ${file:%s}
                      secret_access_key: ${file:%s}
                    encryption:
                      key: ${file:%s}
                """.formatted(BUCKET, prefix, s3.endpoint(), id, secret, key);
    }

    /** Where each stored object of aux directory models is, as a file: the fs repository's, or the S3 blob store's. */
    private List<Path> objects() throws IOException {
        List<Path> out = new ArrayList<>();
        if (kind.equals("fs")) {
            try (Stream<Path> s = Files.walk(wf.repo())) {
                s.filter(p -> p.toString().contains("/aux/models/objects/") && Files.isRegularFile(p)).forEach(out::add);
            }
        } else {
            try (S3Client c = s3.client()) {
                for (S3Object o : c.listObjectsV2Paginator(r -> r.bucket(BUCKET)).contents()) {
                    if (o.key().contains("/aux/models/objects/")) {
                        out.add(s3.objectFile(BUCKET, o.key()));
                    }
                }
            }
        }
        return out;
    }

    /**
     * A primary east archiving to a filesystem repository, with aux directory models (aux_interval 1s) at east-models
     * holding {@code files} (name to content) and stored by a push; each node of {@code others} (no server yet) keeps it
     * at NAME-models. Returns east-models.
     */
    private Path eastStoring(Map<String, String> files, String... others) throws IOException {
        this.kind = "fs";
        east = PgCluster.init(dir, "east");
        wf = new WalferryFixture(dir.resolve("wf"), east, "  workers: 2\n");
        wf.enableArchiving(east);
        east.set("wal_keep_size", "256MB");
        east.start();
        List<PgCluster> nodes = new ArrayList<>(List.of(east));
        StringBuilder nodePaths = new StringBuilder();
        for (String other : others) {
            PgCluster c = PgCluster.existing(dir, other);
            if (other.equals("west")) {
                west = c;
            }
            nodes.add(c);
            nodePaths.append("\n      ").append(other).append(": ").append(wf.dir().resolve(other + "-models"));
        }
        wf.writeConfig(nodes, "  workers: 2\n");
        Path eastModels = wf.dir().resolve("east-models");
        wf.topLevel("aux_interval: 1s\naux_directories:\n  - name: models\n    path: " + eastModels
                + (others.length == 0 ? "" : "\n    node_paths:" + nodePaths) + "\n");
        for (Map.Entry<String, String> f : files.entrySet()) {
            write(eastModels.resolve(f.getKey()), f.getValue().getBytes(), "rw-r--r--");
        }
        ServerUser.chown(eastModels);
        ok("repo-create", "--node", "east");
        ok("aux", "sync", "--node", "east", "--push");
        return eastModels;
    }

    /** Alters one byte of {@code file}, {@code fromEnd} bytes before its end. */
    private static void flipByte(Path file, long fromEnd) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() - fromEnd;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x55);
        }
    }

    /** The ids of the stored manifests of aux directory models (a filesystem repository). */
    private Set<String> manifests() throws IOException {
        try (Stream<Path> s = Files.walk(wf.repo())) {
            return s.filter(p -> p.toString().contains("/aux/models/manifests/") && Files.isRegularFile(p))
                    .map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    /** Every entry below {@code root} (not the root itself): its kind, permission bits, and content or target. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(p -> !p.equals(root)).toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(rel, "link " + Files.readSymbolicLink(p));
                } else {
                    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                    out.put(rel, Files.isDirectory(p) ? "dir " + mode : "file " + mode + " " + sha256(p));
                }
            }
        }
        return out;
    }

    private static String sha256(Path p) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = in.read(buf)) > 0) {
                    d.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, byte[] bytes, String mode) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    /** Replaces {@code file} at once (written beside the directory, then renamed), so that no reader sees half of it. */
    private void replace(Path file, String content) throws IOException {
        Path temp = dir.resolve("replacement.tmp");
        Files.writeString(temp, content);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        ServerUser.chown(temp);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The counts of new objects the agent logged for each manifest it stored, in order. */
    private static List<Integer> newObjectsLogged(AgentProcess agent) {
        List<Integer> out = new ArrayList<>();
        Matcher m = STORED.matcher(agent.log());
        while (m.find()) {
            out.add(Integer.parseInt(m.group(2)));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fs", "s3"})
    void aReplicaGetsTheAuxDirectoryAndFollowsThePrimary(String kind) throws Exception {
        this.kind = kind;
        east = PgCluster.init(dir, "east");
        wf = new WalferryFixture(dir.resolve("wf"), east, "  workers: 2\n");
        wf.enableArchiving(east);
        east.set("wal_keep_size", "256MB");
        east.start();
        west = PgCluster.existing(dir, "west");
        wf.writeConfig(List.of(east, west), "  workers: 2\n");
        if (kind.equals("s3")) {
            wf.repositories(s3Repository());
        }
        Path eastModels = wf.dir().resolve("east-models");
        Path westModels = wf.dir().resolve("west-models");
        wf.topLevel("aux_interval: 1s\naux_directories:\n  - name: models\n    path: " + eastModels
                + "\n    node_paths:\n      west: " + westModels + "\n");

        // a model cache: a large file of two chunks, a nested directory with its own modes, a link, an empty file
        byte[] weights = new byte[70 << 20];
        new Random(18).nextBytes(weights);
        write(eastModels.resolve("models--bert/blobs/weights.bin"), weights, "rw-r--r--");
        write(eastModels.resolve("models--bert/config.json"), "{\"hidden\": 768}".getBytes(), "rw-r--r--");
        write(eastModels.resolve("models--bert/tokenizer/vocab.txt"), "[PAD]\n[UNK]\nhello\n".getBytes(), "rw-------");
        write(eastModels.resolve("models--bert/run.sh"), "#!/bin/sh\necho hi\n".getBytes(), "rwxr-x---");
        write(eastModels.resolve("obsolete.txt"), "old revision".getBytes(), "rw-r-----");
        write(eastModels.resolve("empty"), new byte[0], "rw-r--r--");
        Files.setPosixFilePermissions(eastModels.resolve("models--bert/tokenizer"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(eastModels.resolve("models--bert/current"), Path.of("blobs/weights.bin"));
        ServerUser.chown(eastModels);

        ok("repo-create", "--node", "east");
        try (AgentProcess eastAgent = wf.startAgent("east")) {
            Await.until(Duration.ofSeconds(120), "the primary's agent to store aux directory models", () -> !newObjectsLogged(eastAgent).isEmpty());
            assertThat(newObjectsLogged(eastAgent).get(0)).as("a chunk per small file (the empty file none), two of the large one")
                    .isEqualTo(6);
            assertThat(objects()).hasSize(6);
            east.execute("create table t as select g from generate_series(1, 1000) g");
            ok("backup", "--node", "east");

            // replica create copies the directory before the server starts: the same tree, bytes, modes and link
            JsonNode created = new ObjectMapper().readTree(ok("replica", "create", "--node", "west", "--output", "json").out());
            JsonNode aux = created.get("aux_directories").get(0);
            assertThat(aux.get("written").asInt()).isEqualTo(6);
            assertThat(aux.get("problems")).isEmpty();
            assertThat(tree(westModels)).isEqualTo(tree(eastModels)).containsEntry("models--bert/current", "link blobs/weights.bin")
                    .containsEntry("models--bert/tokenizer", "dir rwxr-x---");
            assertThat(west.queryString("select pg_is_in_recovery()")).isEqualTo("t");

            try (AgentProcess westAgent = wf.startAgent("west")) {
                // one file changed, one removed on the primary: only the changed one is uploaded, and the replica follows
                Set<Path> objectsBefore = new HashSet<>(objects());
                int manifestsBefore = newObjectsLogged(eastAgent).size();
                replace(eastModels.resolve("models--bert/config.json"), "{\"hidden\": 1024}");
                Files.delete(eastModels.resolve("obsolete.txt"));
                Await.until(Duration.ofSeconds(60), "the replica to hold the primary's new revision",
                        () -> tree(westModels).equals(tree(eastModels)));
                assertThat(westModels.resolve("obsolete.txt")).doesNotExist();
                List<Path> added = objects().stream().filter(p -> !objectsBefore.contains(p)).toList();
                assertThat(added).as("one new object: the changed file").hasSize(1);
                assertThat(objects()).as("nothing stored was removed").containsAll(objectsBefore);
                List<Integer> logged = newObjectsLogged(eastAgent);
                assertThat(logged.subList(manifestsBefore, logged.size())).as("new objects per manifest stored").isNotEmpty()
                        .allMatch(n -> n <= 1).contains(1);
                assertThat(westAgent.log()).contains("aux directory models: manifest");

                // a tampered object is refused: the replica keeps its file, and no temporary file is left
                westAgent.stop();
                Path configObject = added.get(0);
                flipByte(configObject, 5);
                replace(westModels.resolve("models--bert/config.json"), "edited on the replica");
                Result refused = wf.run("aux", "sync", "--node", "west");
                assertThat(refused.exitCode()).as(refused.all()).isEqualTo(3);
                assertThat(refused.err()).contains("aux directory models: models--bert/config.json: object ")
                        .contains("/aux/models/objects/").contains(kind.equals("fs") ? "in repository local" : "in repository s3east")
                        .contains("the file here was left as it is").contains("aux sync --push --recheck").hasLineCount(1);
                assertThat(Files.readString(westModels.resolve("models--bert/config.json"))).isEqualTo("edited on the replica");
                try (Stream<Path> s = Files.walk(westModels)) {
                    assertThat(s.filter(p -> p.getFileName().toString().startsWith(".walferry-aux-")).toList()).isEmpty();
                }

                // the object moved aside and stored again from the primary (as the error's hint says): the pull succeeds
                Files.delete(configObject);
                JsonNode rechecked = new ObjectMapper().readTree(ok("aux", "sync", "--node", "east", "--push", "--recheck", "--output", "json").out());
                assertThat(rechecked.get(0).get("repositories").get(0).get("objects_stored").asInt()).isEqualTo(1);
                ok("aux", "sync", "--node", "west");
                assertThat(tree(westModels)).isEqualTo(tree(eastModels));
            }
            try (AgentProcess westAgent = wf.startAgent("west")) {
                // promoted, the replica's agent keeps the directory: a file made there reaches the old primary's copy
                ok("promote", "--node", "west");
                assertThat(east.isRunning()).isFalse();
                replace(westModels.resolve("after-promotion.txt"), "made on the new primary");
                Await.until(Duration.ofSeconds(60), "the new primary's agent to store its change",
                        () -> STORED.matcher(westAgent.log()).find());
                ok("aux", "sync", "--node", "east", "--pull");
                assertThat(tree(eastModels)).isEqualTo(tree(westModels)).containsKey("after-promotion.txt");
            }
        }
    }

    /**
     * A replica whose pull failed in part (an object lost before it was made) is promoted: its agent must not publish its
     * partial tree as the new state, or every other replica would remove what its last pull placed. It pulls first,
     * publishes nothing while that fails, and once the object is stored again (by a replica whose pull succeeded) it
     * completes its pull and pushes from then on.
     */
    @Test
    void aPromotedReplicaWhosePullFailedPublishesNothingUntilItHoldsTheWholeDirectory() throws Exception {
        // north: a replica whose server this test does not need: its pulls and pushes are run with --pull and --push
        Path eastModels = eastStoring(Map.of("alpha.bin", "alpha", "bravo.bin", "bravo", "charlie.bin", "charlie"), "west", "north");
        Path westModels = wf.dir().resolve("west-models");
        Path northModels = wf.dir().resolve("north-models");
        ok("aux", "sync", "--node", "north", "--pull");
        assertThat(tree(northModels)).isEqualTo(tree(eastModels)).hasSize(3);

        // bravo's object is lost before west is made: west's pull is partial, and the replica runs anyway
        String bravo = sha256(eastModels.resolve("bravo.bin"));
        Path lost = objects().stream().filter(p -> p.getFileName().toString().equals(bravo)).findFirst().orElseThrow();
        Files.delete(lost);
        east.execute("create table t as select g from generate_series(1, 1000) g");
        ok("backup", "--node", "east");
        Result created = wf.run("replica", "create", "--node", "west");
        assertThat(created.exitCode()).as(created.all()).isEqualTo(3);
        assertThat(westModels.resolve("alpha.bin")).exists();
        assertThat(westModels.resolve("bravo.bin")).doesNotExist();
        Set<String> manifestsBefore = manifests();
        assertThat(manifestsBefore).hasSize(1);

        try (AgentProcess westAgent = wf.startAgent("west")) {
            ok("promote", "--node", "west");
            Await.until(Duration.ofSeconds(60), "the new primary's agent to push or to say why it does not",
                    () -> westAgent.log().contains("nothing pushed") || STORED.matcher(westAgent.log()).find());
            assertThat(STORED.matcher(westAgent.log()).find()).as("no manifest of the partial tree: " + westAgent.log()).isFalse();
            assertThat(westAgent.log()).contains("aux directory models: nothing pushed: the newest manifest " + manifestsBefore.iterator().next()
                    + " (written by node east) was never pulled completely here");
            assertThat(manifests()).isEqualTo(manifestsBefore);
            Result push = wf.run("aux", "sync", "--node", "west", "--push", "--output", "json");
            assertThat(push.exitCode()).as(push.all()).isEqualTo(3);
            assertThat(push.err()).contains("bravo.bin").contains("nothing pushed");
            assertThat(new ObjectMapper().readTree(push.out()).get(0).get("withheld").asText()).contains("pulling it failed");

            // the other replica keeps every file its pull placed
            ok("aux", "sync", "--node", "north", "--pull");
            assertThat(tree(northModels)).isEqualTo(tree(eastModels));

            // a replica whose pull succeeded stores the lost object again: the new primary completes its pull, then pushes
            ok("aux", "sync", "--node", "north", "--push", "--recheck");
            assertThat(lost).exists();
            Await.until(Duration.ofSeconds(60), "the new primary to hold the whole directory", () -> Files.exists(westModels.resolve("bravo.bin")));
            replace(westModels.resolve("after-promotion.txt"), "made on the new primary");
            Await.until(Duration.ofSeconds(60), "the new primary's agent to store its change", () -> STORED.matcher(westAgent.log()).find());
            ok("aux", "sync", "--node", "north", "--pull");
            assertThat(tree(northModels)).isEqualTo(tree(westModels)).containsKeys("bravo.bin", "after-promotion.txt");
        }
    }

    /**
     * expire removes an aux directory's manifests beyond the newest kept, and the objects no kept manifest names once
     * older than the grace: an old version's object goes, the current ones stay, and so does a fresh unnamed object
     * (it may belong to a push whose manifest is not written yet); a replica still pulls the current version whole.
     */
    @Test
    void expireRemovesTheObjectsOfOldVersionsOnly() throws Exception {
        Path eastModels = eastStoring(Map.of("alpha.bin", "alpha", "bravo.bin", "bravo, first version"), "west");
        Path westModels = wf.dir().resolve("west-models");
        String oldBravo = sha256(eastModels.resolve("bravo.bin"));
        replace(eastModels.resolve("bravo.bin"), "bravo, second version");
        ok("aux", "sync", "--node", "east", "--push");
        // a file stored, then removed: its object is unnamed but fresh
        replace(eastModels.resolve("charlie.bin"), "charlie");
        String charlie = sha256(eastModels.resolve("charlie.bin"));
        ok("aux", "sync", "--node", "east", "--push");
        Files.delete(eastModels.resolve("charlie.bin"));
        ok("aux", "sync", "--node", "east", "--push");
        assertThat(manifests()).hasSize(4);
        assertThat(objects()).hasSize(4);
        // the old version's object was stored three days ago
        Path oldObject = objects().stream().filter(p -> p.getFileName().toString().equals(oldBravo)).findFirst().orElseThrow();
        Files.setLastModifiedTime(oldObject, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Duration.ofDays(3))));
        List<String> newest = List.copyOf(manifests()).subList(3, 4);

        JsonNode dry = new ObjectMapper().readTree(ok("expire", "--keep", "1", "--aux-keep-manifests", "1", "--dry-run", "--output", "json").out());
        assertThat(dry.get(0).get("aux_directories").get(0).get("objects_removed").asInt()).isEqualTo(1);
        assertThat(objects()).hasSize(4);
        assertThat(manifests()).hasSize(4);

        JsonNode expired = new ObjectMapper().readTree(ok("expire", "--keep", "1", "--aux-keep-manifests", "1", "--output", "json").out());
        JsonNode aux = expired.get(0).get("aux_directories").get(0);
        assertThat(aux.get("name").asText()).isEqualTo("models");
        assertThat(aux.get("manifests_removed")).hasSize(3);
        assertThat(aux.get("objects_removed").asInt()).isEqualTo(1);
        assertThat(aux.get("objects_young").asInt()).isEqualTo(1);
        assertThat(aux.get("objects_kept").asInt()).isEqualTo(2);
        assertThat(List.copyOf(manifests())).isEqualTo(newest);
        assertThat(objects()).doesNotContain(oldObject).hasSize(3)
                .anyMatch(p -> p.getFileName().toString().equals(charlie));

        ok("aux", "sync", "--node", "west", "--pull");
        assertThat(tree(westModels)).isEqualTo(tree(eastModels)).containsKeys("alpha.bin", "bravo.bin").doesNotContainKey("charlie.bin");
        assertThat(Files.readString(westModels.resolve("bravo.bin"))).isEqualTo("bravo, second version");
    }

    /** verify reads every aux manifest and object: a tampered object and a missing one are findings, named, and exit 3. */
    @Test
    void verifyReportsATamperedAndAMissingAuxObject() throws Exception {
        Path eastModels = eastStoring(Map.of("alpha.bin", "alpha", "bravo.bin", "bravo"));
        JsonNode good = new ObjectMapper().readTree(ok("verify", "--output", "json").out());
        assertThat(good.get("repositories").get(0).get("aux_objects").asInt()).as("a manifest and two objects").isEqualTo(3);

        String alpha = sha256(eastModels.resolve("alpha.bin"));
        String bravo = sha256(eastModels.resolve("bravo.bin"));
        flipByte(objects().stream().filter(p -> p.getFileName().toString().equals(alpha)).findFirst().orElseThrow(), 3);
        Files.delete(objects().stream().filter(p -> p.getFileName().toString().equals(bravo)).findFirst().orElseThrow());

        Result bad = wf.run("verify", "--output", "json");
        assertThat(bad.exitCode()).as(bad.all()).isEqualTo(3);
        JsonNode report = new ObjectMapper().readTree(bad.out());
        assertThat(report.get("ok").asBoolean()).isFalse();
        Map<String, String> findings = new TreeMap<>();
        report.get("findings").forEach(f -> findings.put(f.get("object").asText(), f.get("kind").asText()));
        assertThat(findings).containsOnly(Map.entry("aux/models/objects/" + alpha, "corrupt"), Map.entry("aux/models/objects/" + bravo, "missing"));
        Result text = wf.run("verify");
        assertThat(text.exitCode()).isEqualTo(3);
        assertThat(text.out()).contains("corrupt aux/models/objects/" + alpha).contains("missing aux/models/objects/" + bravo)
                .contains("aux sync --push --recheck");
    }
}
