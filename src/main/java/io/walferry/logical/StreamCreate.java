package io.walferry.logical;

import io.walferry.config.DirectoryTree;
import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.logical.AppliedSet;
import io.walferry.postgres.logical.LogicalSlots;
import io.walferry.postgres.logical.Publications;
import io.walferry.postgres.logical.SchemaTransfer;
import io.walferry.postgres.logical.SchemaTransfer.Section;
import io.walferry.postgres.logical.SchemaTransfer.TocEntry;
import io.walferry.postgres.logical.SourceFacts;
import io.walferry.postgres.logical.SourceTables;
import io.walferry.postgres.logical.SourceTables.Table;
import io.walferry.postgres.logical.StreamState;
import io.walferry.postgres.logical.Subscriptions;
import io.walferry.postgres.logical.SyncedTables;
import io.walferry.postgres.logical.TargetCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code walferry logical create}: checks the source, makes the publication and a pgoutput slot that exports its
 * snapshot, copies the schema (pre-data), the data in that snapshot ({@link ParallelCopy}) and the rest of the schema
 * (post-data: indexes, constraints, triggers) to the target, and records on the target that changes are to be applied
 * from the slot's consistent point: the copy and the stream meet there exactly.
 */
public final class StreamCreate {
    private static final Logger LOG = LoggerFactory.getLogger(StreamCreate.class);
    private static final Duration SLOT_RELEASE = Duration.ofSeconds(30);

    /** Bytes copied so far of the expected total. */
    public interface Progress {
        void copied(long done, long total);
    }

    /**
     * What create did.
     *
     * @param kind     FRESH or AGAIN: copied now; CREATED: the stream existed, nothing was done
     * @param applyFrom where the stream's changes start (the slot's consistent point), or where it has applied to
     * @param subscription the target's subscription that applies the changes ({@code mode: subscription})
     */
    public record Result(String stream, CreateStart.Kind kind, String slot, String publication, PublicationPlan.Action publicationAction,
                         Optional<Lsn> applyFrom, int tables, long bytes, Duration took, Optional<String> subscription) {
    }

    private final StreamServers servers;
    private final Function<Integer, PgBinaries> clientPrograms;

    /** {@code clientPrograms}: pg_dump and pg_restore of at least the given major version. */
    public StreamCreate(StreamServers servers, Function<Integer, PgBinaries> clientPrograms) {
        this.servers = servers;
        this.clientPrograms = clientPrograms;
    }

    public Result create(boolean restart, Progress progress) {
        LogicalStreamConfig stream = servers.stream();
        long start = System.nanoTime();
        try (Connection source = servers.source(); Connection target = servers.target()) {
            Optional<LogicalSlots.Slot> slot = LogicalSlots.read(source, stream.slot());
            SourceFacts facts = SourceFacts.read(source);
            List<SourceReadiness.Problem> problems = SourceReadiness.check(facts, stream.source().service(), slot.isPresent());
            if (!problems.isEmpty()) {
                throw new WalferryException(Failure.POSTGRES, "the source of logical stream " + stream.name() + " (" + stream.source().label()
                        + ") is not ready: " + String.join("; ", problems.stream().map(SourceReadiness.Problem::what).toList()),
                        String.join("; ", problems.stream().map(SourceReadiness.Problem::fix).toList()));
            }
            TargetCatalog.TargetFacts targetFacts = TargetCatalog.facts(target);
            requireWritableTarget(stream, targetFacts, target);
            if (servers.subscription()) {
                requireSubscriptionRights(stream, target);
            }
            List<Table> chosen = TableChoice.choose(stream.name(), stream.tables(), SourceTables.read(source, stream.tables()));
            List<QualifiedName> names = chosen.stream().map(Table::name).toList();
            Optional<StreamState> state = StreamState.read(target, stream.name());
            if (servers.subscription() && state.isPresent() && (restart || state.get().phase() == StreamState.Phase.COPYING)
                    && Subscriptions.dropIfExists(target, servers.subscriptionName())) {
                // the subscription of the earlier create goes with its tables; its walsender lets go of the slot soon after
                LOG.info("stream {}: dropped subscription {} of the earlier create", stream.name(), servers.subscriptionName());
                slot = awaitSlotReleased(source, stream);
            }
            CreateStart begin = CreateStart.decide(stream.name(), stream.slot(), stream.source().label(), stream.source().connection().database(),
                    state, slot, names, TargetCatalog.existing(target, names), restart);
            if (begin.kind() == CreateStart.Kind.CREATED) {
                return new Result(stream.name(), begin.kind(), stream.slot(), stream.publication(), PublicationPlan.Action.USE,
                        state.flatMap(StreamState::appliedLsn), chosen.size(), 0, Duration.ofNanos(System.nanoTime() - start), subscription());
            }
            PublicationPlan publication = PublicationPlan.decide(stream.name(), stream.publication(),
                    Publications.read(source, stream.publication()), chosen, facts.superuser());
            PgBinaries client = clientPrograms.apply(facts.major());
            switch (publication.action()) {
                case CREATE -> Publications.create(source, stream.publication(), names);
                case ADD -> Publications.addTables(source, stream.publication(), publication.toAdd());
                case USE -> {
                }
            }
            if (begin.dropSlot()) {
                LogicalSlots.dropIfExists(source, stream.slot());
            }
            TargetCatalog.dropTables(target, begin.dropTables());
            StreamState.ensureTable(target);
            StreamState.beginCopy(target, stream.name(), stream.slot(), stream.publication(), stream.source().label(),
                    names.stream().map(CreateStart::quoted).toList());
            SyncedTables.forget(target, stream.name()); // the new copy holds what sync-schema copied
            // an earlier copy's applied set (parallel apply) holds positions of its slot, not of this one
            AppliedSet.clear(target, stream.name());
            long bytes = copyAll(chosen, client, target, begin.kind() == CreateStart.Kind.AGAIN, progress);
            Lsn from = StreamState.read(target, stream.name()).flatMap(StreamState::consistentLsn).orElseThrow();
            return new Result(stream.name(), begin.kind(), stream.slot(), stream.publication(), publication.action(), Optional.of(from),
                    chosen.size(), bytes, Duration.ofNanos(System.nanoTime() - start), subscription());
        } catch (SQLException e) {
            throw new WalferryException(Failure.POSTGRES, "logical create " + stream.name() + " failed: " + firstLine(e.getMessage()),
                    "see the message; after fixing it run logical create again (it starts the copy over)", e);
        }
    }

    /** Slot, schema, data, the rest of the schema; then the stream's state says where the changes start. Returns the bytes copied. */
    private long copyAll(List<Table> chosen, PgBinaries client, Connection target, boolean again, Progress progress) throws SQLException {
        LogicalStreamConfig stream = servers.stream();
        Connection replication = servers.sourceReplication();
        LogicalSlots.ExportedSlot slot;
        try {
            slot = LogicalSlots.createExported(replication, stream.slot());
        } catch (SQLException e) {
            replication.close();
            throw e;
        }
        Path work = tempDirectory();
        boolean done = false;
        try (slot) {
            LOG.info("stream {}: slot {} exports snapshot {} at {}", stream.name(), slot.name(), slot.snapshot(), slot.consistentPoint());
            long bytes = copyTables(servers, client, target, slot.snapshot(), stream.tables(), chosen, work, progress, true);
            if (servers.subscription()) {
                // the slot is free for the subscription's worker once walferry's replication connection is gone; the data
                // is copied at the slot's consistent point, where the subscription starts: it copies nothing itself
                slot.close();
                try (Connection source = servers.source()) {
                    // else the subscription's first worker finds the slot in use, fails and is restarted seconds later
                    awaitSlotReleased(source, stream);
                }
                createSubscription(stream, target);
                LOG.info("stream {}: subscription {} created on the target", stream.name(), servers.subscriptionName());
            }
            // a commit that waits for the disk, and so flushes the copy's own asynchronous ones with it
            StreamState.finishCopy(target, stream.name(), slot.consistentPoint());
            done = true;
            LOG.info("stream {}: copied {} tables{}, changes apply from {}", stream.name(), chosen.size(), again ? " (again)" : "",
                    slot.consistentPoint());
            return bytes;
        } finally {
            deleteTree(work);
            if (!done) {
                dropSubscriptionAfterFailure(stream, target);
                dropSlotAfterFailure(stream);
            }
        }
    }

    /**
     * The schema (pre-data), data and rest of the schema (post-data) of {@code chosen}, chosen by {@code selection}, read
     * in {@code snapshot}; their user triggers are disabled on the target. Without {@code data} only the schema (a
     * native subscription copies the data itself). Returns the bytes copied.
     */
    static long copyTables(StreamServers servers, PgBinaries client, Connection target, String snapshot, LogicalStreamConfig.Tables selection,
                           List<Table> chosen, Path work, Progress progress, boolean data) throws SQLException {
        SchemaTransfer schema = new SchemaTransfer(client);
        Path archive = work.resolve("schema.dump");
        schema.dump(servers.sourceForTools(), snapshot, SchemaPlan.dumpSelection(selection, chosen), archive);
        List<TocEntry> toc = schema.contents(archive);
        Set<QualifiedName> types = SchemaPlan.typesToDump(selection, chosen);
        types.removeAll(TargetCatalog.existingTypes(target, types));
        for (String s : SchemaPlan.schemas(chosen, types)) {
            TargetCatalog.createSchema(target, s);
        }
        if (!types.isEmpty()) {
            Path typeArchive = work.resolve("types.dump");
            schema.dump(servers.sourceForTools(), snapshot, SchemaPlan.typeDumpSelection(types), typeArchive);
            schema.restore(servers.targetForTools(), typeArchive, Section.PRE_DATA,
                    SchemaPlan.typesOnly(schema.contents(typeArchive), types), 1, work);
        }
        Set<String> existingSchemas = TargetCatalog.schemas(target, SchemaPlan.schemasCreated(toc)).keySet();
        List<TocEntry> entries = SchemaPlan.withoutExistingSchemas(toc, existingSchemas);
        schema.restore(servers.targetForTools(), archive, Section.PRE_DATA, entries, 1, work);
        List<CopyPlan.Work> plan = CopyPlan.plan(chosen);
        long bytes = data ? new ParallelCopy(servers, servers.stream().copyJobs()).run(snapshot, plan, progress) : 0;
        schema.restore(servers.targetForTools(), archive, Section.POST_DATA, entries, servers.stream().copyJobs(), work);
        List<List<String>> triggers = TargetCatalog.disableUserTriggers(target, chosen.stream().map(Table::name).toList());
        if (!triggers.isEmpty()) {
            LOG.info("stream {}: {} user triggers disabled on the target until cutover", servers.stream().name(), triggers.size());
        }
        return bytes;
    }

    private Optional<String> subscription() {
        return servers.subscription() ? Optional.of(servers.subscriptionName()) : Optional.empty();
    }

    /** The target's subscription on the stream's slot; a connection to the source without a password is one line with the fix. */
    private void createSubscription(LogicalStreamConfig stream, Connection target) throws SQLException {
        try {
            Subscriptions.create(target, servers.subscriptionName(), servers.sourceConninfo(), stream.publication(), stream.slot());
        } catch (SQLException e) {
            Optional<SubscriptionRights.Problem> problem = SubscriptionRights.afterCreate(e.getSQLState(),
                    Subscriptions.rights(target).role(), stream.source().connection().user());
            if (problem.isPresent()) {
                throw new WalferryException(Failure.POSTGRES, problem.get().what() + ": logical stream " + stream.name() + " (mode: "
                        + "subscription) was not created", problem.get().fix(), e);
            }
            throw e;
        }
    }

    /** A subscription made just before the create failed would hold the slot: it goes first. */
    private void dropSubscriptionAfterFailure(LogicalStreamConfig stream, Connection target) {
        if (!servers.subscription()) {
            return;
        }
        try {
            Subscriptions.dropIfExists(target, servers.subscriptionName());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("stream {}: could not drop subscription {} after the failed create: {} (the next create drops it)", stream.name(),
                    servers.subscriptionName(), firstLine(e.getMessage()));
        }
    }

    /** The slot once no session streams it any more (the walsender of a subscription just dropped ends soon after). */
    private static Optional<LogicalSlots.Slot> awaitSlotReleased(Connection source, LogicalStreamConfig stream) throws SQLException {
        long deadline = System.nanoTime() + SLOT_RELEASE.toNanos();
        while (true) {
            Optional<LogicalSlots.Slot> slot = LogicalSlots.read(source, stream.slot());
            if (slot.isEmpty() || !slot.get().active() || System.nanoTime() > deadline) {
                return slot;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw WalferryException.interrupted("create");
            }
        }
    }

    /** One line naming what to grant when the target's role may not create the stream's subscription. */
    private static void requireSubscriptionRights(LogicalStreamConfig stream, Connection target) throws SQLException {
        Optional<SubscriptionRights.Problem> problem = SubscriptionRights.check(Subscriptions.rights(target),
                stream.source().connection().password().isPresent());
        if (problem.isPresent()) {
            throw new WalferryException(Failure.POSTGRES, problem.get().what() + ", which logical stream " + stream.name()
                    + " (mode: subscription) needs", problem.get().fix());
        }
    }

    /** A create that failed leaves no slot holding WAL back if it can help it (the next create would drop it anyway). */
    private void dropSlotAfterFailure(LogicalStreamConfig stream) {
        try (Connection c = servers.source()) {
            LogicalSlots.dropIfExists(c, stream.slot());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("stream {}: could not drop slot {} after the failed create: {} (the next create drops it)", stream.name(),
                    stream.slot(), e.getMessage());
        }
    }

    private static void requireWritableTarget(LogicalStreamConfig stream, TargetCatalog.TargetFacts t, Connection target) throws SQLException {
        if (t.inRecovery() || t.readOnly()) {
            throw WalferryException.refused("the target of logical stream " + stream.name() + " (" + stream.target().label() + ") is "
                    + (t.inRecovery() ? "a standby" : "read-only (default_transaction_read_only)"), "point target: at a writable primary");
        }
        if (!t.mayCreate() && !TargetCatalog.schemas(target, List.of("walferry")).getOrDefault("walferry", false)) {
            throw new WalferryException(Failure.POSTGRES, "role " + t.role() + " may not create schemas in database "
                    + stream.target().connection().database() + " on the target of logical stream " + stream.name()
                    + " (walferry keeps the stream's state in schema walferry, and creates the tables' schemas)",
                    "GRANT CREATE ON DATABASE " + stream.target().connection().database() + " TO " + t.role());
        }
    }

    private static Path tempDirectory() {
        try {
            return Files.createTempDirectory("walferry-logical-");
        } catch (IOException e) {
            throw new WalferryException(Failure.LOCAL, "cannot create a temporary directory: " + e.getMessage(), "check TMPDIR", e);
        }
    }

    static void deleteTree(Path dir) {
        try {
            DirectoryTree.delete(dir);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir, e.getMessage());
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
