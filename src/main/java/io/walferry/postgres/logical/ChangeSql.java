package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Sql;
import io.walferry.postgres.logical.AppliedRelation.AppliedColumn;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One change as one SQL statement for the target: a shape with parameters ({@code CAST(? AS type)}) and the values as
 * text, so that the target prepares each shape once and binds the values of many changes of one shape in one round
 * trip ({@link TargetApply}, {@link ApplyOrder}). Literals (for messages) assume standard_conforming_strings on. Pure.
 */
public final class ChangeSql {

    private ChangeSql() {
    }

    /**
     * A statement: {@code shape} with JDBC parameters ({@code ?}, outside quoted identifiers), each a text cast to its column's type, and their values
     * as text ({@code null} for NULL). {@code tables}: the tables it changes (several for a TRUNCATE).
     */
    public record Change(String shape, List<String> values, List<QualifiedName> tables) {
        public Change {
            values = java.util.Collections.unmodifiableList(new ArrayList<>(values));
            tables = List.copyOf(tables);
        }

        /** The values as SQL literals ({@code 'text'} or {@code null}). */
        public List<String> literals() {
            return values.stream().map(v -> v == null ? "null" : Sql.literal(v)).toList();
        }

        /** The statement with its values in place (for messages and tests). */
        public String inline() {
            List<String> literals = literals();
            StringBuilder b = new StringBuilder();
            boolean quoted = false;
            int next = 0;
            for (char ch : shape.toCharArray()) {
                if (ch == '"') {
                    quoted = !quoted;
                }
                if (ch == '?' && !quoted) {
                    b.append(literals.get(next++));
                } else {
                    b.append(ch);
                }
            }
            return b.toString();
        }

        /** About how many bytes its values hold. */
        public long bytes() {
            long n = shape.length();
            for (String v : values) {
                n += v == null ? 0 : v.length();
            }
            return n;
        }
    }

    /** Collects a statement's parameters. */
    private static final class Params {
        final List<String> values = new ArrayList<>();

        String add(AppliedColumn c, Value v) {
            String value = switch (v.kind()) {
                case NULL -> null;
                case TEXT -> v.text();
                case BINARY -> throw new IllegalArgumentException("binary values are not requested");
                case UNCHANGED_TOAST -> throw new IllegalArgumentException("an unchanged TOAST value has no text");
            };
            values.add(value);
            return "cast(? as " + c.type() + ")";
        }

        String text(String value) {
            values.add(value);
            return "?";
        }
    }

    public static Change insert(AppliedRelation r, TupleData row) {
        Params params = new Params();
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < r.columns().size(); i++) {
            Value v = row.values().get(i);
            if (v.kind() == Kind.UNCHANGED_TOAST) {
                throw new IllegalArgumentException("an insert into " + r.table() + " holds an unchanged TOAST value");
            }
            names.add(Identifiers.quote(r.columns().get(i).name()));
            values.add(params.add(r.columns().get(i), v));
        }
        boolean overriding = r.columns().stream().anyMatch(AppliedColumn::identityAlways);
        return new Change("insert into " + Identifiers.quote(r.table()) + " (" + String.join(", ", names) + ")"
                + (overriding ? " overriding system value" : "") + " values (" + String.join(", ", values) + ")", params.values, List.of(r.table()));
    }

    /**
     * The values that are sent are set, but for unchanged TOAST values and an identity's values that did not change (an
     * identity column GENERATED ALWAYS cannot be set, and a key that stays need not be).
     */
    public static Change update(AppliedRelation r, Optional<OldRow> old, TupleData row) {
        Params params = new Params();
        List<String> sets = new ArrayList<>();
        for (int i = 0; i < r.columns().size(); i++) {
            AppliedColumn c = r.columns().get(i);
            Value v = row.values().get(i);
            if (v.kind() == Kind.UNCHANGED_TOAST) {
                continue;
            }
            boolean unchanged = old.isEmpty() ? c.key() : old.get().row().values().get(i).kind() == Kind.TEXT && v.kind() == Kind.TEXT
                    && java.util.Arrays.equals(old.get().row().values().get(i).data(), v.data());
            if (unchanged && (c.key() || c.identityAlways())) {
                continue;
            }
            if (c.identityAlways()) {
                throw new IllegalArgumentException("an update of " + r.table() + " changes " + c.name()
                        + ", which is GENERATED ALWAYS AS IDENTITY on the target and cannot be set");
            }
            sets.add(Identifiers.quote(c.name()) + " = " + params.add(c, v));
        }
        if (sets.isEmpty()) {
            // nothing to change but the row's existence to check
            AppliedColumn first = r.columns().get(0);
            sets.add(Identifiers.quote(first.name()) + " = " + Identifiers.quote(first.name()));
        }
        return new Change("update " + Identifiers.quote(r.table()) + " set " + String.join(", ", sets) + " where " + where(r, old, row, params),
                params.values, List.of(r.table()));
    }

    public static Change delete(AppliedRelation r, OldRow old) {
        Params params = new Params();
        return new Change("delete from " + Identifiers.quote(r.table()) + " where " + where(r, Optional.of(old), old.row(), params),
                params.values, List.of(r.table()));
    }

    /** Without CASCADE: the source lists every published table its truncate reached. */
    public static Change truncate(List<AppliedRelation> relations, boolean restartIdentity) {
        return new Change("truncate " + String.join(", ", relations.stream().map(r -> Identifiers.quote(r.table())).toList())
                + (restartIdentity ? " restart identity" : ""), List.of(), relations.stream().map(AppliedRelation::table).toList());
    }

    /**
     * The row's identity: the key columns of the old row where the source sent it (the key changed, or a delete), else of
     * the new row; with a full identity every value of the old row, and one row of equal ones (the table may hold
     * duplicates).
     */
    private static String where(AppliedRelation r, Optional<OldRow> old, TupleData row, Params params) {
        TupleData identity = old.map(OldRow::row).orElse(row);
        boolean full = old.map(o -> o.kind() == OldKind.FULL).orElse(false);
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < r.columns().size(); i++) {
            AppliedColumn c = r.columns().get(i);
            Value v = identity.values().get(i);
            if ((!full && !c.key()) || v.kind() == Kind.UNCHANGED_TOAST) {
                continue;
            }
            String column = Identifiers.quote(c.name());
            if (v.kind() == Kind.NULL) {
                terms.add(column + " is null");
            } else if (c.comparable()) {
                terms.add(column + " = " + params.add(c, v));
            } else {
                terms.add("cast(" + column + " as text) = " + params.text(v.text()));
            }
        }
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a change of " + r.table() + " carries no identity");
        }
        String match = String.join(" and ", terms);
        return full ? "ctid = (select ctid from " + Identifiers.quote(r.table()) + " where " + match + " limit 1)" : match;
    }
}
