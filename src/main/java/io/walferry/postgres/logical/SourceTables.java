package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.config.LogicalStreamConfig.Tables;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The tables of a source database that a stream's selection names, with what replicating them needs. */
public final class SourceTables {
    /** PostgreSQL's first OID for objects that are not built in. */
    public static final int FIRST_NORMAL_OID = 16384;
    /** Columns ({@code a}) with their types ({@code t} in {@code tn}) and, for an array, its element type ({@code et} in {@code etn}). */
    private static final String COLUMNS_AND_TYPES = "from pg_attribute a join pg_type t on t.oid = a.atttypid "
            + "join pg_namespace tn on tn.oid = t.typnamespace left join pg_type et on et.oid = t.typelem and t.typcategory = 'A' "
            + "left join pg_namespace etn on etn.oid = et.typnamespace ";

    private SourceTables() {
    }

    /**
     * A table of the source.
     *
     * @param kind            {@code r} (table) or {@code p} (partitioned table)
     * @param persistence     {@code p} (permanent) or {@code u} (unlogged, never decoded)
     * @param identity        relreplident: {@code d}, {@code i}, {@code f} or {@code n}
     * @param owned           the role is (a member of) its owner, as adding it to a publication needs
     * @param bytes           its main fork's size now
     * @param pages           the same in pages (blocks)
     */
    public record Table(int oid, QualifiedName name, char kind, char persistence, char identity, boolean hasPrimaryKey,
                        boolean hasIdentityIndex, boolean owned, boolean readable, long bytes, long pages, List<TableColumn> columns) {
        public Table {
            columns = List.copyOf(columns);
        }
    }

    /**
     * A column.
     *
     * @param type      as format_type prints it without its modifier (the target checks the modifier itself)
     * @param userType  the type (or an array's element type) when it is not built in: the target needs it too
     */
    public record TableColumn(String name, int typeOid, String type, boolean generated, Optional<QualifiedName> userType) {
        public boolean builtIn() {
            return userType.isEmpty() && typeOid < FIRST_NORMAL_OID;
        }
    }

    /** The ordinary and partitioned tables the selection names, by schema and name; listed tables that do not exist are absent. */
    public static List<Table> read(Connection c, Tables selection) throws SQLException {
        String where = switch (selection) {
            case Tables.All a -> "";
            case Tables.Schemas s -> " and n.nspname = any(?)";
            case Tables.Listed l -> " and (n.nspname, c.relname) in (select * from unnest(?::text[], ?::text[]))";
        };
        Map<Integer, Table> tables = new LinkedHashMap<>();
        try (PreparedStatement p = c.prepareStatement("select c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relreplident, "
                + "exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary), "
                + "exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisreplident), "
                + "pg_has_role(c.relowner, 'USAGE'), has_table_privilege(c.oid, 'SELECT'), pg_relation_size(c.oid), "
                + "pg_relation_size(c.oid) / current_setting('block_size')::int "
                + "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                + "where c.relkind in ('r', 'p') and n.nspname not in ('information_schema', 'walferry') and n.nspname !~ '^pg_'" + where
                + " order by n.nspname, c.relname")) {
            switch (selection) {
                case Tables.All a -> {
                }
                case Tables.Schemas s -> p.setArray(1, c.createArrayOf("text", s.schemas().toArray()));
                case Tables.Listed l -> {
                    p.setArray(1, c.createArrayOf("text", l.tables().stream().map(QualifiedName::schema).toArray()));
                    p.setArray(2, c.createArrayOf("text", l.tables().stream().map(QualifiedName::name).toArray()));
                }
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    tables.put(r.getInt(1), new Table(r.getInt(1), new QualifiedName(r.getString(2), r.getString(3)), r.getString(4).charAt(0),
                            r.getString(5).charAt(0), r.getString(6).charAt(0), r.getBoolean(7), r.getBoolean(8), r.getBoolean(9),
                            r.getBoolean(10), r.getLong(11), r.getLong(12), List.of()));
                }
            }
        }
        Map<Integer, List<TableColumn>> columns = columns(c, tables.keySet().stream().toList());
        List<Table> out = new ArrayList<>();
        for (Table t : tables.values()) {
            out.add(new Table(t.oid(), t.name(), t.kind(), t.persistence(), t.identity(), t.hasPrimaryKey(), t.hasIdentityIndex(),
                    t.owned(), t.readable(), t.bytes(), t.pages(), columns.getOrDefault(t.oid(), List.of())));
        }
        return out;
    }

    /**
     * A column as {@code logical sync-schema} adds it to the target: its type with the modifier, NOT NULL, and its
     * default.
     *
     * @param type            format_type with the modifier: {@code character varying(20)}
     * @param baseType        format_type without it, as the target's columns show their types
     * @param defaultText     the default's expression as pg_get_expr prints it
     * @param defaultConstant the default is a constant (no function call, no sequence): the target computes the same
     *                        value for the rows it has
     */
    public record ColumnDefinition(String name, int typeOid, String type, String baseType, Optional<QualifiedName> userType, boolean notNull,
                                   boolean generated, Optional<String> defaultText, boolean defaultConstant) {
    }

    /** The columns of these tables (by OID, as {@link #read} found them) with their types' modifiers, NOT NULL and defaults. */
    public static Map<QualifiedName, List<ColumnDefinition>> definitions(Connection c, List<Table> tables) throws SQLException {
        Map<Integer, QualifiedName> names = new HashMap<>();
        tables.forEach(t -> names.put(t.oid(), t.name()));
        Map<QualifiedName, List<ColumnDefinition>> out = new LinkedHashMap<>();
        try (PreparedStatement p = c.prepareStatement("select a.attrelid, a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod), "
                + "coalesce(et.oid, t.oid) >= " + FIRST_NORMAL_OID + ", coalesce(etn.nspname, tn.nspname), coalesce(et.typname, t.typname), "
                + "a.attnotnull, a.attgenerated <> '', pg_get_expr(d.adbin, d.adrelid), d.adbin::text like '{CONST %', format_type(a.atttypid, null) "
                + COLUMNS_AND_TYPES
                + "left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
                + "where a.attrelid = any(?) and a.attnum > 0 and not a.attisdropped order by a.attrelid, a.attnum")) {
            p.setArray(1, c.createArrayOf("int4", names.keySet().toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Optional<QualifiedName> user = r.getBoolean(5) ? Optional.of(new QualifiedName(r.getString(6), r.getString(7)))
                            : Optional.empty();
                    out.computeIfAbsent(names.get(r.getInt(1)), k -> new ArrayList<>()).add(new ColumnDefinition(r.getString(2), r.getInt(3),
                            r.getString(4), r.getString(12), user, r.getBoolean(8), r.getBoolean(9), Optional.ofNullable(r.getString(10)), r.getBoolean(11)));
                }
            }
        }
        return out;
    }

    private static Map<Integer, List<TableColumn>> columns(Connection c, List<Integer> oids) throws SQLException {
        Map<Integer, List<TableColumn>> out = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("select a.attrelid, a.attname, a.atttypid, format_type(a.atttypid, null), "
                + "a.attgenerated <> '', coalesce(et.oid, t.oid) >= " + FIRST_NORMAL_OID + ", "
                + "coalesce(etn.nspname, tn.nspname), coalesce(et.typname, t.typname) "
                + COLUMNS_AND_TYPES
                + "where a.attrelid = any(?) and a.attnum > 0 and not a.attisdropped order by a.attrelid, a.attnum")) {
            p.setArray(1, c.createArrayOf("int4", oids.toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Optional<QualifiedName> user = r.getBoolean(6) ? Optional.of(new QualifiedName(r.getString(7), r.getString(8)))
                            : Optional.empty();
                    out.computeIfAbsent(r.getInt(1), k -> new ArrayList<>())
                            .add(new TableColumn(r.getString(2), r.getInt(3), r.getString(4), r.getBoolean(5), user));
                }
            }
        }
        return out;
    }
}
