package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig;
import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.Sql;
import io.walferry.postgres.logical.LogicalSlots;
import io.walferry.postgres.logical.Publications;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code walferry logical sync-schema}: makes the target match the source again after additive schema changes
 * ({@link SchemaSyncPlan}). New columns are added in one target transaction. New tables are added to the publication
 * (where walferry lists its tables), then copied as create copies, in the snapshot of a temporary slot made for it:
 * the copy holds every transaction that committed before that slot's consistent point Q, and the target records Q for
 * those tables ({@link SyncedTables}) once the copy is complete; the stream skips their changes of transactions that
 * commit before Q and applies the later ones, so the copy and the stream meet exactly. Until Q is recorded the stream
 * refuses to apply to them. With {@code mode: subscription} only the new tables' schema is made; the target's
 * subscription, refreshed, copies their data itself (its own table synchronization meets its stream).
 */
public final class SchemaSync {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaSync.class);

    /**
     * What sync-schema did (or, with a dry run, would do).
     *
     * @param publicationAdded tables added to the stream's publication
     * @param copiedAt         the consistent point the new tables were copied at
     */
    public record Result(String stream, SchemaSyncPlan plan, boolean dryRun, List<QualifiedName> publicationAdded, Optional<Lsn> copiedAt,
                         long bytes, Duration took) {
    }

    private final StreamServers servers;
    private final Function<Integer, PgBinaries> clientPrograms;

    public SchemaSync(StreamServers servers, Function<Integer, PgBinaries> clientPrograms) {
        this.servers = servers;
        this.clientPrograms = clientPrograms;
    }

    public Result sync(boolean dryRun, StreamCreate.Progress progress) {
        LogicalStreamConfig stream = servers.stream();
        long start = System.nanoTime();
        try (Connection source = servers.source(); Connection target = servers.target()) {
            StreamState state = StreamState.read(target, stream.name()).orElseThrow(() -> WalferryException.refused("the target holds no "
                    + "logical stream " + stream.name(), "create it first: walferry logical create " + stream.name()));
            if (!SyncedTables.lock(target, stream.name())) {
                throw WalferryException.refused("another logical sync-schema of stream " + stream.name() + " runs now",
                        "let it finish (or end it), then run it again");
            }
            if (state.phase() != StreamState.Phase.STREAMING) {
                throw WalferryException.refused("logical stream " + stream.name() + " is " + (state.phase() == StreamState.Phase.COPYING
                        ? "still being created" : "cut over") + ": its schema is not synced", state.phase() == StreamState.Phase.COPYING
                        ? "run walferry logical create " + stream.name() + " to completion" : "nothing to sync any more");
            }
            Planned planned = plan(source, target);
            SchemaSyncPlan plan = planned.plan();
            List<QualifiedName> toPublish = planned.toPublish();
            if (dryRun || plan.nothingToDo()) {
                return new Result(stream.name(), plan, dryRun, toPublish, Optional.empty(), 0, Duration.ofNanos(System.nanoTime() - start));
            }
            if (!plan.columns().isEmpty()) {
                target.setAutoCommit(false);
                TargetCatalog.addColumns(target, plan.columns());
                target.commit();
                target.setAutoCommit(true);
                LOG.info("stream {}: added {} columns on the target", stream.name(), plan.columns().size());
            }
            Optional<Lsn> copiedAt = Optional.empty();
            long bytes = 0;
            if (!plan.tables().isEmpty()) {
                List<Table> tables = planned.chosen().stream().filter(t -> plan.tables().contains(t.name())).toList();
                beginCopy(target, stream.name(), tables, planned.copying());
                if (!toPublish.isEmpty() && !servers.subscription()) {
                    // before the snapshot: the stream has the tables' changes from its consistent point on
                    Publications.addTables(source, stream.publication(), toPublish);
                }
                Copied copied = copy(source, target, tables, toPublish, clientPrograms.apply(planned.sourceMajor()), progress);
                bytes = copied.bytes();
                copiedAt = Optional.of(copied.at());
            }
            return new Result(stream.name(), plan, false, toPublish, copiedAt, bytes, Duration.ofNanos(System.nanoTime() - start));
        } catch (SQLException e) {
            throw new WalferryException(Failure.POSTGRES, "logical sync-schema " + stream.name() + " failed: "
                    + StreamCreate.firstLine(e.getMessage()), "see the message; after fixing it run logical sync-schema again (it copies "
                    + "a table it did not finish again)", e);
        }
    }

    /**
     * The plan from the stream's tables on both sides now; with the tables an interrupted sync-schema was copying, those to
     * add to the publication, and the source's major version.
     */
    private record Planned(SchemaSyncPlan plan, List<Table> chosen, Set<QualifiedName> copying, List<QualifiedName> toPublish, int sourceMajor) {
    }

    private Planned plan(Connection source, Connection target) throws SQLException {
        LogicalStreamConfig stream = servers.stream();
        SourceFacts facts = SourceFacts.read(source);
        List<Table> chosen = TableChoice.choose(stream.name(), stream.tables(), SourceTables.read(source, stream.tables()));
        List<QualifiedName> names = chosen.stream().map(Table::name).toList();
        Map<QualifiedName, List<TargetCatalog.TargetColumn>> targetColumns = TargetCatalog.columns(target, names);
        Set<QualifiedName> copying = new HashSet<>();
        SyncedTables.read(target, stream.name()).forEach((t, at) -> {
            if (at.isEmpty()) {
                copying.add(t);
            }
        });
        Set<QualifiedName> present = new HashSet<>(targetColumns.keySet());
        present.removeAll(copying);
        SchemaSyncPlan plan = SchemaSyncPlan.decide(stream.name(), SourceTables.definitions(source, chosen), targetColumns,
                TargetCatalog.empty(target, present), copying);
        List<QualifiedName> toPublish = List.of();
        if (!plan.tables().isEmpty()) {
            PublicationPlan publication = PublicationPlan.decide(stream.name(), stream.publication(),
                    Publications.read(source, stream.publication()), chosen, facts.superuser());
            if (publication.action() == PublicationPlan.Action.CREATE) {
                throw WalferryException.refused("publication " + stream.publication() + " of logical stream " + stream.name()
                        + " is gone from the source", "copy again: walferry logical resync " + stream.name());
            }
            toPublish = publication.toAdd();
        }
        return new Planned(plan, chosen, copying, toPublish, facts.major());
    }

    /**
     * Records the tables as being copied (the stream waits to apply to them meanwhile) and as the stream's (resync drops
     * them), after dropping what an interrupted sync-schema left of those it was copying.
     */
    private static void beginCopy(Connection target, String stream, List<Table> tables, Set<QualifiedName> copying) throws SQLException {
        target.setAutoCommit(false);
        SyncedTables.ensureTable(target);
        List<QualifiedName> names = tables.stream().map(Table::name).toList();
        TargetCatalog.dropTables(target, names.stream().filter(copying::contains).map(CreateStart::quoted).toList());
        SyncedTables.beginCopy(target, stream, names);
        StreamState.addTables(target, stream, names.stream().map(CreateStart::quoted).toList());
        target.commit();
        target.setAutoCommit(true);
    }

    /**
     * For the stream: where a table that sync-schema copied was copied ({@code recorded}: its entry, if any). One it is
     * copying still, or whose copy was interrupted, is not applied to yet (its rows are not all there): the stream waits
     * and tries again (a failure that passes).
     */
    static Optional<Lsn> copiedAt(String stream, QualifiedName table, Optional<Optional<Lsn>> recorded) {
        if (recorded.isPresent() && recorded.get().isEmpty()) {
            throw new WalferryException(Failure.FAILED, "table " + table + " of logical stream " + stream + " is being copied by logical "
                    + "sync-schema (or its copy was interrupted)", "it applies once the copy is done; after an interrupted one run it again: "
                    + "walferry logical sync-schema " + stream);
        }
        return recorded.flatMap(at -> at);
    }

    private record Copied(long bytes, Lsn at) {
    }

    /**
     * Copies the tables in a temporary slot's snapshot and records its consistent point for them; with {@code mode:
     * subscription} makes their schema, publishes them and refreshes the subscription, which copies the data.
     */
    private Copied copy(Connection source, Connection target, List<Table> tables, List<QualifiedName> toPublish, PgBinaries client,
                        StreamCreate.Progress progress) throws SQLException {
        LogicalStreamConfig stream = servers.stream();
        Connection replication = servers.sourceReplication();
        LogicalSlots.ExportedSlot slot;
        try {
            String name = stream.slot().length() > 58 ? stream.slot().substring(0, 58) : stream.slot();
            slot = LogicalSlots.createTemporaryExported(replication, name + "_sync");
        } catch (SQLException e) {
            replication.close();
            throw e;
        }
        Path work;
        try {
            work = Files.createTempDirectory("walferry-sync-");
        } catch (IOException e) {
            slot.close();
            throw new WalferryException(Failure.LOCAL, "cannot create a temporary directory: " + e.getMessage(), "check TMPDIR", e);
        }
        try (slot) {
            LOG.info("stream {}: temporary slot {} exports snapshot {} at {}", stream.name(), slot.name(), slot.snapshot(), slot.consistentPoint());
            List<QualifiedName> names = tables.stream().map(Table::name).toList();
            // a native subscription copies the data itself, in a snapshot that meets its stream
            long bytes = StreamCreate.copyTables(servers, client, target, slot.snapshot(), new LogicalStreamConfig.Tables.Listed(names), tables,
                    work, progress, !servers.subscription());
            if (servers.subscription()) {
                // published once the target has the tables (the subscription's worker fails on a table it lacks)
                if (!toPublish.isEmpty()) {
                    Publications.addTables(source, stream.publication(), toPublish);
                }
                Subscriptions.refresh(target, servers.subscriptionName());
                LOG.info("stream {}: subscription {} refreshed: it copies {} new tables", stream.name(), servers.subscriptionName(), tables.size());
            }
            target.setAutoCommit(false);
            // a commit that waits for the disk, and so flushes the copy's own asynchronous ones with it
            Sql.run(target, "set local synchronous_commit = on");
            SyncedTables.finishCopy(target, stream.name(), names, slot.consistentPoint());
            target.commit();
            LOG.info("stream {}: copied {} new tables; their changes apply from {}", stream.name(), tables.size(), slot.consistentPoint());
            return new Copied(bytes, slot.consistentPoint());
        } finally {
            StreamCreate.deleteTree(work);
        }
    }
}
