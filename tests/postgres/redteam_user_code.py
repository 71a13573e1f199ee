"""Second hostile round (data only): reads that reach user-defined code, and secrets in query text.

`USER_CODE_TRAPS_SQL` builds a booby-trapped schema: every user function calls `evil()`, which writes
the file `{marker}` from inside the server (COPY is allowed in a read-only transaction). Each input of
`USER_CODE_ATTACKS` runs that code when PostgreSQL parses, plans or executes it without our guard
(test_redteam_user_code.py checks that too, so the corpus stays real), and must be refused. The
schema holds only user types, domains and oddly named operators, so `ANALYST_READS` still run on it.
"""

from __future__ import annotations

__all__ = ["STATIC_ONLY_ATTACKS", "USER_CODE_ATTACKS", "USER_CODE_TRAPS_SQL", "UserCodeAttack"]

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
    UserCodeAttack("index_user_opclass", "SELECT * FROM trap_idx_tab WHERE id = 5", _REL),
    UserCodeAttack("partition_key_opclass", "SELECT * FROM trap_part WHERE k = 5", _REL, "explain"),
]

# Inputs the static guard alone must refuse (no database needed).
STATIC_ONLY_ATTACKS = [a for a in USER_CODE_ATTACKS if ("operator" in a.reason and "defined" not in a.reason)
                       or "run time" in a.reason]
