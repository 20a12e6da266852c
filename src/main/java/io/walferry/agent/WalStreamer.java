package io.walferry.agent;

import io.walferry.archive.ArchivePusher;
import io.walferry.archive.ArchiveSet;
import io.walferry.archive.ArchiveTarget;
import io.walferry.config.ArchiveConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.ReplicationSlots;
import io.walferry.postgres.ServerInfo;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import io.walferry.postgres.WalStream;
import io.walferry.repository.PutOutcome;
import io.walferry.repository.Repository;
import io.walferry.repository.storage.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * The primary's WAL, streamed into every repository as the server writes it ({@code archive.stream}; docs/streaming.md):
 * received over the replication protocol through a physical slot of walferry's own, stored as immutable pieces every
 * {@code stream_interval} or {@code stream_chunk} bytes, and each complete segment stored exactly as archive-push stores
 * it. The slot's confirmed position moves only once the WAL before it is durable in every required repository. Each
 * session streams from the start of the segment that holds the slot's restart_lsn, so a restart after a crash has every
 * byte of that segment again; what a repository holds already is compared, never rewritten.
 */
final class WalStreamer implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(WalStreamer.class);
    private static final Backoff BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    /** How long a stream waits for the server's next bytes or a piece's end between looks, while nothing is in flight. */
    private static final Duration IDLE_POLL = Duration.ofMillis(5);
    /** The same while pieces are in flight, or for a synchronous archive (its commits wait for the next look). */
    private static final Duration PIECE_POLL = Duration.ofNanos(200_000);

    private final WalferryConfig config;
    private final NodeConfig node;
    private final LazyPusher pusher;
    private final Path spool;
    private final BooleanSupplier running;
    private final PgConnector connector;
    private final ArchiveConfig.Stream settings;

    WalStreamer(WalferryConfig config, NodeConfig node, LazyPusher pusher, Path spool, BooleanSupplier running) {
        this.config = config;
        this.node = node;
        this.pusher = pusher;
        this.spool = spool.resolve("stream");
        this.running = running;
        this.connector = new PgConnector(config.connection());
        this.settings = config.archive().stream();
    }

    /** The name of the slot the agent of {@code node} streams through: letters, digits and underscores, as slot names must be. */
    static String slotName(String node) {
        return io.walferry.postgres.SynchronousNames.archiveName(node);
    }

    /**
     * With streaming off, drops the node's stream slot if it has one, so that it keeps no WAL: only the running
     * primary's, and only while nothing streams through it. A server that cannot be reached now keeps it until the
     * agent starts again (status shows the slot).
     */
    static void dropSlot(WalferryConfig config, NodeConfig node) {
        try (Connection sql = new PgConnector(config.connection()).connect(node)) {
            if (!ServerInfo.inRecovery(sql)) {
                ReplicationSlots.dropIfInactive(sql, slotName(node.name()));
            }
        } catch (SQLException | WalferryException e) {
            LOG.debug("stream off: the stream slot of node {} not looked for: {}", node.name(), firstLine(e));
        }
    }

    @Override
    public void run() {
        int failures = 0;
        while (running.getAsBoolean()) {
            try {
                if (session()) {
                    failures = 0;
                }
            } catch (WalferryException e) {
                LOG.error("stream: {}", e.oneLine());
                failures++;
            } catch (SQLException | IOException | RuntimeException e) {
                LOG.warn("stream: {} (reconnecting)", firstLine(e));
                failures++;
            }
            if (running.getAsBoolean()) {
                pause(failures == 0 ? Duration.ofSeconds(5) : BACKOFF.delay(failures - 1));
            }
        }
    }

    /** One connection's stream, until it breaks or the agent stops; false when the node is no primary now. */
    private boolean session() throws SQLException, IOException {
        ArchivePusher push = pusher.get();
        ArchiveSet archives = push.archives();
        long segmentSize = archives.identity().walSegmentSize();
        String slot = slotName(node.name());
        Lsn restart;
        try (Connection sql = connector.connect(node)) {
            if (ServerInfo.inRecovery(sql)) {
                return false; // a standby: the primary's agent streams
            }
            if (ReplicationSlots.ensurePhysical(sql, slot)) {
                LOG.info("stream: created replication slot {}", slot);
            }
            restart = ReplicationSlots.restartLsn(sql, slot).orElseThrow(() -> new SQLException("slot " + slot + " reserves no WAL"));
        }
        // its application_name is the slot's name: what synchronous_standby_names lists for a synchronous archive
        try (Connection replication = connector.connectPhysical(node, slot)) {
            WalStream.SystemInfo info = WalStream.identify(replication);
            if (info.systemIdentifier() != archives.identity().systemIdentifier()) {
                throw WalferryException.refused("node " + node.name() + " has system identifier " + Long.toUnsignedString(info.systemIdentifier())
                        + ", the repositories hold cluster " + archives.identity().systemIdentifierText(), "check data_directory and host of node " + node.name());
            }
            TimelineHistory history = info.timeline() > 1 ? storeHistory(push, WalStream.timelineHistory(replication, info.timeline()), info.timeline())
                    : TimelineHistory.root(1);
            removeLeftPieces(archives);
            Lsn start = new Lsn(restart.value() - restart.value() % segmentSize);
            LOG.info("stream: receiving WAL of timeline {} through slot {} from {} (the slot keeps {})", info.timeline(), slot, start, restart);
            try (WalStream stream = WalStream.start(replication, slot, start);
                 PiecesInFlight inFlight = new PiecesInFlight(settings.inFlight(), archives.targets().size())) {
                new Session(push, archives, history, segmentSize, stream, inFlight, restart).run(start);
            }
        }
        return true;
    }

    /**
     * Deletes the pieces of segments stored whole since: a session that stopped between storing a segment and deleting
     * its pieces left them. Pieces of a segment not stored whole stay (the newest, or the last of a lost timeline).
     */
    private static void removeLeftPieces(ArchiveSet archives) {
        for (Repository r : archives.repositories()) {
            try {
                for (WalFileName.Segment s : r.streamedSegments()) {
                    if (r.walHeader(s).isPresent()) {
                        r.deleteStreamPieces(s);
                        LOG.info("stream: removed the pieces of {} from repository {}: it is stored whole", s.fileName(), r.name());
                    }
                }
            } catch (WalferryException e) {
                LOG.warn("stream: cannot look for pieces left in repository {}: {}", r.name(), e.oneLine());
            }
        }
    }

    /** Stores the server's history file of {@code timeline} as archive-push would (it must fit the repositories' history). */
    private TimelineHistory storeHistory(ArchivePusher push, WalStream.HistoryFile file, int timeline) throws IOException {
        WalFileName.History name = new WalFileName.History("%08X.history".formatted(timeline));
        if (!name.fileName().equals(file.fileName())) {
            throw new IOException("TIMELINE_HISTORY " + timeline + " returned " + file.fileName());
        }
        Path written = writeSpool(name.fileName(), file.content(), file.content().length);
        try {
            push.push(written);
        } finally {
            Files.deleteIfExists(written);
        }
        return TimelineHistory.parse(timeline, new String(file.content(), StandardCharsets.UTF_8));
    }

    private Path writeSpool(String fileName, byte[] bytes, int length) throws IOException {
        PrivateFiles.createDirectories(spool);
        Path file = spool.resolve(fileName);
        Files.deleteIfExists(file);
        try (FileChannel ch = PrivateFiles.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, length);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        return file;
    }

    /**
     * The segment being received: its bytes so far and, per repository, where its stored prefix ends once the pieces in
     * flight are stored. Pieces are stored while the next WAL is received ({@link PiecesInFlight}), and so is a complete
     * segment, whole; the slot is confirmed in their order ({@link ConfirmOrder}).
     */
    private final class Session {
        private final ArchivePusher push;
        private final ArchiveSet archives;
        private final TimelineHistory history;
        private final long segmentSize;
        private final WalStream stream;
        private final PiecesInFlight inFlight;
        /** The segment's bytes; a complete segment's stay with its store and the next one's go to the spare buffer. */
        private byte[] bytes;
        /** The buffer of the segment before, free once its end is settled (only one segment end is in flight). */
        private byte[] spare;
        /** Never confirm before this: the server would move the slot back. */
        private Lsn confirmed;

        private WalFileName.Segment segment;
        private Lsn segmentStart;
        private int received;
        /**
         * Where each repository's stored prefix ends once its pieces in flight are stored; a repository missing here
         * takes only whole segments now.
         */
        private final Map<String, Long> storedEnds = new LinkedHashMap<>();
        /** What a repository held already when the segment was opened, compared with the stream once it is received. */
        private final Map<String, byte[]> heldBefore = new LinkedHashMap<>();
        private long oldestUnstoredNanos = -1;
        private long lastArrivalNanos = System.nanoTime();
        /** When pieces were last stored; -1: not in this session. */
        private long lastStoreNanos = -1;

        Session(ArchivePusher push, ArchiveSet archives, TimelineHistory history, long segmentSize, WalStream stream, PiecesInFlight inFlight,
                Lsn restart) {
            this.push = push;
            this.archives = archives;
            this.history = history;
            this.segmentSize = segmentSize;
            this.stream = stream;
            this.inFlight = inFlight;
            this.bytes = new byte[Math.toIntExact(segmentSize)];
            this.confirmed = restart;
        }

        void run(Lsn start) throws SQLException, IOException {
            open(start);
            while (running.getAsBoolean()) {
                // everything received is stored and confirmed: wait in the socket for the server's next bytes, not in a loop
                Optional<WalStream.Received> r = caughtUp() ? stream.next() : stream.poll();
                if (r.isPresent()) {
                    take(r.get());
                    // everything the server sent already goes into one piece: with a synchronous archive, every
                    // commit waiting at this moment is confirmed by one store rather than one store each
                    while (pendingBytes() < settings.chunk() && (r = stream.poll()).isPresent()) {
                        take(r.get());
                    }
                } else if (stream.closed()) {
                    throw new SQLException("the server ended the stream");
                }
                settle();
                if (inFlight.hasRoom()) {
                    long now = System.nanoTime();
                    store(StreamPlan.of(received, segmentSize, storedEnds, new StreamPlan.Waits(oldestUnstoredNanos < 0 ? 0 : now - oldestUnstoredNanos,
                            now - lastArrivalNanos, lastStoreNanos < 0 ? Long.MAX_VALUE : now - lastStoreNanos), settings.storeAfter(), settings.chunk()));
                }
                if (r.isEmpty() && !caughtUp()) {
                    // a piece that ends is confirmed at once; a synchronous archive's next commit is looked for within
                    // the short wait, a stream's that waits for its interval within the long one
                    awaitAPiece(inFlight.isEmpty() && !settings.synchronous() ? IDLE_POLL : PIECE_POLL);
                }
            }
        }

        /** Everything received is stored in every repository and confirmed: nothing to do until the server sends more. */
        private boolean caughtUp() {
            return inFlight.isEmpty() && pendingBytes() == 0;
        }

        private void awaitAPiece(Duration d) {
            try {
                inFlight.awaitAPiece(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void open(Lsn start) {
            long number = start.segmentNumber(segmentSize);
            segmentStart = start;
            segment = WalFileName.Segment.of(history.timelineAt(new Lsn(start.value() + segmentSize - 1)), number, segmentSize);
            received = 0;
            oldestUnstoredNanos = -1;
            storedEnds.clear();
            heldBefore.clear();
            for (ArchiveTarget t : archives.targets()) {
                Repository r = t.repository();
                try {
                    if (r.walHeader(segment).isPresent()) {
                        storedEnds.put(r.name(), segmentSize);
                        continue;
                    }
                    ByteArrayOutputStream prefix = new ByteArrayOutputStream();
                    long end = r.streamPrefix(segment, prefix, segmentSize);
                    // pieces past the prefix: stored while one before them failed (several are in flight at once)
                    int stray = r.deleteStreamPiecesAfter(segment, end);
                    if (stray > 0) {
                        LOG.info("stream: removed {} piece(s) of {} past its stored prefix ({} bytes) from repository {}: stored after one that failed, never confirmed",
                                stray, segment.fileName(), end, r.name());
                    }
                    storedEnds.put(r.name(), end);
                    if (end > 0) {
                        heldBefore.put(r.name(), prefix.toByteArray());
                    }
                } catch (WalferryException e) {
                    if (t.required()) {
                        throw e;
                    }
                    LOG.warn("stream: optional repository {} gets {} only whole: {}", r.name(), segment.fileName(), e.oneLine());
                }
            }
        }

        /** Appends what arrived, finishing each segment it completes. */
        private void take(WalStream.Received r) throws SQLException, IOException {
            ByteBuffer b = r.bytes();
            lastArrivalNanos = System.nanoTime();
            long at = r.start().value();
            long expected = segmentStart.value() + received;
            if (at > expected) {
                throw new IOException("the stream skipped from " + new Lsn(expected) + " to " + r.start());
            }
            // bytes sent again (the server resends from the position asked for): already here
            int skip = (int) Math.min(b.remaining(), expected - at);
            b.position(b.position() + skip);
            while (b.hasRemaining()) {
                int n = (int) Math.min(b.remaining(), segmentSize - received);
                b.get(bytes, received, n);
                if (oldestUnstoredNanos < 0) {
                    oldestUnstoredNanos = System.nanoTime();
                }
                received += n;
                compareWithHeld();
                if (received == segmentSize) {
                    finishSegment();
                    open(new Lsn(segmentStart.value() + segmentSize));
                }
            }
        }

        /** A repository's pieces from before must be what the server sends now: never two versions of one byte. */
        private void compareWithHeld() {
            heldBefore.entrySet().removeIf(e -> {
                byte[] held = e.getValue();
                if (received < held.length) {
                    return false;
                }
                if (!java.util.Arrays.equals(held, 0, held.length, bytes, 0, held.length)) {
                    throw new WalferryException(Failure.CONFLICT, "repository " + e.getKey() + " holds streamed pieces of " + segment.fileName()
                            + " that differ from the WAL the server sends; they were kept and nothing more is streamed",
                            "is another cluster, or a restored copy of this one, streaming into the same repository?");
                }
                return true;
            });
        }

        /** Starts storing the plan's pieces, each where its repository's prefix will end; they are confirmed as they settle. */
        private void store(StreamPlan plan) {
            if (plan.complete() || plan.pieces().isEmpty()) {
                return; // complete: finished as the last bytes were taken
            }
            WalFileName.Segment of = segment;
            byte[] buffer = bytes;
            List<PiecesInFlight.Piece> pieces = new ArrayList<>(plan.pieces().size());
            for (StreamPlan.Piece p : plan.pieces()) {
                ArchiveTarget t = archives.target(p.repository()).orElseThrow();
                pieces.add(new PiecesInFlight.Piece(of.fileName(), p.repository(), t.required(), () -> {
                    PutOutcome o = t.repository().putStreamPiece(of, p.from(), buffer, (int) p.from(), (int) (p.to() - p.from()),
                            config.archive().compression());
                    LOG.debug("stream: {} bytes {}..{} of {} {}", p.repository(), p.from(), p.to(), of.fileName(), o);
                }));
                storedEnds.put(p.repository(), p.to());
            }
            inFlight.submit(segmentStart.value() + StreamPlan.confirmable(requiredEnds()), pieces);
            oldestUnstoredNanos = -1;
            lastStoreNanos = System.nanoTime();
        }

        /**
         * Confirms what the pieces in flight stored, in order. After a failed piece, waits for the rest in flight,
         * confirms what was stored before the failed one and throws its failure: the next session starts from there.
         */
        private void settle() throws SQLException {
            PiecesInFlight.Progress p = inFlight.progress();
            if (p.failure().isPresent()) {
                inFlight.drain();
                PiecesInFlight.Progress drained = inFlight.progress();
                dropAll(p);
                dropAll(drained);
                confirm(drained.decision().confirm());
                throw drained.failure().orElseThrow();
            }
            dropAll(p);
            confirm(p.decision().confirm());
        }

        private void dropAll(PiecesInFlight.Progress p) {
            for (PiecesInFlight.Dropped d : p.dropped()) {
                LOG.warn("stream: optional repository {} gets {} only whole: {}", d.repository(), d.segment(), d.failure().oneLine());
                if (d.segment().equals(segment.fileName())) {
                    storedEnds.remove(d.repository()); // a complete segment's piece: it is being stored whole anyway
                }
            }
        }

        /** Received bytes of the segment that some repository does not hold yet. */
        private long pendingBytes() {
            return received - storedEnds.values().stream().mapToLong(Long::longValue).min().orElse(received);
        }

        private Map<String, Long> requiredEnds() {
            Map<String, Long> out = new LinkedHashMap<>();
            for (ArchiveTarget t : archives.targets()) {
                if (t.required()) {
                    out.put(t.repository().name(), storedEnds.getOrDefault(t.repository().name(), 0L));
                }
            }
            return out;
        }

        /**
         * Starts storing the complete segment whole on a thread of its own, while the next one is received and its
         * pieces stored: its end is a step confirmed in order once it and every piece before it are stored, and its
         * pieces are deleted after that (docs/streaming.md, "Pieces in flight"). One segment end at a time: the next
         * waits for the one before, whose buffer it takes.
         */
        private void finishSegment() throws SQLException {
            while (inFlight.segmentEndInFlight()) {
                awaitAPiece(PIECE_POLL);
                settle();
            }
            WalFileName.Segment of = segment;
            byte[] buffer = bytes;
            AtomicReference<ArchivePusher.Result> pushed = new AtomicReference<>();
            inFlight.submitSegmentEnd(segmentStart.value() + segmentSize,
                    new PiecesInFlight.Piece(of.fileName(), "(all, whole)", true, () -> pushed.set(storeWhole(of, buffer))),
                    () -> deletePieces(of, pushed.get()));
            bytes = spare != null ? spare : new byte[bytes.length];
            spare = buffer;
        }

        /** The whole segment, stored as archive-push stores it (same checks, name and checksum). */
        private ArchivePusher.Result storeWhole(WalFileName.Segment of, byte[] buffer) {
            ArchivePusher.Result result;
            try {
                Path file = writeSpool(of.fileName(), buffer, buffer.length);
                try {
                    result = push.push(file);
                } finally {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot store " + of.fileName() + " whole: " + e.getMessage(), e);
            }
            ArchivePusher.noteMissed(result, () -> spool.getParent()).forEach(m -> LOG.warn("stream: {} missed optional repository {}: {}{}",
                    of.fileName(), m.repository(), m.failure().oneLine(), m.notNoted().map(n -> " (not noted for catching up: " + n + ")").orElse("")));
            LOG.info("stream: {} complete", of.fileName());
            return result;
        }

        /** Once the whole segment is stored (in the repositories {@code pushed} names), its pieces are no longer read. */
        private void deletePieces(WalFileName.Segment of, ArchivePusher.Result pushed) {
            for (String stored : pushed.stored().keySet()) {
                try {
                    archives.target(stored).orElseThrow().repository().deleteStreamPieces(of);
                } catch (WalferryException e) {
                    LOG.warn("stream: cannot remove the pieces of {} from repository {} (they are no longer read): {}", of.fileName(), stored, e.oneLine());
                }
            }
        }

        private void confirm(java.util.OptionalLong position) throws SQLException {
            if (position.isPresent()) {
                confirm(position.getAsLong());
            }
        }

        private void confirm(long position) throws SQLException {
            if (Long.compareUnsigned(position, confirmed.value()) > 0) {
                confirmed = new Lsn(position);
                stream.confirm(confirmed);
            }
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
