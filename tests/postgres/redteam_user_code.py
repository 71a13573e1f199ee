"""Second hostile round (data only): reads that reach user-defined code, and secrets in query text.

`USER_CODE_TRAPS_SQL` builds a booby-trapped schema: every user function calls `evil()`, which writes
the file `{marker}` from inside the server (COPY is allowed in a read-only transaction). Each input of
`USER_CODE_ATTACKS` runs that code when PostgreSQL parses, plans or executes it without our guard
(test_redteam_user_code.py checks that too, so the corpus stays real), and must be refused. The
schema holds only user types, domains and oddly named operators, so `ANALYST_READS` still run on it,
and a production-like schema whose domains, CHECKs and indexes call only built-ins, which
`SAFE_SCHEMA_READS` read without refusal.
"""

from __future__ import annotations

__all__ = ["SAFE_SCHEMA_READS", "STATIC_ONLY_ATTACKS", "USER_CODE_ATTACKS", "USER_CODE_TRAPS_SQL", "UserCodeAttack"]

from dataclasses import dataclass


@dataclass(frozen=True)
class UserCodeAttack:
    name: str
    sql: str
    reason: str  # a substring of the refusal
    live: str = "run"  # unguarded it runs user code when: run (executed) | explain (planned) | none
    since: int = 14  # the first PostgreSQL major that accepts the input (before it, it must still be refused)


USER_CODE_TRAPS_SQL = """
CREATE FUNCTION evil() RETURNS int LANGUAGE plpgsql AS $f$
BEGIN EXECUTE format('COPY (SELECT 1) TO %L', '{marker}'); RETURN 1; END $f$;
CREATE FUNCTION evil_text(text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN true; END $f$;
CREATE FUNCTION evil_int(int) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN true; END $f$;
CREATE DOMAIN trap_d1 AS text CHECK (evil_text(VALUE));
CREATE DOMAIN trap_d2 AS trap_d1;
CREATE TYPE trap_comp AS (a int, b trap_d1);
CREATE TYPE trap_range AS RANGE (subtype = trap_d1);
CREATE TYPE trap_pair AS (v int);
CREATE FUNCTION trap_pair_op(trap_pair, trap_pair) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN true; END $f$;
CREATE FUNCTION trap_pair_cmp(trap_pair, trap_pair) RETURNS int LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN 0; END $f$;
CREATE OPERATOR = (LEFTARG = trap_pair, RIGHTARG = trap_pair, FUNCTION = trap_pair_op);
CREATE OPERATOR <> (LEFTARG = trap_pair, RIGHTARG = trap_pair, FUNCTION = trap_pair_op);
CREATE OPERATOR < (LEFTARG = trap_pair, RIGHTARG = trap_pair, FUNCTION = trap_pair_op);
CREATE OPERATOR <= (LEFTARG = trap_pair, RIGHTARG = trap_pair, FUNCTION = trap_pair_op);
CREATE OPERATOR > (LEFTARG = trap_pair, RIGHTARG = trap_pair, FUNCTION = trap_pair_op);
CREATE OPERATOR >= (LEFTARG = trap_pair, RIGHTARG = trap_pair, FUNCTION = trap_pair_op);
CREATE OPERATOR CLASS trap_pair_ops DEFAULT FOR TYPE trap_pair USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 trap_pair_cmp(trap_pair, trap_pair);
CREATE FUNCTION trap_int_cmp(int, int) RETURNS int LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN btint4cmp($1, $2); END $f$;
CREATE OPERATOR CLASS trap_int_ops FOR TYPE int4 USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 trap_int_cmp(int, int);
CREATE SCHEMA trapns;
CREATE FUNCTION trapns.eq(int, int) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN $1 = $2; END $f$;
CREATE OPERATOR trapns.= (LEFTARG = int, RIGHTARG = int, FUNCTION = trapns.eq);
CREATE OPERATOR trapns.<= (LEFTARG = int, RIGHTARG = int, FUNCTION = trapns.eq);
CREATE OPERATOR public.~~~ (LEFTARG = int, RIGHTARG = int, FUNCTION = trapns.eq);
CREATE TYPE trap_mood AS ENUM ('calm', 'busy');
CREATE TABLE tagged (id int, moods trap_mood[], boxes int[]);
CREATE TABLE plain (id int PRIMARY KEY, note text, j jsonb);
INSERT INTO plain VALUES (1, 'a', '{"b": "x"}'), (2, 'b', '{"b": "y"}');
CREATE TABLE trap_dom_tab (id int, v trap_d2);
INSERT INTO trap_dom_tab VALUES (1, 'x');
CREATE TABLE trap_pair_tab (id int, p trap_pair);
INSERT INTO trap_pair_tab VALUES (1, ROW(1)), (2, ROW(2));
CREATE TABLE trap_arr_tab (id int, a trap_d1[]);
INSERT INTO trap_arr_tab VALUES (1, ARRAY['x']::trap_d1[]);
CREATE VIEW trap_view AS SELECT id, evil() AS e FROM plain;
CREATE VIEW trap_view_of_view AS SELECT id FROM trap_view;
CREATE TABLE trap_idx_tab (id int);
INSERT INTO trap_idx_tab SELECT generate_series(1, 2000);
CREATE INDEX trap_idx ON trap_idx_tab (id trap_int_ops);
ANALYZE trap_idx_tab;
CREATE TABLE trap_rls (id int);
INSERT INTO trap_rls VALUES (1);
ALTER TABLE trap_rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE trap_rls FORCE ROW LEVEL SECURITY;
CREATE POLICY trap_rls_p ON trap_rls USING (evil_int(id));
CREATE TABLE trap_parent (id int);
CREATE TABLE trap_child (v trap_d1) INHERITS (trap_parent);
INSERT INTO trap_child VALUES (1, 'x');
CREATE TABLE trap_part (k int) PARTITION BY RANGE (k trap_int_ops);
CREATE TABLE trap_part_1 PARTITION OF trap_part FOR VALUES FROM (0) TO (10);
CREATE TABLE trap_part_2 PARTITION OF trap_part FOR VALUES FROM (10) TO (20);
CREATE FUNCTION evil_texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN true; END $f$;
CREATE OPERATOR public.=~= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil_texteq);
CREATE FUNCTION trap_pair_circle(trap_pair) RETURNS circle LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN NULL; END $f$;
CREATE CAST (trap_pair AS circle) WITH FUNCTION trap_pair_circle(trap_pair);
CREATE DOMAIN trap_op_dom AS text CHECK (VALUE ~ '.' AND VALUE =~= 'x');
CREATE DOMAIN trap_outer AS trap_d1 CHECK (VALUE ~ 'x');
CREATE DOMAIN trap_pair_dom AS trap_pair CHECK ((VALUE).v > 0);
CREATE DOMAIN trap_cast_dom AS int CHECK ((ROW(VALUE)::trap_pair)::circle IS NULL);
CREATE DOMAIN trap_via_dom AS text CHECK ((VALUE::trap_d1) IS NOT NULL);
CREATE TYPE trap_op_comp AS (a trap_op_dom);
CREATE TABLE trap_outer_tab (id int, v trap_outer);
INSERT INTO trap_outer_tab VALUES (1, 'x');
CREATE TYPE trap_irange AS RANGE (subtype = int4, subtype_opclass = trap_int_ops);
CREATE FUNCTION evil_imm(int) RETURNS boolean IMMUTABLE LANGUAGE plpgsql AS $f$ BEGIN PERFORM public.evil(); RETURN true; END $f$;
CREATE TABLE trap_pidx_tab (id int) WITH (autovacuum_enabled = off);  -- ANALYZE runs the traps
INSERT INTO trap_pidx_tab SELECT generate_series(1, 1000);
CREATE INDEX trap_pidx ON trap_pidx_tab (id) WHERE evil_imm(1);
ANALYZE trap_pidx_tab;
CREATE TABLE trap_stx_tab (id int) WITH (autovacuum_enabled = off);
INSERT INTO trap_stx_tab SELECT generate_series(1, 100);
CREATE STATISTICS trap_stx ON (id + evil_imm(1)::int), id FROM trap_stx_tab;
ANALYZE trap_stx_tab;
CREATE TABLE trap_ck_parent (id int);
CREATE TABLE trap_ck_child (CHECK (evil_imm(1))) INHERITS (trap_ck_parent);
CREATE DOMAIN trap_sql_dom AS text CHECK (query_to_xml('SELECT public.evil()', true, true, '') IS NOT NULL);
DO $v$ BEGIN  -- SQL/JSON is PG 17+; before it the domain is simply over trap_d1 (still refused)
  IF current_setting('server_version_num')::int >= 170000 THEN
    EXECUTE $q$CREATE DOMAIN trap_json_dom AS text CHECK (JSON_VALUE(jsonb '"x"', '$' RETURNING trap_d1) IS NOT NULL)$q$;
    EXECUTE $q$CREATE VIEW trap_json_view AS SELECT JSON_VALUE(jsonb '"x"', '$' RETURNING trap_d1) IS NOT NULL AS b$q$;
  ELSE CREATE DOMAIN trap_json_dom AS trap_d1; CREATE VIEW trap_json_view AS SELECT 'x'::trap_d1 AS b; END IF; END $v$;
CREATE VIEW trap_sql_view AS SELECT query_to_xml('SELECT public.evil()', true, true, '') AS x;
CREATE TABLE trap_pkey (k int) PARTITION BY RANGE ((k + evil_imm(1)::int));
CREATE TABLE trap_pkey_1 PARTITION OF trap_pkey FOR VALUES FROM (0) TO (100);
CREATE DOMAIN email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$') CHECK (length(VALUE) < 320);
CREATE DOMAIN work_email AS email CHECK (VALUE LIKE '%@%.%') NOT NULL;
CREATE DOMAIN email_list AS email[] CHECK (cardinality(VALUE) < 10);
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0 AND VALUE IN (1, 2, 3) IS NOT NULL);
CREATE DOMAIN price AS numeric(10, 2) CHECK (VALUE >= 0::numeric AND VALUE::text <> '' AND lower(VALUE::text) = VALUE::text);
CREATE TYPE contact AS (name text, mail email);
CREATE TYPE span AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE people (id positive_int PRIMARY KEY, mail email, work work_email, mails email_list, c contact, s span,
                     cost price, CHECK (mail IS DISTINCT FROM work));
CREATE INDEX people_mail ON people (lower(mail)) WHERE cost > 0;
CREATE STATISTICS people_stx ON (lower(mail)), cost FROM people;
INSERT INTO people VALUES (1, 'a@b', 'a@b.c', ARRAY['a@b']::email[], ROW('n', 'a@b'), '[1,2]', 3.5);
CREATE TABLE audited (id int, note text);
INSERT INTO audited VALUES (1, 'a');
CREATE RULE audited_log AS ON INSERT TO audited DO ALSO SELECT public.evil();  -- reads never run it
ALTER TABLE audited ENABLE ROW LEVEL SECURITY;
CREATE POLICY audited_upd ON audited FOR UPDATE USING (evil_int(id));  -- nor a write-only policy
CREATE POLICY audited_read ON audited FOR SELECT USING (id > 0);
CREATE TABLE trap_rls_read (id int);
ALTER TABLE trap_rls_read ENABLE ROW LEVEL SECURITY;
CREATE POLICY trap_rls_read_p ON trap_rls_read FOR SELECT USING (evil_int(id));
CREATE VIEW people_view AS SELECT id, mail, lower(mail) AS m, c FROM people WHERE mail ~ '@';
"""

_PAIR = "(SELECT ROW(1)::trap_pair) AS t(x)"
_TYPE = "can run user-defined code"
_REL = "can run user-defined code when read"

USER_CODE_ATTACKS: list[UserCodeAttack] = [
    # --- comparisons PostgreSQL finds by name, on a user type with user operators
    UserCodeAttack("in_subquery", f"SELECT x IN (SELECT x FROM {_PAIR}) FROM {_PAIR}", _TYPE),
    UserCodeAttack("not_in_list", f"SELECT x NOT IN (x, x) FROM {_PAIR}", _TYPE),
    UserCodeAttack("eq_any_subquery", f"SELECT x = ANY (SELECT x FROM {_PAIR}) FROM {_PAIR}", _TYPE),
    UserCodeAttack("eq_all_array", "SELECT ROW(1)::trap_pair = ALL (ARRAY[ROW(2)::trap_pair])", _TYPE),
    UserCodeAttack("some_subquery", f"SELECT x < SOME (SELECT x FROM {_PAIR}) FROM {_PAIR}", _TYPE),
    UserCodeAttack("between", "SELECT ROW(1)::trap_pair BETWEEN ROW(0)::trap_pair AND ROW(2)::trap_pair", _TYPE),
    UserCodeAttack("not_between_symmetric", "SELECT ROW(1)::trap_pair NOT BETWEEN SYMMETRIC ROW(2)::trap_pair AND ROW(0)::trap_pair", _TYPE),
    UserCodeAttack("simple_case", "SELECT CASE ROW(1)::trap_pair WHEN ROW(1)::trap_pair THEN 1 END", _TYPE),
    UserCodeAttack("nullif", "SELECT NULLIF(ROW(1)::trap_pair, ROW(2)::trap_pair)", _TYPE),
    UserCodeAttack("is_distinct", f"SELECT x IS DISTINCT FROM x FROM {_PAIR}", _TYPE),
    UserCodeAttack("column_in", "SELECT id FROM trap_pair_tab WHERE p IN (SELECT p FROM trap_pair_tab)", _REL),
    UserCodeAttack("column_order_by", "SELECT id FROM trap_pair_tab ORDER BY p", _REL),
    UserCodeAttack("column_group_by", "SELECT count(*) FROM trap_pair_tab GROUP BY p", _REL),
    UserCodeAttack("column_distinct", "SELECT DISTINCT p FROM trap_pair_tab", _REL),
    UserCodeAttack("column_union", "SELECT p FROM trap_pair_tab UNION SELECT p FROM trap_pair_tab", _REL),
    UserCodeAttack("column_join_using", "SELECT 1 FROM trap_pair_tab a JOIN trap_pair_tab b USING (p)", _REL),
    UserCodeAttack("column_max", "SELECT max(ARRAY[p]) FROM trap_pair_tab", _REL),
    UserCodeAttack("column_greatest", "SELECT greatest(p, p) FROM trap_pair_tab", _REL),
    UserCodeAttack("window_partition", "SELECT row_number() OVER (PARTITION BY p) FROM trap_pair_tab", _REL),
    # --- a table unsafe only through a column is readable without it: each way to read every column is refused
    UserCodeAttack("whole_row", "SELECT DISTINCT t FROM trap_pair_tab t, generate_series(1, 2)", _REL),
    UserCodeAttack("whole_row_field", "SELECT DISTINCT (t).p FROM trap_pair_tab t", _REL),
    UserCodeAttack("star", "SELECT DISTINCT * FROM trap_pair_tab", _REL),
    UserCodeAttack("qualified_star", "SELECT DISTINCT x.* FROM trap_pair_tab x", _REL),
    UserCodeAttack("star_ordinal_sort", "SELECT * FROM trap_pair_tab ORDER BY 2", _REL),
    UserCodeAttack("star_in_subquery", "SELECT id FROM (SELECT DISTINCT * FROM trap_pair_tab) s", _REL),
    UserCodeAttack("whole_cte_row", "WITH c AS (SELECT * FROM trap_pair_tab) SELECT DISTINCT c FROM c, generate_series(1, 2)", _REL),
    UserCodeAttack("renamed_columns", "SELECT DISTINCT b FROM trap_pair_tab AS x(a, b)", _REL),
    UserCodeAttack("renamed_join_columns", "SELECT DISTINCT j.b FROM (trap_pair_tab JOIN plain USING (id)) AS j(i, b)", _REL),
    UserCodeAttack("natural_join", "SELECT 1 FROM trap_pair_tab NATURAL JOIN trap_pair_tab t2", _REL),
    # --- schema-qualified operators in every position
    UserCodeAttack("qualified_op_any", "SELECT 1 OPERATOR(trapns.=) ANY (ARRAY[1, 2])", "not a built-in (pg_catalog) operator"),
    UserCodeAttack("qualified_op_all_subquery", "SELECT 1 OPERATOR(trapns.=) ALL (SELECT 1)", "not a built-in (pg_catalog) operator"),
    UserCodeAttack("qualified_op_order_using", "SELECT id FROM plain ORDER BY id USING OPERATOR(trapns.<=)", "not a built-in (pg_catalog) operator", "none"),
    UserCodeAttack("unqualified_odd_operator", "SELECT 1 ~~~ 2", "operator ~~~ is also defined"),
    # --- domains, arrays, composites, ranges
    UserCodeAttack("domain_over_domain", "SELECT 'x'::trap_d2", _TYPE),
    UserCodeAttack("array_of_domain_brackets", "SELECT '{x}'::trap_d1[]", _TYPE),
    UserCodeAttack("array_of_domain_underscore", "SELECT '{x}'::_trap_d1", _TYPE),
    UserCodeAttack("composite_with_domain", "SELECT '(1,x)'::trap_comp", _TYPE),
    UserCodeAttack("range_over_domain", "SELECT '[a,b]'::trap_range", _TYPE),
    UserCodeAttack("domain_column_repopulated", "SELECT jsonb_populate_record(t, '{\"v\": \"y\"}') FROM trap_dom_tab t", _REL),
    UserCodeAttack("array_domain_column", "SELECT id FROM trap_arr_tab WHERE a = '{x}'", _REL),
    # --- record producers and SQL/JSON
    UserCodeAttack("populate_record", "SELECT * FROM json_populate_record(NULL::trap_comp, '{\"a\": 1, \"b\": \"x\"}')", _TYPE),
    UserCodeAttack("populate_recordset", "SELECT * FROM jsonb_populate_recordset(NULL::trap_comp, '[{\"b\": \"x\"}]')", _TYPE),
    UserCodeAttack("to_record_columns", "SELECT * FROM json_to_record('{\"b\": \"x\"}') AS t(b trap_d1)", _TYPE),
    UserCodeAttack("to_recordset_columns", "SELECT * FROM jsonb_to_recordset('[{\"b\": \"x\"}]') AS t(b trap_d2)", _TYPE),
    UserCodeAttack("xmltable_column", "SELECT * FROM XMLTABLE('/r' PASSING ('<r><b>x</b></r>'::xml) COLUMNS b trap_d1)", _TYPE),
    UserCodeAttack("json_value_returning", "SELECT JSON_VALUE(jsonb '\"x\"', '$' RETURNING trap_d1)", _TYPE, since=17),
    UserCodeAttack("json_table_column", "SELECT * FROM JSON_TABLE(jsonb '[{\"b\": \"x\"}]', '$[*]' COLUMNS (b trap_d1 PATH '$.b')) t", _TYPE, since=17),
    UserCodeAttack("domain_in_by_oid", "SELECT domain_in('x', 'trap_d1'::regtype, -1)", "input function of a type named at run time"),
    UserCodeAttack("record_in_by_oid", "SELECT record_in('(1,x)', 'trap_comp'::regtype, -1)", "input function of a type named at run time"),
    # --- relations whose read runs user code
    UserCodeAttack("view_calls_function", "SELECT id FROM trap_view", _REL),
    UserCodeAttack("view_of_view", "SELECT * FROM trap_view_of_view", _REL),
    UserCodeAttack("rls_policy", "SELECT * FROM trap_rls", _REL, "none"),  # superusers bypass RLS; other roles run it
    UserCodeAttack("rls_select_policy", "SELECT * FROM trap_rls_read", _REL, "none"),
    UserCodeAttack("index_user_opclass", "SELECT * FROM trap_idx_tab WHERE id = 5", _REL),
    UserCodeAttack("partition_key_opclass", "SELECT * FROM trap_part WHERE k = 5", _REL, "explain"),
    UserCodeAttack("partial_index_predicate", "SELECT * FROM trap_pidx_tab WHERE id = 5", _REL, "explain"),
    UserCodeAttack("statistics_expression", "SELECT * FROM trap_stx_tab WHERE id = 5", _REL, "explain"),
    UserCodeAttack("partition_key_expression", "SELECT * FROM trap_pkey", _REL),
    UserCodeAttack("view_json_returning", "SELECT * FROM trap_json_view", _REL, since=17),
    UserCodeAttack("view_runs_sql_text", "SELECT * FROM trap_sql_view", _REL),
    UserCodeAttack("child_check_constraint", "SELECT * FROM trap_ck_parent WHERE id = 5", _REL, "explain"),
    # --- domain CHECKs are judged by what they call (pg_depend): each way for one to reach user code
    UserCodeAttack("domain_check_user_operator", "SELECT 'x'::trap_op_dom", _TYPE),
    UserCodeAttack("domain_check_cast_function", "SELECT 5::trap_cast_dom", _TYPE),
    UserCodeAttack("domain_check_runs_sql_text", "SELECT 'x'::trap_sql_dom", _TYPE),
    UserCodeAttack("domain_check_json_returning", "SELECT 'x'::trap_json_dom", _TYPE, since=17),
    UserCodeAttack("domain_check_via_domain", "SELECT 'x'::trap_via_dom", _TYPE),
    UserCodeAttack("safe_check_over_trap_domain", "SELECT 'x'::trap_outer", _TYPE),
    UserCodeAttack("safe_check_over_user_type", "SELECT ROW(1)::trap_pair_dom = ROW(1)::trap_pair_dom", _TYPE),
    UserCodeAttack("array_of_operator_domain", "SELECT '{x}'::trap_op_dom[]", _TYPE),
    UserCodeAttack("composite_of_operator_domain", "SELECT '(x)'::trap_op_comp", _TYPE),
    UserCodeAttack("row_type_domain_populated_subset", "SELECT id FROM jsonb_populate_record(NULL::trap_dom_tab, '{\"id\": 1, \"v\": \"y\"}')", _TYPE),
    UserCodeAttack("nested_domain_column", "SELECT jsonb_populate_record(t, '{\"v\": \"xy\"}') FROM trap_outer_tab t", _REL),
    UserCodeAttack("range_user_subtype_opclass", "SELECT '[1,5]'::trap_irange", _TYPE),
]

# Reads of a well-designed production schema (domains with built-in CHECKs, a range with a built-in subtype_diff,
# a CHECK, partial index and statistics of built-ins only), and reads that leave out a trapped column:
# none reaches user code, so none may be refused.
SAFE_SCHEMA_READS = [
    "SELECT id, mail, work, mails, c, s, cost FROM people WHERE mail LIKE '%@b' ORDER BY mail",
    "SELECT * FROM people_view WHERE m = 'a@b'",
    "SELECT 'x@y'::email, '{a@b}'::email[], ROW('n', 'a@b')::contact, '[1,3)'::span, 5::positive_int, 2.5::price",
    "SELECT (c).mail, upper(s), mails[1] FROM people WHERE cost > 1 GROUP BY c, s, mails",
    "SELECT jsonb_populate_record(p, '{\"mail\": \"z@z\"}') FROM people p",
    "SELECT * FROM json_to_record('{\"m\": \"q@r.s\"}') AS t(m work_email)",
    "SELECT id, note FROM audited",
    # tables with a column of a trapped type, read without that column
    "SELECT t.id, count(*) FROM trap_pair_tab t WHERE t.id > 0 GROUP BY t.id ORDER BY id",
    "SELECT id FROM trap_dom_tab JOIN trap_arr_tab USING (id) JOIN trap_child USING (id)",
]

# Inputs the static guard alone must refuse (no database needed).
STATIC_ONLY_ATTACKS = [a for a in USER_CODE_ATTACKS if ("operator" in a.reason and "defined" not in a.reason)
                       or "run time" in a.reason]
