package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What a stream's target holds and lets its role do: tables, schemas, columns, triggers. */
public final class TargetCatalog {
    private TargetCatalog() {
    }

    /**
     * What the target role may do.
     *
     * @param mayCreate CREATE on the database (schemas, walferry's state)
     */
    public record TargetFacts(int versionNum, String role, boolean superuser, boolean mayCreate, boolean inRecovery, boolean readOnly) {
        public int major() {
            return versionNum / 10000;
        }
    }

    public static TargetFacts facts(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select current_setting('server_version_num')::int, current_user, "
                + "rolsuper, has_database_privilege(current_database(), 'CREATE'), pg_is_in_recovery(), "
                + "current_setting('default_transaction_read_only') = 'on' from pg_roles where rolname = current_user")) {
            r.next();
            return new TargetFacts(r.getInt(1), r.getString(2), r.getBoolean(3), r.getBoolean(4), r.getBoolean(5), r.getBoolean(6));
        }
    }

    /**
     * The tables a foreign key links on the target, referencing or referenced: their changes keep the source's order
     * against each other ({@link ApplyOrder}).
     */
    public static Set<QualifiedName> foreignKeyTables(Connection c) throws SQLException {
        return tables(c, "select n.nspname, t.relname from pg_constraint k "
                + "join pg_class t on t.oid in (k.conrelid, k.confrelid) join pg_namespace n on n.oid = t.relnamespace where k.contype = 'f'");
    }

    /** The tables a query returns as schema and name. */
    private static Set<QualifiedName> tables(Connection c, String query) throws SQLException {
        Set<QualifiedName> tables = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(query)) {
            while (r.next()) {
                tables.add(new QualifiedName(r.getString(1), r.getString(2)));
            }
        }
        return tables;
    }

    /**
     * The tables where COPY does not do what INSERT does: row-level security on (COPY FROM refuses such a table) or
     * rules (COPY ignores them). Their inserts go as INSERT statements.
     */
    public static Set<QualifiedName> tablesNotForCopy(Connection c) throws SQLException {
        return tables(c, "select n.nspname, t.relname from pg_class t "
                + "join pg_namespace n on n.oid = t.relnamespace where t.relkind in ('r', 'p') and (t.relrowsecurity or t.relhasrules)");
    }

    /** Stands for every column: an index over an expression or with a predicate. */
    public static final String ANY_COLUMN = "*";

    /**
     * The columns of each table that a unique index or an exclusion constraint checks ({@link #ANY_COLUMN} for one over
     * an expression or with a predicate): changes that set such columns must keep their order.
     */
    public static Map<QualifiedName, Set<String>> uniquenessColumns(Connection c) throws SQLException {
        Map<QualifiedName, Set<String>> tables = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select n.nspname, t.relname, "
                + "i.indexprs is not null or i.indpred is not null, "
                + "array(select a.attname from pg_attribute a where a.attrelid = t.oid and a.attnum = any(i.indkey::int2[]))::text[] "
                + "from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace "
                + "where (i.indisunique or i.indisexclusion) and n.nspname not in ('pg_catalog', 'information_schema')")) {
            while (r.next()) {
                Set<String> columns = tables.computeIfAbsent(new QualifiedName(r.getString(1), r.getString(2)), t -> new HashSet<>());
                if (r.getBoolean(3)) {
                    columns.add(ANY_COLUMN);
                }
                columns.addAll(Arrays.asList((String[]) r.getArray(4).getArray()));
            }
        }
        return tables;
    }

    /** Those of {@code tables} that exist on the target (as any relation). */
    public static Set<QualifiedName> existing(Connection c, Collection<QualifiedName> tables) throws SQLException {
        Set<QualifiedName> out = new HashSet<>();
        try (PreparedStatement p = c.prepareStatement("select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                + "where (n.nspname, c.relname) in (select * from unnest(?::text[], ?::text[]))")) {
            p.setArray(1, c.createArrayOf("text", tables.stream().map(QualifiedName::schema).toArray()));
            p.setArray(2, c.createArrayOf("text", tables.stream().map(QualifiedName::name).toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new QualifiedName(r.getString(1), r.getString(2)));
                }
            }
        }
        return out;
    }

    /** Each of {@code schemas} that exists, and whether the role may create in it. */
    public static Map<String, Boolean> schemas(Connection c, Collection<String> schemas) throws SQLException {
        Map<String, Boolean> out = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("select nspname, has_schema_privilege(oid, 'CREATE') from pg_namespace where nspname = any(?)")) {
            p.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), r.getBoolean(2));
                }
            }
        }
        return out;
    }

    /** Those of the types (schema and name) that exist on the target. */
    public static Set<QualifiedName> existingTypes(Connection c, Collection<QualifiedName> types) throws SQLException {
        Set<QualifiedName> out = new HashSet<>();
        try (PreparedStatement p = c.prepareStatement("select n.nspname, t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace "
                + "where (n.nspname, t.typname) in (select * from unnest(?::text[], ?::text[]))")) {
            p.setArray(1, c.createArrayOf("text", types.stream().map(QualifiedName::schema).toArray()));
            p.setArray(2, c.createArrayOf("text", types.stream().map(QualifiedName::name).toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new QualifiedName(r.getString(1), r.getString(2)));
                }
            }
        }
        return out;
    }

    public static void createSchema(Connection c, String schema) throws SQLException {
        Sql.run(c, "create schema if not exists " + Identifiers.quote(schema));
    }

    /**
     * A column to add to a target table ({@code logical sync-schema}).
     *
     * @param type         as format_type prints it, with the modifier
     * @param defaultText  a constant default, as the source's pg_get_expr prints it
     */
    public record NewColumn(QualifiedName table, String column, String type, Optional<String> defaultText, boolean notNull) {
        public String statement() {
            return "ALTER TABLE " + Identifiers.quote(table) + " ADD COLUMN " + Identifiers.quote(column) + " " + type
                    + defaultText.map(d -> " DEFAULT " + d).orElse("") + (notNull ? " NOT NULL" : "");
        }
    }

    /** Adds the columns, in the caller's transaction. */
    public static void addColumns(Connection c, List<NewColumn> columns) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (NewColumn n : columns) {
                s.execute(n.statement());
            }
        }
    }

    /** Those of {@code tables} (existing on the target) that hold no row. */
    public static Set<QualifiedName> empty(Connection c, Collection<QualifiedName> tables) throws SQLException {
        Set<QualifiedName> out = new HashSet<>();
        for (QualifiedName t : tables) {
            if (!Sql.flag(c, "select exists (select 1 from " + Identifiers.quote(t) + ")")) {
                out.add(t);
            }
        }
        return out;
    }

    /** Drops tables an interrupted create made, with what depends on them. */
    public static void dropTables(Connection c, List<String> quotedTables) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String t : quotedTables) {
                s.execute("drop table if exists " + t + " cascade");
            }
        }
    }

    /**
     * A column of a target table, as the apply needs it.
     *
     * @param type       format_type without the modifier: what a value is cast to before the column's own rules apply
     * @param typeSchema the schema of the type (pg_catalog for built-in types)
     * @param comparable its type has an equality operator (json, xml and the geometric types, and arrays of them, have none
     *                   or a loose one)
     * @param identityAlways GENERATED ALWAYS AS IDENTITY: an insert must say OVERRIDING SYSTEM VALUE
     * @param arrayDelimiter where values of the type can be sent as the elements of an array of it (the type has an array
     *                       type and is no array itself), the delimiter of that array's text; else empty
     */
    public record TargetColumn(String name, int typeOid, String type, String typeSchema, String typeName, boolean generated,
                               boolean notNull, boolean hasDefault, boolean comparable, boolean identityAlways,
                               Optional<Character> arrayDelimiter) {
        /** A column whose values are not sent in arrays. */
        public TargetColumn(String name, int typeOid, String type, String typeSchema, String typeName, boolean generated,
                            boolean notNull, boolean hasDefault, boolean comparable, boolean identityAlways) {
            this(name, typeOid, type, typeSchema, typeName, generated, notNull, hasDefault, comparable, identityAlways, Optional.empty());
        }
    }

    /** The columns of each table that exists, in order; tables missing on the target are absent. */
    public static Map<QualifiedName, List<TargetColumn>> columns(Connection c, Collection<QualifiedName> tables) throws SQLException {
        Map<QualifiedName, List<TargetColumn>> out = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("select n.nspname, c.relname, a.attname, a.atttypid, format_type(a.atttypid, null), "
                + "tn.nspname, t.typname, a.attgenerated <> '', a.attnotnull, a.atthasdef, "
                + "not (coalesce(et.typname, t.typname) in ('json', 'xml') or coalesce(et.typcategory, t.typcategory) = 'G'), "
                + "a.attidentity = 'a', case when t.typarray <> 0 and t.typcategory <> 'A' then t.typdelim::text end "
                + "from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
                + "join pg_type t on t.oid = a.atttypid join pg_namespace tn on tn.oid = t.typnamespace "
                + "left join pg_type et on et.oid = t.typelem and t.typcategory = 'A' "
                + "where (n.nspname, c.relname) in (select * from unnest(?::text[], ?::text[])) and a.attnum > 0 and not a.attisdropped "
                + "order by n.nspname, c.relname, a.attnum")) {
            p.setArray(1, c.createArrayOf("text", tables.stream().map(QualifiedName::schema).toArray()));
            p.setArray(2, c.createArrayOf("text", tables.stream().map(QualifiedName::name).toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.computeIfAbsent(new QualifiedName(r.getString(1), r.getString(2)), k -> new ArrayList<>())
                            .add(new TargetColumn(r.getString(3), r.getInt(4), r.getString(5), r.getString(6), r.getString(7),
                                    r.getBoolean(8), r.getBoolean(9), r.getBoolean(10), r.getBoolean(11), r.getBoolean(12),
                                    Optional.ofNullable(r.getString(13)).filter(d -> d.length() == 1).map(d -> d.charAt(0))));
                }
            }
        }
        return out;
    }

    /**
     * Disables the enabled user triggers of these tables (walferry applies what the source's triggers already did, as a
     * native subscription does) and returns them as {@code "schema"."table"} and trigger name.
     */
    public static List<List<String>> disableUserTriggers(Connection c, Collection<QualifiedName> tables) throws SQLException {
        List<List<String>> disabled = userTriggers(c, tables, 'O');
        alterTriggers(c, disabled, "disable");
        return disabled;
    }

    /**
     * At cutover: enables again the user triggers of these tables that are enabled on the source ({@code enabledOnSource},
     * from {@link #userTriggers} there) and disabled here. Returns them.
     */
    public static List<List<String>> enableUserTriggers(Connection c, Collection<QualifiedName> tables, List<List<String>> enabledOnSource)
            throws SQLException {
        List<List<String>> enable = new ArrayList<>(userTriggers(c, tables, 'D'));
        enable.retainAll(enabledOnSource);
        alterTriggers(c, enable, "enable");
        return enable;
    }

    /** The user triggers of these tables in state {@code state} ('O' enabled, 'D' disabled) as quoted table and name. */
    public static List<List<String>> userTriggers(Connection c, Collection<QualifiedName> tables, char state) throws SQLException {
        List<List<String>> found = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("select n.nspname, c.relname, t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid "
                + "join pg_namespace n on n.oid = c.relnamespace where not t.tgisinternal and t.tgenabled = ? "
                + "and (n.nspname, c.relname) in (select * from unnest(?::text[], ?::text[]))")) {
            p.setString(1, String.valueOf(state));
            p.setArray(2, c.createArrayOf("text", tables.stream().map(QualifiedName::schema).toArray()));
            p.setArray(3, c.createArrayOf("text", tables.stream().map(QualifiedName::name).toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    found.add(List.of(Identifiers.quote(new QualifiedName(r.getString(1), r.getString(2))), r.getString(3)));
                }
            }
        }
        return found;
    }

    private static void alterTriggers(Connection c, List<List<String>> triggers, String action) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (List<String> t : triggers) {
                s.execute("alter table " + t.get(0) + " " + action + " trigger " + Identifiers.quote(t.get(1)));
            }
        }
    }
}
