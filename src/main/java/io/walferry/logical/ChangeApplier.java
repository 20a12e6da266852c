package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.PgOutputMessage;
import io.walferry.postgres.logical.TargetApply;
import io.walferry.postgres.logical.TargetCatalog.TargetColumn;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies the source's transactions, in commit order, to the target: each source transaction's changes go into the
 * current target transaction, which holds a group of whole source transactions and commits with the position after
 * the last of them. A source transaction the target has already (it committed before the applied position) is
 * skipped whole.
 */
final class ChangeApplier {
    /** Reads a target table's columns (empty when it does not exist). */
    interface TargetTables {
        Optional<List<TargetColumn>> columns(QualifiedName table) throws SQLException;

        /**
         * Where {@code logical sync-schema} copied the table into the streaming target (empty: it did not): its changes of
         * transactions that commit before that point are in the copy.
         */
        default Optional<Lsn> copiedAt(QualifiedName table) throws SQLException {
            return Optional.empty();
        }
    }

    private final String stream;
    private final TargetApply target;
    private final TargetTables tables;
    private final Map<Integer, AppliedRelation> relations = new HashMap<>();
    private final Map<Integer, QualifiedName> types = new HashMap<>();
    /** Relations that sync-schema copied: their changes the copy holds are skipped. */
    private final CopiedRelations copied = new CopiedRelations();
    private Lsn applied;
    private boolean inTransaction;
    private boolean skipping;
    // the group: source transactions applied to the open target transaction, not committed there yet
    private int groupTransactions;
    private long groupRows;
    private long transactionRows;
    private Lsn groupEnd;
    private Instant groupCommitTime;

    ChangeApplier(String stream, TargetApply target, TargetTables tables, Lsn applied) {
        this.stream = stream;
        this.target = target;
        this.tables = tables;
        this.applied = applied;
    }

    void accept(PgOutputMessage m) throws SQLException {
        switch (m) {
            case PgOutputMessage.Begin b -> {
                if (inTransaction) {
                    throw new IllegalStateException("a transaction began inside another");
                }
                inTransaction = true;
                transactionRows = 0;
                skipping = b.finalLsn().compareTo(applied) < 0;
                copied.begin(b.finalLsn());
            }
            case PgOutputMessage.Commit c -> {
                if (!inTransaction) {
                    throw new IllegalStateException("a commit without a transaction");
                }
                inTransaction = false;
                if (!skipping) {
                    groupTransactions++;
                    groupRows += transactionRows;
                    groupEnd = c.endLsn();
                    groupCommitTime = c.commitTime();
                }
            }
            case PgOutputMessage.Relation r -> {
                QualifiedName table = new QualifiedName(r.schema().isEmpty() ? "pg_catalog" : r.schema(), r.name());
                // first: a table being copied may not exist on the target yet
                Optional<Lsn> copiedAt = tables.copiedAt(table);
                relations.put(r.oid(), RelationCheck.map(stream, r, types, tables.columns(table)));
                copied.relation(r.oid(), copiedAt);
            }
            case PgOutputMessage.Type t -> types.put(t.oid(), new QualifiedName(t.schema(), t.name()));
            case PgOutputMessage.Insert i -> {
                if (!skipping && !copied.inCopy(i.relation())) {
                    target.insert(relation(i.relation()), i.row());
                    transactionRows++;
                }
            }
            case PgOutputMessage.Update u -> {
                if (!skipping && !copied.inCopy(u.relation())) {
                    target.update(relation(u.relation()), u.old(), u.row());
                    transactionRows++;
                }
            }
            case PgOutputMessage.Delete d -> {
                if (!skipping && !copied.inCopy(d.relation())) {
                    target.delete(relation(d.relation()), d.old());
                    transactionRows++;
                }
            }
            case PgOutputMessage.Truncate t -> {
                if (!skipping) {
                    List<AppliedRelation> rs = new ArrayList<>();
                    for (int oid : t.relations()) {
                        if (!copied.inCopy(oid)) {
                            rs.add(relation(oid));
                        }
                    }
                    if (!rs.isEmpty()) {
                        target.truncate(rs, t.restartIdentity());
                        transactionRows++;
                    }
                }
            }
            case PgOutputMessage.Origin o -> {
            }
            case PgOutputMessage.LogicalMessage lm -> {
            }
        }
    }


    private AppliedRelation relation(int oid) {
        AppliedRelation r = relations.get(oid);
        if (r == null) {
            throw new IllegalStateException("a change of relation " + oid + " before its description");
        }
        return r;
    }

    boolean inTransaction() {
        return inTransaction;
    }

    /** Source transactions applied but not committed on the target yet. */
    int groupTransactions() {
        return groupTransactions;
    }

    long groupRows() {
        return groupRows;
    }

    Lsn applied() {
        return applied;
    }

    /**
     * Commits the group on the target with its position, between source transactions only: the commit is under way when
     * this returns ({@link TargetApply#committed} says when it is done; the next group follows it in the same session, from
     * its position). Returns the rows and transactions it held.
     */
    Committed commitGroup(double rowsPerSecond, double transactionsPerSecond) throws SQLException {
        if (inTransaction || groupTransactions == 0) {
            throw new IllegalStateException("no whole group to commit");
        }
        target.commit(stream, applied, groupEnd, groupCommitTime, groupTransactions, groupRows, rowsPerSecond, transactionsPerSecond);
        Committed c = new Committed(groupTransactions, groupRows, groupEnd, groupCommitTime);
        applied = groupEnd;
        groupTransactions = 0;
        groupRows = 0;
        return c;
    }

    /** Forgets what the open target transaction held (it was rolled back). */
    void abandon() {
        inTransaction = false;
        groupTransactions = 0;
        groupRows = 0;
    }

    record Committed(int transactions, long rows, Lsn end, Instant commitTime) {
    }
}
