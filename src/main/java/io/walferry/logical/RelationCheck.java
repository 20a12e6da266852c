package io.walferry.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.AppliedRelation.AppliedColumn;
import io.walferry.postgres.logical.Identifiers;
import io.walferry.postgres.logical.PgOutputMessage;
import io.walferry.postgres.logical.SourceTables;
import io.walferry.postgres.logical.TargetCatalog.TargetColumn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a relation as the source describes it now (a {@link PgOutputMessage.Relation}) still fits the target table:
 * every column the source sends exists there with the same type (built-in types by OID, others by schema and name), and
 * every target column the source does not send can be left to its default. Where it does not fit (schema drift) the
 * stream stops, naming the table and the column. Pure.
 */
public final class RelationCheck {
    private RelationCheck() {
    }

    /**
     * @param types          the source's types that are not built in, by OID, as Type messages named them
     * @param targetColumns  the target table's columns; empty when the target has no such table
     */
    public static AppliedRelation map(String stream, PgOutputMessage.Relation relation, Map<Integer, QualifiedName> types,
                                      Optional<List<TargetColumn>> targetColumns) {
        QualifiedName table = new QualifiedName(relation.schema().isEmpty() ? "pg_catalog" : relation.schema(), relation.name());
        if (targetColumns.isEmpty()) {
            throw drift(stream, "table " + table + " is published on the source but does not exist on the target");
        }
        Map<String, TargetColumn> byName = new HashMap<>();
        targetColumns.get().forEach(c -> byName.put(c.name(), c));
        List<AppliedColumn> columns = new ArrayList<>();
        Set<String> sent = new HashSet<>();
        for (PgOutputMessage.Column c : relation.columns()) {
            sent.add(c.name());
            TargetColumn t = byName.get(c.name());
            if (t == null) {
                throw drift(stream, "column " + table + "." + c.name() + " is on the source but not on the target");
            }
            if (t.generated()) {
                throw drift(stream, "column " + table + "." + c.name() + " is generated on the target but not on the source");
            }
            boolean sameType = c.typeOid() < SourceTables.FIRST_NORMAL_OID ? c.typeOid() == t.typeOid()
                    : Optional.ofNullable(types.get(c.typeOid())).map(n -> n.equals(new QualifiedName(t.typeSchema(), t.typeName())))
                    .orElse(false);
            if (!sameType) {
                throw drift(stream, "column " + table + "." + c.name() + " has another type on the source ("
                        + Optional.ofNullable(types.get(c.typeOid())).map(QualifiedName::toString).orElse("OID " + c.typeOid())
                        + ") than on the target (" + t.type() + ")");
            }
            columns.add(new AppliedColumn(c.name(), Identifiers.quote(t.typeSchema()) + "." + Identifiers.quote(t.typeName()),
                    c.key(), t.comparable(), t.identityAlways(), t.arrayDelimiter()));
        }
        for (TargetColumn t : targetColumns.get()) {
            if (!sent.contains(t.name()) && t.notNull() && !t.hasDefault() && !t.generated()) {
                throw drift(stream, "column " + table + "." + t.name() + " is NOT NULL without a default on the target and the source "
                        + "does not have it");
            }
        }
        return new AppliedRelation(relation.oid(), table, columns, relation.replicaIdentity() == 'f');
    }

    private static WalferryException drift(String stream, String what) {
        return WalferryException.refused("schema drift in logical stream " + stream + ": " + what,
                "add what is new on the source to the target: walferry logical sync-schema " + stream + "; then run the stream again");
    }
}
