package io.walferry.router;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auto endpoint's classifier: reads that a replica may run, and everything else (including the writes PgCat sent to
 * replicas, #829 and #887: writes in CTEs, in functions, after a read in one simple query, behind comments and quoted
 * or lower-case identifiers) to the primary.
 */
class StatementClassifierTest {
    private static StatementRoute route(String sql) {
        return StatementClassifier.classify(sql, ReadOnlyFunctions.BUILT_IN_ONLY);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "select 1",
            "SELECT * FROM t WHERE id = $1",
            "select id, note from public.t where note like 'a%' order by id limit 10 offset 5",
            "/* a comment; with a semicolon */ select 1",
            "-- a comment\nselect 1",
            "select 'insert into t values (1)'",
            "select $$ delete from t $$",
            "select \"Note\" from \"T\" where \"Id\" = 1",
            "select count(*), max(id), coalesce(min(note), 'x') from t group by note having count(*) > 1",
            "select row_number() over (partition by note order by id) from t",
            "select count(*) filter (where id > 1) from t",
            "select now(), current_timestamp, cast(id as text), extract(year from now()) from t",
            "select * from t join u using (id) where exists (select 1 from v where v.id = t.id)",
            "select (select max(id) from u) from t",
            "with x as (select * from t) select * from x",
            "with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r",
            "select 1 union all select 2",
            "values (1), (2)",
            "table t",
            "select * from generate_series(1, 3) g, lateral (select g) s",
            "select pg_is_in_recovery(), inet_server_port()",
            "select pg_catalog.lower('A')",
            "select LOWER('A')",
            "select jsonb_build_object('a', 1) ->> 'a'",
            "select 1; select 2",
            "select 1;",
            "BEGIN READ ONLY",
            "begin transaction read only",
            "START TRANSACTION READ ONLY",
            "begin isolation level repeatable read, read only",
            "START TRANSACTION ISOLATION LEVEL READ COMMITTED READ ONLY",
            "begin read only; select 1; commit",
            "COMMIT",
            "end",
            "ROLLBACK",
            "savepoint a",
            "show search_path",
            "explain select * from t",
            "explain delete from t",
            "copy t to stdout",
            "COPY t (id, note) TO STDOUT WITH (FORMAT csv)",
            "",
            ";",
            // what pgjdbc sends when it connects
            "SET extra_float_digits = 3",
            "SET application_name = 'PostgreSQL JDBC Driver'",
            "set session application_name to 'app'",
    })
    void readsMayGoToAReplica(String sql) {
        StatementRoute r = route(sql);
        assertThat(r.readOnly()).as("%s: %s", sql, r.reason()).isTrue();
        assertThat(r.sticky()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "insert into t values (1)",
            "UPDATE t SET note = 'x'",
            "delete from t",
            "merge into t using u on t.id = u.id when matched then delete",
            "truncate t",
            "create table x (a int)",
            "drop table t",
            "vacuum t",
            "lock table t",
            "call p()",
            "do $$ begin insert into t values (1); end $$",
            // PgCat #829 and #887: writes a keyword-guessing router sent to replicas
            "with d as (delete from t where id = 1 returning *) select * from d",
            "WITH x AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM x",
            "with u as (update t set note = 'x' returning *) select count(*) from u",
            "with a as (select 1), b as (insert into t values (2) returning *) select * from a, b",
            "select 1; insert into t values (1)",
            "select 1; delete from t",
            "/* select */ insert into t values (1)",
            "-- select\ninsert into t values (1)",
            "  \n\tInSeRt into \"T\" values (1)",
            "select * from t; update t set note = note",
            "select nextval('s')",
            "select setval('s', 10)",
            "select * from t where id in (select nextval('s'))",
            "select t.*, nextval('s') from t",
            "select * from t order by random(), nextval('s')",
            "select my_function(1)",
            "select * from my_function(1)",
            "select public.lower('x')",
            "select \"lower\"('x'), \"My_Func\"()",
            "select pg_advisory_lock(1)",
            "select set_config('a.b', 'c', false)",
            "select txid_current()",
            "select pg_notify('c', 'x')",
            "select count(*) over (), my_function(id) from t",
            "select sum(id) over (order by my_function(id)) from t",
            "select * from t for update",
            "select * from t for share",
            "SELECT * FROM t FOR NO KEY UPDATE",
            "select * from t for key share",
            "select * from t where id in (select id from u for update)",
            "select * from t, lateral (select * from u where u.id = t.id for update) x",
            "select 1 union select 2 for update",
            "select * into t2 from t",
            "begin",
            "BEGIN WORK",
            "start transaction",
            "begin read write",
            "begin read only read write",
            "begin isolation level serializable read only deferrable",
            "begin; select 1; commit",
            "begin; insert into t values (1); commit",
            "begin read only; insert into t values (1); commit",
            "commit prepared 'x'",
            "prepare transaction 'x'",
            "notify c",
            "copy t from stdin",
            "COPY (delete from t returning *) TO STDOUT",
            "copy (select 1) to stdout",
            "explain analyze delete from t",
            "EXPLAIN (ANALYZE, BUFFERS) select nextval('s')",
            "execute p",
            "selec 1",
            "select from where",
            "select 'unterminated",
    })
    void everythingElseGoesToThePrimary(String sql) {
        StatementRoute r = route(sql);
        assertThat(r.readOnly()).as("%s: %s", sql, r.reason()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "set search_path = app",
            "set \"application_name\" = 'quoted, so taken as any other setting'",
            "SET SESSION statement_timeout = 0",
            "set local work_mem = '1GB'",
            "reset all",
            "discard all",
            "listen c",
            "unlisten *",
            "prepare p as select 1",
            "deallocate p",
            "declare c cursor with hold for select 1",
            "create temp table x (a int)",
            "CREATE LOCAL TEMPORARY TABLE x AS SELECT 1",
            "select 1; set x.y = 1",
    })
    void sessionStateKeepsTheSessionOnThePrimary(String sql) {
        StatementRoute r = route(sql);
        assertThat(r.readOnly()).as(sql).isFalse();
        assertThat(r.sticky()).as(sql).isTrue();
    }

    @Test
    void reasonsSayWhy() {
        assertThat(route("with d as (delete from t returning *) select * from d").reason()).isEqualTo("a data-modifying DELETE in the query");
        assertThat(route("select nextval('s')").reason()).isEqualTo("it calls nextval(), not known to be read-only");
        assertThat(route("select * from t for no key update").reason()).isEqualTo("a SELECT ... FOR NO KEY UPDATE locks rows");
        assertThat(route("begin").reason()).isEqualTo("a transaction not declared READ ONLY may write");
        assertThat(route("select 1; insert into t values (1)").reason()).isEqualTo("INSERT is not a query");
        assertThat(route("select 1").reason()).isEqualTo("a query that only reads");
        assertThat(route("x".repeat(StatementClassifier.MAX_TEXT + 1)).reason()).startsWith("longer than");
    }

    @Test
    void learnedCatalogFunctionsReadOnly() {
        assertThat(route("select abbrev('10.0.0.1'::inet)").readOnly()).isFalse();
        ReadOnlyFunctions learned = new ReadOnlyFunctions(Set.of("abbrev"));
        assertThat(StatementClassifier.classify("select abbrev('10.0.0.1'::inet)", learned).readOnly()).isTrue();
        assertThat(StatementClassifier.classify("select pg_catalog.abbrev('10.0.0.1'::inet)", learned).readOnly()).isTrue();
        assertThat(StatementClassifier.classify("select app.abbrev('10.0.0.1'::inet)", learned).readOnly()).isFalse();
        assertThat(StatementClassifier.classify("select \"ABBREV\"('10.0.0.1'::inet)", learned).readOnly()).isFalse();
    }
}
