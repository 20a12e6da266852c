package io.walferry.router;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The functions whose calls the auto endpoint may send to a replica: a built-in list (immutable and stable functions an
 * application commonly calls, and the volatile ones that only read, such as {@code random()} or
 * {@code pg_is_in_recovery}), and the catalog's immutable and stable functions the router learns from the primary's
 * {@code pg_proc}. A call of any other function (a function of the application's own, {@code nextval},
 * {@code set_config}, {@code pg_advisory_lock}, ...) goes to the primary. An unqualified name is taken as the catalog's,
 * as PostgreSQL resolves it with {@code pg_catalog} first on the search path.
 */
final class ReadOnlyFunctions {
    static final Set<String> BUILT_IN = Set.of(
            // aggregates and window functions
            "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "json_agg", "jsonb_agg", "json_object_agg",
            "jsonb_object_agg", "bool_and", "bool_or", "every", "stddev", "stddev_pop", "stddev_samp", "variance",
            "var_pop", "var_samp", "percentile_cont", "percentile_disc", "mode", "rank", "dense_rank", "row_number",
            "ntile", "lag", "lead", "first_value", "last_value", "nth_value", "cume_dist", "percent_rank",
            // time
            "now", "statement_timestamp", "transaction_timestamp", "clock_timestamp", "timeofday", "date_trunc",
            "date_part", "to_char", "to_date", "to_timestamp", "to_number", "age", "make_date", "make_time",
            "make_timestamp", "make_timestamptz", "make_interval", "justify_days", "justify_hours", "justify_interval",
            // text
            "lower", "upper", "length", "char_length", "character_length", "octet_length", "bit_length", "substr",
            "substring", "btrim", "ltrim", "rtrim", "replace", "concat", "concat_ws", "left", "right", "lpad", "rpad",
            "split_part", "strpos", "format", "md5", "sha256", "encode", "decode", "regexp_replace", "regexp_match",
            "regexp_matches", "regexp_split_to_array", "regexp_split_to_table", "starts_with", "initcap", "repeat",
            "reverse", "translate", "quote_ident", "quote_literal", "quote_nullable", "ascii", "chr", "to_hex",
            // numbers
            "abs", "ceil", "ceiling", "floor", "round", "trunc", "mod", "power", "sqrt", "cbrt", "exp", "ln", "log",
            "sign", "greatest", "least", "coalesce", "nullif", "random", "width_bucket", "div",
            // json, arrays, rows, set-returning
            "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array", "to_json", "to_jsonb",
            "row_to_json", "jsonb_set", "jsonb_insert", "jsonb_pretty", "json_array_elements", "jsonb_array_elements",
            "json_each", "jsonb_each", "jsonb_object_keys", "json_extract_path", "jsonb_extract_path",
            "jsonb_path_query", "jsonb_path_exists", "generate_series", "generate_subscripts", "unnest", "array_length",
            "array_lower", "array_upper", "cardinality", "array_position", "array_positions", "array_append",
            "array_prepend", "array_cat", "array_remove", "array_to_string", "string_to_array", "gen_random_uuid",
            // the server, read only
            "current_setting", "version", "current_database", "current_schema", "current_schemas", "pg_backend_pid",
            "inet_server_port", "inet_server_addr", "inet_client_addr", "inet_client_port", "pg_is_in_recovery",
            "pg_last_wal_replay_lsn", "pg_last_wal_receive_lsn", "pg_last_xact_replay_timestamp", "pg_sleep",
            "pg_postmaster_start_time", "pg_conf_load_time", "pg_size_pretty", "pg_relation_size",
            "pg_total_relation_size", "pg_table_size", "pg_indexes_size", "pg_database_size", "pg_typeof",
            "has_table_privilege", "has_schema_privilege", "has_database_privilege", "pg_has_role", "txid_current_snapshot",
            "pg_current_snapshot", "obj_description", "col_description", "format_type", "pg_get_expr",
            "pg_get_indexdef", "pg_get_viewdef", "pg_get_constraintdef", "pg_table_is_visible");

    static final ReadOnlyFunctions BUILT_IN_ONLY = new ReadOnlyFunctions(Set.of());

    private final Set<String> learned;

    /** @param learned catalog functions known not to write (from {@code pg_proc}: immutable or stable) */
    ReadOnlyFunctions(Set<String> learned) {
        this.learned = Set.copyOf(learned);
    }

    int learnedCount() {
        return learned.size();
    }

    /** Whether a call of this name (as written: {@code f}, {@code pg_catalog.f}, {@code "F"}) cannot write. */
    boolean readOnly(List<String> name) {
        if (name.size() == 2 && identifier(name.get(0)).equals("pg_catalog")) {
            return known(identifier(name.get(1)));
        }
        return name.size() == 1 && known(identifier(name.get(0)));
    }

    private boolean known(String name) {
        return BUILT_IN.contains(name) || learned.contains(name);
    }

    /** An identifier as PostgreSQL reads it: a quoted one exactly, an unquoted one folded to lower case. */
    static String identifier(String written) {
        if (written.length() >= 2 && written.startsWith("\"") && written.endsWith("\"")) {
            return written.substring(1, written.length() - 1).replace("\"\"", "\"");
        }
        return written.toLowerCase(Locale.ROOT);
    }
}
