package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Sql;
import io.walferry.postgres.logical.AppliedRelation.AppliedColumn;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Value;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One change as one SQL statement for the target: a shape with parameters ({@code CAST(? AS type)}) and the values as
 * text, so that the target prepares each shape once and binds the values of many changes of one shape in one round
 * trip ({@link TargetApply}, {@link ApplyOrder}). A shape depends on the relation and on which columns a change sets and
 * how it finds its row, not on the values: each is built once per relation description and reused (this object keeps
 * them), and a change holds its shape and its values as the source sent them. Literals (for messages) assume
 * standard_conforming_strings on. Pure.
 */
public final class ChangeSql {
    /** What a statement does. */
    public enum Action { INSERT, UPDATE, DELETE, TRUNCATE }

    /**
     * A statement's shape: {@code sql} with JDBC parameters ({@code ?}, outside quoted identifiers), each a value cast to
     * its column's type (or text, where a column without equality is compared as text).
     *
     * @param tables   the tables it changes (several for a TRUNCATE)
     * @param relation the relation whose row it changes (null for a TRUNCATE, and in tests)
     * @param params   for each parameter, the index of its column in the relation
     * @param fromRow  parameters before this index take the new row's values, the others the identity's (the old row
     *                 where the source sent one, else the new row)
     * @param setSql   for an update that finds its row by the key's equality and sets values that can go in arrays: one
     *                 statement for many such updates of distinct rows ({@link #setUpdate})
     * @param copySql  for an insert: the COPY that inserts many such rows ({@link CopyText})
     */
    public record Shape(String sql, Action action, List<QualifiedName> tables, AppliedRelation relation, int[] params, int fromRow,
                        Optional<String> setSql, Optional<String> copySql) {
        public Shape {
            tables = List.copyOf(tables);
        }

        /** A shape of its own (tests, TRUNCATE): no relation, no parameters to take from a row. */
        public static Shape of(String sql, Action action, List<QualifiedName> tables) {
            return new Shape(sql, action, tables, null, new int[0], 0, Optional.empty(), Optional.empty());
        }

        /** The array delimiter of each parameter's type (where all have one). */
        public char[] delimiters() {
            char[] d = new char[params.length];
            for (int p = 0; p < params.length; p++) {
                d[p] = relation.columns().get(params[p]).arrayDelimiter().orElseThrow();
            }
            return d;
        }

        /** Shapes are the same statement when their text is. */
        public boolean sameStatement(Shape other) {
            return sql == other.sql || sql.equals(other.sql);
        }
    }

    /**
     * A statement: its shape and the values of its parameters as the source sent them (text in UTF-8; {@code null} for
     * NULL).
     */
    public record Change(Shape shape, byte[][] raw) {
        /** A change with the values given as text (tests). */
        public static Change of(Shape shape, List<String> values) {
            byte[][] raw = new byte[values.size()][];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = values.get(i) == null ? null : values.get(i).getBytes(StandardCharsets.UTF_8);
            }
            return new Change(shape, raw);
        }

        public String sql() {
            return shape.sql();
        }

        public List<QualifiedName> tables() {
            return shape.tables();
        }

        /** The number of parameters. */
        public int size() {
            return raw.length;
        }

        /** Parameter {@code i}'s value as text, {@code null} for NULL. */
        public String value(int i) {
            return raw[i] == null ? null : new String(raw[i], StandardCharsets.UTF_8);
        }

        /** The values as text ({@code null} for NULL). */
        public List<String> values() {
            List<String> out = new ArrayList<>(raw.length);
            for (int i = 0; i < raw.length; i++) {
                out.add(value(i));
            }
            return out;
        }

        /** The values as SQL literals ({@code 'text'} or {@code null}). */
        public List<String> literals() {
            return values().stream().map(v -> v == null ? "null" : Sql.literal(v)).toList();
        }

        /** The statement with its values in place (for messages and tests). */
        public String inline() {
            List<String> literals = literals();
            StringBuilder b = new StringBuilder();
            boolean quoted = false;
            int next = 0;
            for (char ch : shape.sql().toCharArray()) {
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

        /** About how many bytes it holds. */
        public long bytes() {
            long n = shape.sql().length();
            for (byte[] v : raw) {
                n += v == null ? 0 : v.length;
            }
            return n;
        }
    }

    /** The shapes built so far, per relation description and signature (what a change sets and how it finds its row). */
    private final Map<AppliedRelation, Map<String, Shape>> shapes = new IdentityHashMap<>();

    public Change insert(AppliedRelation r, TupleData row) {
        for (Value v : row.values()) {
            if (v.kind() == Kind.UNCHANGED_TOAST) {
                throw new IllegalArgumentException("an insert into " + r.table() + " holds an unchanged TOAST value");
            }
        }
        Shape shape = shapes(r).computeIfAbsent("i", k -> insertShape(r));
        return new Change(shape, values(shape, row, row));
    }

    private static Shape insertShape(AppliedRelation r) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        int[] params = new int[r.columns().size()];
        for (int i = 0; i < r.columns().size(); i++) {
            names.add(Identifiers.quote(r.columns().get(i).name()));
            values.add(cast(r.columns().get(i)));
            params[i] = i;
        }
        boolean overriding = r.columns().stream().anyMatch(AppliedColumn::identityAlways);
        // COPY sets an identity column GENERATED ALWAYS to the value given, as OVERRIDING SYSTEM VALUE does
        return new Shape("insert into " + Identifiers.quote(r.table()) + " (" + String.join(", ", names) + ")"
                + (overriding ? " overriding system value" : "") + " values (" + String.join(", ", values) + ")", Action.INSERT,
                List.of(r.table()), r, params, params.length, Optional.empty(),
                Optional.of("copy " + Identifiers.quote(r.table()) + " (" + String.join(", ", names) + ") from stdin"));
    }

    /** What a column does in an update's SET list. */
    private static final char SET = 's';
    private static final char LEFT = 'x';
    /** How a column takes part in finding the row. */
    private static final char NOT_MATCHED = '-';
    private static final char IS_NULL = 'n';
    private static final char EQUALS = 'p';
    private static final char AS_TEXT = 't';

    /**
     * The values that are sent are set, but for unchanged TOAST values and an identity's values that did not change (an
     * identity column GENERATED ALWAYS cannot be set, and a key that stays need not be).
     */
    public Change update(AppliedRelation r, Optional<OldRow> old, TupleData row) {
        int n = r.columns().size();
        char[] signature = new char[2 * n + 1];
        signature[0] = old.map(o -> o.kind() == OldKind.FULL ? 'f' : 'k').orElse('e');
        for (int i = 0; i < n; i++) {
            AppliedColumn c = r.columns().get(i);
            Value v = row.values().get(i);
            if (v.kind() == Kind.UNCHANGED_TOAST) {
                signature[1 + i] = LEFT;
                continue;
            }
            boolean unchanged = old.isEmpty() ? c.key() : old.get().row().values().get(i).kind() == Kind.TEXT && v.kind() == Kind.TEXT
                    && Arrays.equals(old.get().row().values().get(i).data(), v.data());
            if (unchanged && (c.key() || c.identityAlways())) {
                signature[1 + i] = LEFT;
                continue;
            }
            if (c.identityAlways()) {
                throw new IllegalArgumentException("an update of " + r.table() + " changes " + c.name()
                        + ", which is GENERATED ALWAYS AS IDENTITY on the target and cannot be set");
            }
            signature[1 + i] = SET;
        }
        TupleData identity = old.map(OldRow::row).orElse(row);
        matching(r, old, identity, signature, 1 + n);
        Shape shape = shapes(r).computeIfAbsent(new String(signature), s -> updateShape(r, s));
        return new Change(shape, values(shape, row, identity));
    }

    private static Shape updateShape(AppliedRelation r, String signature) {
        int n = r.columns().size();
        List<String> sets = new ArrayList<>();
        List<Integer> params = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (signature.charAt(1 + i) == SET) {
                sets.add(Identifiers.quote(r.columns().get(i).name()) + " = " + cast(r.columns().get(i)));
                params.add(i);
            }
        }
        int fromRow = params.size();
        if (sets.isEmpty()) {
            // nothing to change but the row's existence to check
            AppliedColumn first = r.columns().get(0);
            sets.add(Identifiers.quote(first.name()) + " = " + Identifiers.quote(first.name()));
        }
        String where = where(r, signature.charAt(0) == 'f', signature.substring(1 + n), params);
        int[] p = params.stream().mapToInt(Integer::intValue).toArray();
        return new Shape("update " + Identifiers.quote(r.table()) + " set " + String.join(", ", sets) + " where " + where, Action.UPDATE,
                List.of(r.table()), r, p, fromRow, setUpdate(r, signature, p, fromRow), Optional.empty());
    }

    /**
     * Many updates of one shape as one statement: their values as one array per parameter, unnested into rows joined to
     * the table by the key; for updates that keep the key and find the row by the equality of the key's values, and
     * values that can all go in arrays ({@link TargetCatalog.TargetColumn#arrayDelimiter}). Of distinct rows only (two
     * updates of one row would change it once).
     */
    private static Optional<String> setUpdate(AppliedRelation r, String signature, int[] params, int fromRow) {
        int n = r.columns().size();
        boolean byKey = signature.charAt(0) == 'e' && fromRow > 0 && signature.substring(1 + n).chars().allMatch(c -> c == NOT_MATCHED || c == EQUALS);
        for (int p : params) {
            byKey &= r.columns().get(p).arrayDelimiter().isPresent();
        }
        if (!byKey) {
            return Optional.empty();
        }
        List<String> sets = new ArrayList<>();
        List<String> arrays = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> match = new ArrayList<>();
        for (int p = 0; p < params.length; p++) {
            AppliedColumn c = r.columns().get(params[p]);
            String value = "v.p" + (p + 1);
            names.add("p" + (p + 1));
            arrays.add("cast(? as " + c.type() + "[])");
            if (p < fromRow) {
                sets.add(Identifiers.quote(c.name()) + " = " + value);
            } else {
                match.add("t." + Identifiers.quote(c.name()) + " = " + value);
            }
        }
        return Optional.of("update " + Identifiers.quote(r.table()) + " as t set " + String.join(", ", sets) + " from unnest("
                + String.join(", ", arrays) + ") as v(" + String.join(", ", names) + ") where " + String.join(" and ", match));
    }

    /**
     * The parameters of a shape's {@link Shape#setSql} for these changes of it (of distinct rows): for each of the
     * shape's parameters, the changes' values as the text of an array.
     */
    public static List<String> setUpdate(Shape shape, List<Change> changes) {
        char[] delimiters = shape.delimiters();
        List<String> arrays = new ArrayList<>(delimiters.length);
        List<byte[]> column = new ArrayList<>(changes.size());
        for (int p = 0; p < delimiters.length; p++) {
            column.clear();
            for (Change c : changes) {
                column.add(c.raw()[p]);
            }
            arrays.add(ArrayText.of(column, delimiters[p]));
        }
        return arrays;
    }

    public Change delete(AppliedRelation r, OldRow old) {
        int n = r.columns().size();
        char[] signature = new char[n + 1];
        signature[0] = old.kind() == OldKind.FULL ? 'f' : 'k';
        matching(r, Optional.of(old), old.row(), signature, 1);
        Shape shape = shapes(r).computeIfAbsent("d" + new String(signature), s -> {
            List<Integer> params = new ArrayList<>();
            String where = where(r, old.kind() == OldKind.FULL, s.substring(2), params);
            return new Shape("delete from " + Identifiers.quote(r.table()) + " where " + where, Action.DELETE, List.of(r.table()), r,
                    params.stream().mapToInt(Integer::intValue).toArray(), 0, Optional.empty(), Optional.empty());
        });
        return new Change(shape, values(shape, old.row(), old.row()));
    }

    /** Without CASCADE: the source lists every published table its truncate reached. */
    public Change truncate(List<AppliedRelation> relations, boolean restartIdentity) {
        return new Change(Shape.of("truncate " + String.join(", ", relations.stream().map(r -> Identifiers.quote(r.table())).toList())
                + (restartIdentity ? " restart identity" : ""), Action.TRUNCATE, relations.stream().map(AppliedRelation::table).toList()),
                new byte[0][]);
    }

    private Map<String, Shape> shapes(AppliedRelation r) {
        return shapes.computeIfAbsent(r, k -> new HashMap<>());
    }

    /**
     * How each column finds the row, into {@code signature} from {@code at}: the key columns of the old row where the
     * source sent it (the key changed, or a delete), else of the new row; with a full identity every value of the old
     * row.
     */
    private static void matching(AppliedRelation r, Optional<OldRow> old, TupleData identity, char[] signature, int at) {
        boolean full = old.map(o -> o.kind() == OldKind.FULL).orElse(false);
        boolean any = false;
        for (int i = 0; i < r.columns().size(); i++) {
            AppliedColumn c = r.columns().get(i);
            Value v = identity.values().get(i);
            char how;
            if ((!full && !c.key()) || v.kind() == Kind.UNCHANGED_TOAST) {
                how = NOT_MATCHED;
            } else if (v.kind() == Kind.NULL) {
                how = IS_NULL;
            } else {
                how = c.comparable() ? EQUALS : AS_TEXT;
            }
            any |= how != NOT_MATCHED;
            signature[at + i] = how;
        }
        if (!any) {
            throw new IllegalArgumentException("a change of " + r.table() + " carries no identity");
        }
    }

    /** The WHERE clause of a signature's matching part; with a full identity one row of equal ones (the table may hold duplicates). */
    private static String where(AppliedRelation r, boolean full, String matching, List<Integer> params) {
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < r.columns().size(); i++) {
            AppliedColumn c = r.columns().get(i);
            String column = Identifiers.quote(c.name());
            switch (matching.charAt(i)) {
                case IS_NULL -> terms.add(column + " is null");
                case EQUALS -> {
                    terms.add(column + " = " + cast(c));
                    params.add(i);
                }
                case AS_TEXT -> {
                    terms.add("cast(" + column + " as text) = ?");
                    params.add(i);
                }
                default -> {
                }
            }
        }
        String match = String.join(" and ", terms);
        return full ? "ctid = (select ctid from " + Identifiers.quote(r.table()) + " where " + match + " limit 1)" : match;
    }

    private static String cast(AppliedColumn c) {
        return "cast(? as " + c.type() + ")";
    }

    /** The shape's parameter values: the first {@code fromRow} from {@code row}, the others from {@code identity}. */
    private static byte[][] values(Shape shape, TupleData row, TupleData identity) {
        byte[][] raw = new byte[shape.params().length][];
        for (int p = 0; p < raw.length; p++) {
            Value v = (p < shape.fromRow() ? row : identity).values().get(shape.params()[p]);
            raw[p] = switch (v.kind()) {
                case NULL -> null;
                case TEXT -> v.data();
                case BINARY -> throw new IllegalArgumentException("binary values are not requested");
                case UNCHANGED_TOAST -> throw new IllegalArgumentException("an unchanged TOAST value has no text");
            };
        }
        return raw;
    }
}
