"""Hostile inputs for pg_query / pg_explain, and the ordinary reads analysts send (data only).

`{secret}` is a file the database server can read and whose content must never come back;
`{marker}` is a path the server could write and which must never appear. The test database holds
a `canary` table, a `canary_seq` sequence and booby-trapped objects (see
query_traps.py): `evil()` writes the marker file with COPY (allowed in a read-only
transaction!), `public.lower(int)` shadows a built-in, `evil_domain` calls evil in its CHECK,
`public.===` is an operator over evil, and a user cast turns `evil_box` into money through evil.

Expectations:
- "refused": the static guard (pglast) refuses it.
- "refused_by_catalog": the static guard lets it through (it names only built-in-looking things),
  the look-alike check in the database refuses it.
- "harmless": accepted, and it changes nothing (a string literal, a comment, a capped big read).
- "either": refused, or accepted and harmless (parser limits decide).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ANALYST_READS", "ANALYST_SETUP_SQL", "ATTACKS", "Attack"]


@dataclass(frozen=True)
class Attack:
    name: str
    sql: str
    expect: str  # refused | refused_by_catalog | harmless | either
    reason: str = ""  # a substring the refusal must contain


_S = "{secret}"
_M = "{marker}"

ATTACKS: list[Attack] = [
    # --- A.5: multi-statement through the simple protocol, and first-word checks
    Attack("commit_then_drop", "COMMIT; DROP TABLE canary", "refused", "statements"),
    Attack("select_commit_drop", "SELECT 1; COMMIT; DROP TABLE canary", "refused", "statements"),
    Attack("rollback_then_delete", "ROLLBACK; DELETE FROM canary", "refused", "statements"),
    Attack("select_then_copy_program", f"SELECT 1; COMMIT; COPY canary TO PROGRAM 'touch {_M}'", "refused", "statements"),
    Attack("leading_block_comment", "/* just a read */ DELETE FROM canary", "refused", "DELETE writes"),
    Attack("leading_line_comment", "-- SELECT\nDELETE FROM canary", "refused", "DELETE writes"),
    Attack("comment_hides_nothing", "SELECT 1 -- ; DELETE FROM canary", "harmless"),
    Attack("nested_comment", "SELECT 1 /* outer /* inner */ ; DELETE FROM canary */", "harmless"),
    Attack("lone_comment", "-- nothing here", "refused", "0 statements"),
    Attack("empty", "   ", "refused", "empty"),
    # --- A.5: functions in FROM (crystaldba #178) and friends
    Attack("read_file_in_from", f"SELECT * FROM pg_read_file('{_S}')", "refused", "pg_read_file reads server files"),
    Attack("read_file_in_select", f"SELECT pg_read_file('{_S}')", "refused", "reads server files"),
    Attack("read_file_qualified", f"SELECT * FROM pg_catalog.pg_read_file('{_S}', 0, 100)", "refused", "reads server files"),
    Attack("read_binary_lateral", f"SELECT * FROM canary, LATERAL pg_read_binary_file('{_S}') AS f(b)", "refused", "reads server files"),
    Attack("read_file_rows_from", f"SELECT * FROM ROWS FROM (generate_series(1, 2), pg_read_file('{_S}'))", "refused", "reads server files"),
    Attack("read_file_in_cast", f"SELECT * FROM json_to_record(pg_read_file('{_S}')::json) AS t(a int)", "refused", "reads server files"),
    Attack("read_file_in_agg_order", f"SELECT array_agg(x ORDER BY pg_read_file('{_S}')) FROM generate_series(1, 2) x", "refused", "reads server files"),
    Attack("read_file_in_filter", f"SELECT count(*) FILTER (WHERE pg_read_file('{_S}') <> '') FROM canary", "refused", "reads server files"),
    Attack("read_file_in_window", f"SELECT row_number() OVER (ORDER BY pg_read_file('{_S}')) FROM canary", "refused", "reads server files"),
    Attack("read_file_in_xmltable", f"SELECT * FROM XMLTABLE('/x' PASSING xmlparse(document pg_read_file('{_S}')) COLUMNS a text)", "refused", "reads server files"),
    Attack("read_file_in_values", f"VALUES (pg_read_file('{_S}'))", "refused", "reads server files"),
    Attack("read_file_unicode_ident", f"SELECT U&\"\\0070g_read_file\"('{_S}')", "refused", "reads server files"),
    Attack("read_file_in_explain", f"EXPLAIN SELECT pg_read_file('{_S}')", "refused", "reads server files"),
    Attack("stat_file", f"SELECT pg_stat_file('{_S}')", "refused", "reads server files"),
    Attack("ls_dir", "SELECT * FROM pg_ls_dir('.')", "refused", "reads server files"),
    Attack("ls_waldir", "SELECT * FROM pg_catalog.pg_ls_waldir()", "refused", "reads server files"),
    Attack("xxe_entity", f"SELECT xmlparse(document '<!DOCTYPE x [<!ENTITY e SYSTEM \"file://{_S}\">]><x>&e;</x>')", "harmless"),
    # --- A.5: flipping read-only off
    Attack("set_config_read_only", "SELECT set_config('default_transaction_read_only', 'off', false)", "refused", "set_config changes server or session settings"),
    Attack("set_config_search_path", "SELECT set_config('search_path', 'evil', true)", "refused", "set_config"),
    Attack("set_read_only_off", "SET default_transaction_read_only = off", "refused", "SET/RESET"),
    Attack("set_transaction_rw", "SET TRANSACTION READ WRITE", "refused", "SET/RESET"),
    Attack("session_characteristics", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "refused", "SET/RESET"),
    Attack("begin_read_write", "BEGIN READ WRITE", "refused", "transaction control"),
    Attack("start_rw_then_delete", "START TRANSACTION READ WRITE; DELETE FROM canary", "refused", "statements"),
    Attack("set_role", "SET ROLE postgres", "refused", "SET/RESET"),
    Attack("set_session_authorization", "SET SESSION AUTHORIZATION postgres", "refused", "SET/RESET"),
    Attack("reset_all", "RESET ALL", "refused", "SET/RESET"),
    Attack("reset_role", "RESET ROLE", "refused", "SET/RESET"),
    Attack("discard_all", "DISCARD ALL", "refused", "DISCARD"),
    # --- A.5: COPY
    Attack("copy_to_program", f"COPY canary TO PROGRAM 'touch {_M}'", "refused", "PROGRAM runs a shell command"),
    Attack("copy_query_to_program", f"COPY (SELECT 1) TO PROGRAM 'touch {_M}'", "refused", "PROGRAM"),
    Attack("copy_to_file", f"COPY (SELECT 1) TO '{_M}'", "refused", "COPY"),
    Attack("copy_from_file", f"COPY canary FROM '{_S}'", "refused", "COPY"),
    # --- A.5: quoting tricks
    Attack("backslash_quote_breakout", "SELECT 'a\\'; DELETE FROM canary; --'", "refused", "statements"),
    Attack("escape_string_inert", "SELECT E'a\\'; DELETE FROM canary; --'", "harmless"),
    Attack("escape_in_where", "SELECT * FROM canary WHERE note = E'\\x27; DELETE FROM canary; --'", "harmless"),
    Attack("dollar_quote_inert", "SELECT $$; DELETE FROM canary; $$", "harmless"),
    Attack("dollar_tag_breakout", "SELECT $a$ $$ $a$; DELETE FROM canary", "refused", "statements"),
    Attack("unicode_string_breakout", "SELECT U&'\\0027'; DELETE FROM canary", "refused", "statements"),
    Attack("psql_backslash_semicolon", "SELECT 1 \\; DELETE FROM canary", "refused"),
    Attack("nul_byte", "SELECT 1\x00; DELETE FROM canary", "refused", "NUL"),
    Attack("semicolons_only", "SELECT 1;;;", "harmless"),
    # --- writes hidden in CTEs, INTO, locks
    Attack("cte_delete", "WITH d AS (DELETE FROM canary RETURNING *) SELECT * FROM d", "refused", "DELETE inside"),
    Attack("cte_update", "WITH u AS (UPDATE canary SET note = 'x' RETURNING *) SELECT count(*) FROM u", "refused", "UPDATE inside"),
    Attack("cte_insert", "WITH i AS (INSERT INTO canary VALUES (99, 'x') RETURNING *) SELECT 1", "refused", "INSERT inside"),
    Attack("cte_nested_delete", "WITH a AS (SELECT 1), b AS (WITH c AS (DELETE FROM canary RETURNING 1) SELECT * FROM c) SELECT * FROM b", "refused", "DELETE inside"),
    Attack("cte_merge", "WITH m AS (MERGE INTO canary c USING (SELECT 1 AS id) s ON c.id = s.id WHEN MATCHED THEN DELETE RETURNING c.id) SELECT 1", "refused", "MERGE inside"),
    Attack("explain_analyze_cte_delete", "EXPLAIN (ANALYZE) WITH d AS (DELETE FROM canary RETURNING *) SELECT * FROM d", "refused", "EXPLAIN ANALYZE"),
    Attack("select_into", "SELECT * INTO stolen FROM canary", "refused", "SELECT INTO"),
    Attack("create_table_as", "CREATE TABLE stolen AS SELECT * FROM canary", "refused", "CREATE TABLE AS"),
    Attack("for_update", "SELECT * FROM canary FOR UPDATE", "refused", "FOR UPDATE/SHARE"),
    Attack("for_share_skip_locked", "SELECT * FROM canary FOR SHARE SKIP LOCKED", "refused", "FOR UPDATE/SHARE"),
    Attack("for_update_in_subquery", "SELECT * FROM (SELECT * FROM canary FOR NO KEY UPDATE) s", "refused", "FOR UPDATE/SHARE"),
    # --- state-changing built-ins
    Attack("nextval", "SELECT nextval('canary_seq')", "refused", "advances or sets a sequence"),
    Attack("setval", "SELECT setval('canary_seq', 1000)", "refused", "sequence"),
    Attack("advisory_lock", "SELECT pg_advisory_lock(1)", "refused", "advisory locks"),
    Attack("advisory_try_xact", "SELECT pg_catalog.pg_try_advisory_xact_lock(1)", "refused", "advisory locks"),
    Attack("txid_current", "SELECT txid_current()", "refused", "transaction id"),
    Attack("current_xact_id", "SELECT pg_current_xact_id()", "refused", "transaction id"),
    Attack("sleep", "SELECT pg_sleep(30)", "refused", "sleeps"),
    Attack("sleep_for", "SELECT pg_sleep_for('1 minute')", "refused", "sleeps"),
    Attack("terminate_backends", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "refused", "server processes"),
    Attack("cancel_self", "SELECT pg_cancel_backend(pg_backend_pid())", "refused", "server processes"),
    Attack("reload_conf", "SELECT pg_reload_conf()", "refused", "settings"),
    Attack("rotate_logfile", "SELECT pg_rotate_logfile()", "refused", "server processes"),
    Attack("switch_wal", "SELECT pg_switch_wal()", "refused", "server processes"),
    Attack("lo_import", f"SELECT lo_import('{_S}')", "refused", "reads server files"),
    Attack("lo_export", f"SELECT lo_export(lo_from_bytea(0, 'x'), '{_M}')", "refused", "writes server files"),
    Attack("lo_in_subquery", "SELECT * FROM canary WHERE id IN (SELECT lo_unlink(1))", "refused", "large objects"),
    Attack("query_to_xml", "SELECT query_to_xml('DELETE FROM canary RETURNING 1', true, false, '')", "refused", "executes SQL text"),
    Attack("table_to_xml", "SELECT table_to_xml('canary', true, false, '')", "refused", "executes SQL text"),
    Attack("cursor_to_xml", "SELECT cursor_to_xml('c', 1, true, false, '')", "refused", "executes SQL text"),
    Attack("ts_stat", "SELECT * FROM ts_stat('DELETE FROM canary RETURNING to_tsvector(note)')", "refused", "executes SQL text"),
    Attack("pg_notify", "SELECT pg_notify('ch', 'x')", "refused", "notifications"),
    Attack("logical_message", "SELECT pg_logical_emit_message(true, 'p', 'x')", "refused", "notifications"),
    Attack("dblink_exec", "SELECT dblink_exec('dbname=postgres', 'DROP TABLE canary')", "refused", "other databases"),
    Attack("dblink_from", "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(a int)", "refused", "other databases"),
    Attack("input_is_valid_domain", "SELECT pg_input_is_valid('x', 'evil_domain')", "refused", "input function"),
    # --- user-defined code: direct, hidden, through casts and operators
    Attack("evil_direct", "SELECT evil()", "refused", "not on the allowlist"),
    Attack("evil_qualified", "SELECT public.evil()", "refused", "not a built-in"),
    Attack("evil_in_from", "SELECT * FROM evil()", "refused", "evil"),
    Attack("evil_in_where", "SELECT 1 FROM canary WHERE evil() > 0", "refused", "evil"),
    Attack("evil_scalar_subquery", "SELECT (SELECT evil())", "refused", "evil"),
    Attack("evil_lateral", "SELECT * FROM canary, LATERAL (SELECT evil()) s", "refused", "evil"),
    Attack("evil_union", "SELECT 1 UNION ALL SELECT evil()", "refused", "evil"),
    Attack("evil_case", "SELECT CASE WHEN true THEN evil() END", "refused", "evil"),
    Attack("evil_in_explain", "EXPLAIN SELECT evil()", "refused", "evil"),
    Attack("evil_quoted_name", 'SELECT "evil"()', "refused", "evil"),
    Attack("operator_qualified", "SELECT 1 OPERATOR(public.===) 2", "refused", "not a built-in (pg_catalog) operator"),
    Attack("operator_unqualified", "SELECT 1 === 2", "refused_by_catalog", "operator === is also defined in schema public (not by an extension)"),
    Attack("shadowed_builtin", "SELECT lower(1)", "refused_by_catalog", "function lower is also defined in schema public"),
    Attack("domain_cast", "SELECT 'x'::evil_domain", "refused_by_catalog", "type public.evil_domain can run user-defined code"),
    Attack("domain_in_column_list", "SELECT * FROM json_to_record('{\"a\": \"x\"}') AS t(a evil_domain)", "refused_by_catalog", "evil_domain"),
    Attack("user_cast_into_builtin", "SELECT ROW(1)::evil_box::money", "refused_by_catalog", "user-defined cast into type money"),
    Attack("tablesample_custom", "SELECT * FROM canary TABLESAMPLE evil(10)", "refused", "TABLESAMPLE"),
    # --- statements that are not reads
    Attack("do_block", "DO $$ BEGIN DELETE FROM canary; END $$", "refused", "DO runs procedural code"),
    Attack("call_procedure", "CALL evil_proc()", "refused", "CALL"),
    Attack("prepare", "PREPARE p AS DELETE FROM canary", "refused", "PREPARE"),
    Attack("execute", "EXECUTE p", "refused", "EXECUTE"),
    Attack("listen", "LISTEN ch", "refused", "LISTEN"),
    Attack("notify", "NOTIFY ch, 'x'", "refused", "NOTIFY"),
    Attack("unlisten", "UNLISTEN *", "refused", "UNLISTEN"),
    Attack("explain_analyze_delete", "EXPLAIN ANALYZE DELETE FROM canary", "refused", "EXPLAIN ANALYZE"),
    Attack("explain_delete", "EXPLAIN DELETE FROM canary", "refused", "only reads may be explained"),
    Attack("explain_analyze_select_evil", "EXPLAIN ANALYZE SELECT evil()", "refused", "EXPLAIN ANALYZE"),
    Attack("drop_table", "DROP TABLE canary", "refused", "DROP"),
    Attack("truncate", "TRUNCATE canary", "refused", "TRUNCATE"),
    Attack("vacuum", "VACUUM canary", "refused", "VACUUM"),
    Attack("lock_table", "LOCK TABLE canary IN ACCESS EXCLUSIVE MODE", "refused", "LOCK"),
    Attack("alter_system", "ALTER SYSTEM SET work_mem = '1TB'", "refused", "ALTER SYSTEM statement"),
    Attack("create_extension", "CREATE EXTENSION dblink", "refused", "CREATE EXTENSION statement"),
    Attack("grant", "GRANT ALL ON canary TO PUBLIC", "refused", "GRANT"),
    Attack("checkpoint", "CHECKPOINT", "refused", "CHECKPOINT"),
    Attack("load_library", "LOAD 'plpgsql'", "refused", "LOAD"),
    Attack("declare_cursor", "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM canary", "refused", "cursors"),
    # --- size and depth
    Attack("too_long", "SELECT " + "1+" * 60_000 + "1", "refused", "limit is"),
    Attack("long_but_fine", "SELECT " + " + ".join(["1"] * 3_000), "harmless"),
    Attack("deep_parentheses", "SELECT " + "(" * 3_000 + "1" + ")" * 3_000, "either"),
    Attack("deep_subqueries", "SELECT * FROM " + "(SELECT * FROM " * 60 + "canary" + ") s" * 60, "harmless"),
    Attack("huge_series_capped", "SELECT generate_series(1, 100000000000) AS g", "harmless"),
    Attack("huge_cells_capped", "SELECT repeat('x', 500000) FROM generate_series(1, 20)", "harmless"),
    Attack("column_named_like_function", "SELECT pg_read_file FROM (SELECT 1 AS pg_read_file) s", "harmless"),
]

# A small shop: what an analyst's database looks like.
ANALYST_SETUP_SQL = """
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, region text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(10,2),
                     status text, created_at timestamptz, meta jsonb);
INSERT INTO customers SELECT i, 'Customer ' || i, 'c' || i || CASE WHEN i % 2 = 0 THEN '@example.com' ELSE '@mail.test' END,
       (ARRAY['eu', 'us', 'apac'])[1 + i % 3] FROM generate_series(1, 50) i;
INSERT INTO orders SELECT i, 1 + i % 50, (i * 7 % 300) + 0.99, (ARRAY['paid', 'refunded', 'open'])[1 + i % 3],
       timestamptz '2026-01-01 00:00+00' + i * interval '5 hours',
       jsonb_build_object('channel', CASE WHEN i % 2 = 0 THEN 'web' ELSE 'app' END, 'items', jsonb_build_array(i, i + 1),
                          'gift', i % 7 = 0)
FROM generate_series(1, 500) i;
ANALYZE customers; ANALYZE orders;
"""

ANALYST_READS: list[str] = [
    "SELECT customer_id, total, rank() OVER (PARTITION BY customer_id ORDER BY total DESC) FROM orders",
    "SELECT id, sum(total) OVER (ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM orders",
    "SELECT id, total - lag(total) OVER w AS delta, lead(total) OVER w FROM orders WINDOW w AS (ORDER BY id)",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median FROM orders",
    "SELECT status, percentile_disc(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY total) FROM orders GROUP BY status",
    "SELECT mode() WITHIN GROUP (ORDER BY status) FROM orders",
    "SELECT meta->>'channel' AS channel, count(*) FROM orders GROUP BY 1",
    "SELECT meta->'items'->0, meta #>> '{items,1}' FROM orders WHERE meta @> '{\"gift\": true}' AND meta ? 'items'",
    "SELECT o.id, item FROM orders o CROSS JOIN LATERAL jsonb_array_elements(o.meta->'items') AS item LIMIT 10",
    "SELECT jsonb_path_query_array(meta, '$.items[*] ? (@ > 100)') FROM orders LIMIT 5",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT sum(i) FROM n",
    "SELECT d::date, count(o.id) FROM generate_series(timestamptz '2026-01-01', timestamptz '2026-01-31', interval '1 day') d "
    "LEFT JOIN orders o ON date_trunc('day', o.created_at) = d GROUP BY 1 ORDER BY 1",
    "SELECT relname, n_live_tup, seq_scan, idx_scan FROM pg_stat_user_tables ORDER BY n_live_tup DESC",
    "SELECT indexrelid::regclass AS index, idx_scan FROM pg_stat_user_indexes",
    "SELECT pg_size_pretty(pg_total_relation_size('orders')), pg_relation_size('orders'::regclass)",
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
    "SELECT date_trunc('week', created_at) AS week, count(*), sum(total) FROM orders GROUP BY 1 ORDER BY 1",
    "SELECT extract(dow FROM created_at), age(timestamptz '2027-01-01', created_at), created_at AT TIME ZONE 'UTC' FROM orders LIMIT 3",
    "SELECT upper(name), split_part(email, '@', 2), concat_ws(' / ', name, region), left(name, 3), initcap(region), "
    "format('%s-%s', id, region), length(email) FROM customers",
    "SELECT email FROM customers WHERE email ~* '@example\\.com$' AND name !~ 'x'",
    "SELECT regexp_replace(email, '@.*$', ''), substring(email FROM '@(.*)$'), (regexp_matches(name, '[0-9]+'))[1] FROM customers",
    "SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) FILTER (WHERE status = 'refunded') AS refunded FROM orders",
    "SELECT region, status, sum(total) FROM orders JOIN customers c ON c.id = orders.customer_id GROUP BY ROLLUP (region, status)",
    "SELECT region, status, count(*) FROM orders JOIN customers c ON c.id = orders.customer_id GROUP BY GROUPING SETS ((region), (status), ())",
    "SELECT DISTINCT ON (customer_id) customer_id, id, created_at FROM orders ORDER BY customer_id, created_at DESC",
    "SELECT CASE WHEN total > 100 THEN 'big' ELSE 'small' END, coalesce(region, '?'), nullif(status, 'open'), greatest(total, 10) "
    "FROM orders JOIN customers c ON c.id = customer_id LIMIT 5",
    "SELECT c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.total > 250) "
    "AND c.id NOT IN (SELECT customer_id FROM orders WHERE status = 'refunded' AND total > 290) AND c.id = ANY(ARRAY[1, 2, 3, 4])",
    "SELECT customer_id, string_agg(status, ',' ORDER BY id), array_agg(id ORDER BY id DESC), json_agg(total), "
    "jsonb_object_agg(id, total) FROM orders WHERE customer_id < 3 GROUP BY customer_id",
    "SELECT c.name, last.created_at FROM customers c LEFT JOIN LATERAL (SELECT created_at FROM orders o "
    "WHERE o.customer_id = c.id ORDER BY created_at DESC LIMIT 1) last ON true",
    "SELECT v.region, v.label, count(*) FROM (VALUES ('eu', 'Europe'), ('us', 'United States')) AS v(region, label) "
    "JOIN customers USING (region) GROUP BY 1, 2",
    "TABLE customers",
    "SHOW work_mem",
    "EXPLAIN SELECT * FROM orders WHERE customer_id = 3",
    "SELECT region FROM customers UNION SELECT status FROM orders EXCEPT SELECT 'open' INTERSECT SELECT 'paid'",
    "SELECT to_char(created_at, 'YYYY-MM') AS month, make_interval(days => 3), justify_interval(interval '40 days') FROM orders LIMIT 2",
    "SELECT round(avg(total), 2), stddev(total), corr(id, total), width_bucket(42, 0, 300, 10) FROM orders",
    "SELECT name FROM customers WHERE name ILIKE 'customer 1%' OR email LIKE '%@mail.test' OR region SIMILAR TO '(eu|us)'",
    "SELECT pid, state, wait_event_type, now() - query_start AS running FROM pg_stat_activity WHERE datname = current_database()",
    "SELECT current_setting('server_version_num')::int >= 150000 AS modern, version(), current_user, current_database()",
    "SELECT gen_random_uuid() IS NOT NULL, random() < 1, clock_timestamp() >= now()",
    "SELECT id FROM orders TABLESAMPLE bernoulli(10) REPEATABLE (42)",
    "SELECT 'orders'::regclass::oid > 0, to_regclass('public.orders'), pg_typeof(1.5)",
    "SELECT ARRAY[1, 2] && ARRAY[2, 3], x, ord FROM unnest(ARRAY['a', 'b']) WITH ORDINALITY AS t(x, ord)",
    "SELECT count(*) FROM orders WHERE created_at BETWEEN timestamptz '2026-02-01' - interval '30 days' AND timestamptz '2026-02-01'",
    "SELECT count(DISTINCT customer_id), (1, 2) < (1, 3) FROM orders",
    "SELECT i.relname AS index, pg_get_indexdef(ix.indexrelid) FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
    "JOIN pg_class t ON t.oid = ix.indrelid WHERE t.relname = 'orders'",
]

# Pieces for the property test: each slot is filled from its SAFE or its HOSTILE list. A query built
# only from SAFE pieces is a plain read; one HOSTILE piece, in a position where it takes effect,
# makes it a write, a file read, a lock or a session change.
PIECES: dict[str, tuple[list[str], list[str]]] = {
    "comment": (["", "/* read */ ", "-- note\n"], []),
    "cte": (
        ["", "WITH w AS (SELECT 1 AS x) ", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3) "],
        ["WITH w AS (DELETE FROM canary RETURNING *) ", "WITH w AS (INSERT INTO canary VALUES (7, 'x') RETURNING *) ",
         "WITH w AS (UPDATE canary SET note = 'x' RETURNING *) ", "WITH w AS (SELECT nextval('canary_seq')) "],
    ),
    "expr": (
        ["1", "id", "note", "lower(note)", "count(*) OVER ()", "coalesce(note, 'x')", "id + 1", "now()",
         "(SELECT max(id) FROM canary)", "note || 'a'", "length(note)", "'pg_read_file(''/etc/passwd'')'",
         "$$; DELETE FROM canary; $$", "id::text::int", "ARRAY[id] @> ARRAY[1]"],
        ["pg_read_file('/etc/passwd')", "nextval('canary_seq')", "set_config('a.b', 'c', false)", "evil()",
         "public.evil()", "pg_advisory_lock(1)", "lo_import('/etc/passwd')", "query_to_xml('select 1', true, true, '')",
         "pg_sleep(1)", "txid_current()", "(SELECT pg_read_file('x'))", "1 OPERATOR(public.+) 1",
         "dblink('a', 'b')", "pg_terminate_backend(1)", "pg_catalog.setval('canary_seq', 5)"],
    ),
    "into": ([""], [" INTO stolen"]),
    "from": (
        ["canary", "canary c", "generate_series(1, 3) g(id)", "(SELECT * FROM canary) s", "canary, LATERAL (SELECT 1) l(z)"],
        ["pg_read_file('/etc/passwd') f(id)", "pg_ls_dir('.') d(id)", "evil() e(id)", "canary, LATERAL evil() l(z)"],
    ),
    "suffix": (["", " ORDER BY 1", " LIMIT 5", " WHERE id IS NOT NULL"], [" FOR UPDATE", " FOR SHARE", " FOR KEY SHARE NOWAIT"]),
    "trailer": (["", ";", " ;  "], ["; DELETE FROM canary", "; COMMIT; DROP TABLE canary", "; SET default_transaction_read_only = off"]),
}
QUERY_SHAPE = "{comment}{cte}SELECT {expr}, {expr2}{into} FROM {from}{suffix}{trailer}"
