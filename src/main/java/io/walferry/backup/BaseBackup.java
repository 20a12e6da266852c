package io.walferry.backup;

import io.walferry.archive.ArchivePusher;
import io.walferry.config.Compression;
import io.walferry.config.NodeConfig;
import io.walferry.failure.Deadline;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.BackupSession;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.ClusterRecord;
import io.walferry.repository.RepositoryLayout;
import io.walferry.repository.format.EncodeGate;
import io.walferry.repository.format.FileRangeInput;
import io.walferry.repository.format.ObjectHeader;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A full base backup of a running primary or standby into every repository: PostgreSQL's non-exclusive
 * backup API on one session, the data directory's files copied in parallel (each in chunks of at most
 * {@code chunkSize}, each chunk an object compressed, checksummed and, where configured, encrypted), then
 * pg_backup_stop, then a wait until every WAL segment the backup needs is in every repository, and only then
 * the manifest: a backup without one is incomplete.
 */
public final class BaseBackup {
    private static final Logger LOG = LoggerFactory.getLogger(BaseBackup.class);
    private static final Pattern TIMELINE = Pattern.compile("(?m)^START TIMELINE: (\\d+)$");

    /** How a backup is taken. */
    public record Options(int jobs, Compression compression, long chunkSize, Duration walTimeout) {
    }

    /** Told of the bytes copied so far, from the copying threads. */
    public interface Progress {
        void copied(long done, long total);
    }

    private final NodeConfig node;
    private final List<Repository> repositories;
    private final ClusterRecord cluster;
    private final Options options;
    private final Progress progress;
    private final ArchivePusher walPusher;

    /**
     * @param walPusher pushes the backup's last WAL segments from the data directory itself, as the agent
     *                  does, rather than waiting for archive_command to start a process for each
     */
    public BaseBackup(NodeConfig node, ArchivePusher walPusher, ClusterRecord cluster, Options options, Progress progress) {
        this.node = node;
        this.walPusher = walPusher;
        this.repositories = walPusher.archives().repositories();
        this.cluster = cluster;
        this.options = options;
        this.progress = progress;
    }

    /**
     * Takes the backup through {@code connection} (held open to the end).
     *
     * @param switchWalOnPrimary for a backup from a standby: makes the primary close its current segment, so
     *                           that the last one the backup needs gets archived; may do nothing
     */
    public BackupManifest run(Connection connection, Runnable switchWalOnPrimary) {
        Instant started = Instant.now();
        String id = BackupManifest.idAt(started);
        // One backup per second and name: a second one within the same second waits for the next.
        while (taken(id)) {
            Deadline.sleep(Duration.ofMillis(1000 - started.toEpochMilli() % 1000));
            started = Instant.now();
            id = BackupManifest.idAt(started);
        }
        refuseAnotherCluster(connection);
        BackupSession session = BackupSession.start(connection, "walferry " + id);
        LOG.info("backup {} started at {}{}", id, session.startLsn(), session.fromStandby() ? " (from a standby)" : "");
        long t0 = System.nanoTime();
        DataDirectoryScan.Result scan = DataDirectoryScan.scan(node.dataDirectory());
        List<BackupManifest.FileEntry> files = copy(id, scan);
        long t1 = System.nanoTime();
        // walferry waits for the WAL itself, polling the repositories: pg_backup_stop's own wait sleeps in
        // whole seconds, and it knows only that archive_command returned, not that every repository holds it.
        BackupSession.Stop stop = session.stop(false);
        int timeline = timeline(stop.backupLabel());
        long segSize = cluster.walSegmentSize();
        WalFileName.Segment first = WalFileName.Segment.of(timeline, session.startLsn().segmentNumber(segSize), segSize);
        WalFileName.Segment last = WalFileName.Segment.of(timeline, new Lsn(stop.lsn().value() - 1).segmentNumber(segSize), segSize);
        if (session.fromStandby()) {
            switchWalOnPrimary.run();
        }
        long t2 = System.nanoTime();
        pushAhead(first, last);
        awaitWal(first, last);
        long t3 = System.nanoTime();
        LOG.info("backup {}: copied {} files in {} ms, pg_backup_stop {} ms, WAL in the repositories after {} ms", id, files.size(),
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
        for (Repository r : repositories) {
            put(r, RepositoryLayout.backupObject(id, RepositoryLayout.BACKUP_LABEL), stop.backupLabel().getBytes(StandardCharsets.UTF_8));
            put(r, RepositoryLayout.backupObject(id, RepositoryLayout.TABLESPACE_MAP), stop.tablespaceMap().getBytes(StandardCharsets.UTF_8));
        }
        BackupManifest manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, id, cluster.cluster(), cluster.systemIdentifier(),
                session.versionNum(), timeline, session.startLsn().toString(), stop.lsn().toString(), first.fileName(), last.fileName(),
                started.toString(), Instant.now().toString(), session.fromStandby(), node.name(), options.compression().type().label(),
                options.chunkSize(), scan.directories(), scan.tablespaces(), files);
        // Last: the manifest is what makes the backup exist.
        for (Repository r : repositories) {
            put(r, RepositoryLayout.backupObject(id, RepositoryLayout.MANIFEST), manifest.toJson());
        }
        LOG.info("backup {} complete: {} files, {} bytes, WAL {} to {}", id, files.size(), manifest.bytes(), first.fileName(), last.fileName());
        return manifest;
    }

    /**
     * A node whose host or port leads to another server (a copy, a rebuilt cluster, a typo) would have its files
     * stored as a backup of this cluster, over WAL it cannot replay: refused before pg_backup_start.
     */
    private void refuseAnotherCluster(Connection connection) {
        ClusterIdentity server = ServerInfo.identity(connection);
        if (!cluster.sameIdentity(server)) {
            throw WalferryException.refused("node " + node.name() + " is not cluster " + cluster.cluster() + " of repository "
                    + repositories.get(0).name() + ": the server has system identifier " + server.systemIdentifierText() + " (PostgreSQL "
                    + server.version() + ", " + (server.walSegmentSize() >> 20) + " MB WAL segments), the repository "
                    + cluster.systemIdentifier() + " (PostgreSQL " + cluster.pgVersion() + ", " + (cluster.walSegmentSize() >> 20)
                    + " MB WAL segments)", "point the node's host and port at that cluster's server, or give this server "
                    + "a repository of its own (another path or cluster name, then walferry repo-create)");
        }
    }

    private boolean taken(String id) {
        for (Repository r : repositories) {
            if (r.list(RepositoryLayout.BACKUPS).stream().anyMatch(e -> e.name().equals(id))) {
                return true;
            }
        }
        return false;
    }

    private void put(Repository r, String key, byte[] bytes) {
        r.putNew(key, new ByteArrayInputStream(bytes), options.compression(), EncodeGate.NONE);
    }

    /** One chunk of one file: the unit of parallel work, so that one large relation is not copied by one thread alone. */
    private record Chunk(DataDirectoryScan.Item item, int index) {
    }

    /** What a chunk became; null checksum when the file was gone (dropped during the backup). */
    private record Copied(Chunk chunk, String checksum, long bytes) {
    }

    private List<BackupManifest.FileEntry> copy(String id, DataDirectoryScan.Result scan) {
        List<DataDirectoryScan.Item> order = new ArrayList<>(scan.files());
        order.sort(Comparator.comparingLong(DataDirectoryScan.Item::size).reversed());
        // Twice as many copiers as compressions at once: while some wait on the disk (writes, read-back
        // checks, fsyncs), the others compress; the gate keeps the CPU use at jobs.
        EncodeGate gate = EncodeGate.limit(options.jobs());
        List<ChunkPipeline.Job<Copied>> jobs = new ArrayList<>();
        for (DataDirectoryScan.Item item : order) {
            long n = Math.max(1, (item.size() + options.chunkSize() - 1) / options.chunkSize());
            for (int i = 0; i < n; i++) {
                Chunk c = new Chunk(item, i);
                jobs.add(() -> copyChunk(id, c, gate));
            }
        }
        List<Copied> copied = new ChunkPipeline("backup", 2 * options.jobs(), progress, scan.bytes(),
                e -> new WalferryException(Failure.FAILED, "backup failed: " + e, "run with --debug for details", e)).run(jobs, Copied::bytes);
        Map<String, List<Copied>> byFile = new TreeMap<>();
        for (Copied c : copied) {
            byFile.computeIfAbsent(c.chunk().item().path(), k -> new ArrayList<>()).add(c);
        }
        List<BackupManifest.FileEntry> out = new ArrayList<>();
        for (var e : byFile.entrySet()) {
            List<Copied> parts = e.getValue();
            if (parts.stream().anyMatch(c -> c.checksum() == null)) {
                continue; // dropped while the backup ran; replay of the WAL drops it on restore too
            }
            parts.sort(Comparator.comparingInt(c -> c.chunk().index()));
            out.add(new BackupManifest.FileEntry(e.getKey(), parts.stream().mapToLong(Copied::bytes).sum(),
                    parts.stream().map(Copied::checksum).toList()));
        }
        return out;
    }

    /**
     * Copies one chunk into every repository: what the file holds in that range now. A file that grew
     * since the scan is copied up to its scanned chunks; one that shrank gives short or empty chunks; WAL
     * replay from the backup's start makes either consistent, as for any base backup.
     */
    private Copied copyChunk(String id, Chunk c, EncodeGate gate) {
        String key = RepositoryLayout.backupObject(id, RepositoryLayout.chunk(c.item().path(), c.index()));
        ObjectHeader header = null;
        try (FileChannel ch = FileChannel.open(c.item().source())) {
            long from = c.index() * options.chunkSize();
            long want = Math.max(0, Math.min(options.chunkSize(), ch.size() - from));
            // Into one repository the chunk streams from the file: holding whole chunks in arrays kept the collector
            // busier than the compressor (docs/benchmarks.md). Several repositories must get the same bytes (the manifest names one checksum,
            // and the file may change between two reads), so there it is read once into memory.
            byte[] held = repositories.size() > 1 ? new FileRangeInput(ch, from, want).readAllBytes() : null;
            for (Repository r : repositories) {
                InputStream source = held == null ? new FileRangeInput(ch, from, want) : new ByteArrayInputStream(held);
                header = r.putNew(key, source, want, options.compression(), gate);
            }
        } catch (NoSuchFileException e) {
            return new Copied(c, null, 0);
        } catch (IOException e) {
            throw DataDirectoryScan.unreadable(c.item().source(), e);
        }
        return new Copied(c, header.contentChecksumText(), header.originalSize());
    }

    private static int timeline(String backupLabel) {
        Matcher m = TIMELINE.matcher(backupLabel);
        if (!m.find()) {
            throw new WalferryException(Failure.POSTGRES, "the backup label has no START TIMELINE line", null);
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * Pushes the segments from {@code first} to {@code last} that PostgreSQL has marked ready to archive,
     * unless they are stored already. archive_command, running at the same time, then finds them stored;
     * whatever this cannot push (a segment gone, a repository down) is left to it and to {@link #awaitWal}.
     */
    private void pushAhead(WalFileName.Segment first, WalFileName.Segment last) {
        Path walDir = node.dataDirectory().resolve("pg_wal");
        long segSize = cluster.walSegmentSize();
        for (WalFileName.Segment s = first; s.fileName().compareTo(last.fileName()) <= 0; s = s.next(segSize)) {
            if (!Files.exists(walDir.resolve("archive_status").resolve(s.fileName() + ".ready"))) {
                continue;
            }
            try {
                walPusher.push(walDir.resolve(s.fileName()));
            } catch (WalferryException e) {
                LOG.debug("backup: {} left to archive_command: {}", s.fileName(), e.getMessage());
            }
        }
    }

    /** Waits until every segment from {@code first} to {@code last} is in every repository. */
    private void awaitWal(WalFileName.Segment first, WalFileName.Segment last) {
        // Looks often: the backup is done as soon as its last segment is stored.
        Deadline deadline = Deadline.after(options.walTimeout()).lookingEvery(Duration.ofMillis(50));
        long segSize = cluster.walSegmentSize();
        for (Repository r : repositories) {
            for (WalFileName.Segment s = first; s.fileName().compareTo(last.fileName()) <= 0; s = s.next(segSize)) {
                WalFileName.Segment seg = s;
                deadline.awaitOr(() -> r.walHeader(seg).isPresent(), Failure.REPOSITORY, "backup incomplete: WAL segment "
                        + seg.fileName() + " did not reach repository " + r.name() + " within " + options.walTimeout().toSeconds() + " s",
                        "check archiving (walferry check); the backup was not recorded as complete");
            }
        }
    }
}
