"""The guard's second look, inside the database: could this statement reach user-defined code?

The static guard only lets through names that look built-in (`lower(x)`, `a = b`, `x::int`, `FROM t`).
What PostgreSQL runs for them depends on the connected database: a user-defined overload can win
name resolution, a column of a domain runs the domain's CHECK, a view runs the functions in its
definition, an index built with a user operator class runs its comparison function while the
planner looks at it. So instead of listing attack shapes, this query reads the catalog and derives,
for this database, everything through which user code can run, then refuses the statement when any
name it uses reaches one of those:

- user code: functions with an OID at or above 16384 (FirstNormalObjectId: created after initdb) that
  no installed extension owns; user operators (or built-in operators given a user selectivity
  function); casts, I/O functions and operator-family support functions that call user code (not the
  range-to-multirange cast CREATE TYPE ... AS RANGE writes in C).
- stored expressions: a CHECK constraint, view, policy, index expression or predicate, statistics
  expression, partition key or virtual generated column reaches user code when pg_depend says it uses
  user code or an unsafe type, or when its node tree names an unsafe type (pg_depend misses some, e.g.
  JSON_VALUE ... RETURNING) or calls a built-in function a query could not call itself
  (`query_to_xml('SELECT evil()')`: built-ins are not in pg_depend).
- unsafe types: user base types; a range whose subtype, subtype operator class, canonical or
  subtype_diff function is unsafe; a domain whose CHECK expression reaches user code (as above:
  `CHECK (VALUE ~ '@')` is safe; NOT NULL and defaults run no code for a read); types a user
  operator, cast or operator class works on; and by closure every domain, array, composite
  (including a table's row type) or range built on one.
- unsafe relations: a table or materialized view with a column of an unsafe type, when the
  statement names a column of that name or may read whole rows (`*`, `t.*`, `t`, NATURAL JOIN,
  renamed columns): a column left out is neither output nor compared; any other relation with such
  a column; a view, row-level-security policy or virtual generated column whose expression reaches
  user code; a table whose index, statistics, partition key or CHECK constraint does (the planner
  folds them: `WHERE evil_imm(1)` in a partial index runs while planning, a child's CHECK during
  constraint exclusion); an index or partition key built with an operator class that calls user
  code; and by closure every view reading one and every parent of one (a parent's scan reads its
  children). Column defaults, triggers, rules other than ON SELECT and policies for writes only do not
  run for a read.

Unqualified function and operator names are resolved on the session's search_path (the guard refuses
every way to change it), so only look-alikes in those schemas count; type and relation names are
matched whatever their schema. Objects owned by an installed extension (citext, PostGIS) are
trusted: an administrator installed them. A few shapes make every statement suspect (a
user-written implicit cast between built-in types, a user support function in a built-in type's
default operator class, a built-in type given user I/O or subscript functions): then every
statement is refused, with the reason.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.postgres.guard.functions import callable_function_names
from mcp_servers.postgres.guard.walker import GuardResult, SqlRefused

__all__ = ["LOOKALIKES_SQL", "lookalike_params", "refuse_lookalikes"]

_EXT = "NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = '{cat}'::pg_catalog.regclass AND ext.objid = {oid})"

LOOKALIKES_SQL = f"""
WITH RECURSIVE
ext AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'),
ufunc AS (
  SELECT p.oid, p.proname FROM pg_catalog.pg_proc p
  WHERE p.oid >= 16384 AND {_EXT.format(cat="pg_catalog.pg_proc", oid="p.oid")}
),
utype AS (
  SELECT t.oid FROM pg_catalog.pg_type t WHERE t.oid >= 16384 AND {_EXT.format(cat="pg_catalog.pg_type", oid="t.oid")}
),
uop AS (
  SELECT o.oid, o.oprname, o.oprleft, o.oprright FROM pg_catalog.pg_operator o
  WHERE (o.oid >= 16384 AND {_EXT.format(cat="pg_catalog.pg_operator", oid="o.oid")})
     OR o.oprcode IN (SELECT oid FROM ufunc) OR o.oprrest IN (SELECT oid FROM ufunc) OR o.oprjoin IN (SELECT oid FROM ufunc)
),
ucast AS (
  SELECT c.* FROM pg_catalog.pg_cast c WHERE c.castfunc IN (SELECT oid FROM ufunc)
    AND NOT EXISTS (  -- the range-to-multirange cast CREATE TYPE ... AS RANGE made (built-in C code, PG 14+)
      SELECT 1 FROM pg_catalog.pg_range r JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
      WHERE r.rngtypid = c.castsource AND r.rngmultitypid = c.casttarget AND p.prolang = 12  -- INTERNALlanguageId
        AND d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.refobjid = c.casttarget AND d.deptype = 'i')
),
badfam AS (
  SELECT amprocfamily AS fam, amproclefttype AS l, amprocrighttype AS r FROM pg_catalog.pg_amproc
  WHERE amproc IN (SELECT oid FROM ufunc)
  UNION SELECT amopfamily, amoplefttype, amoprighttype FROM pg_catalog.pg_amop WHERE amopopr IN (SELECT oid FROM uop)
),
badopc AS (SELECT opc.oid FROM pg_catalog.pg_opclass opc WHERE opc.opcfamily IN (SELECT fam FROM badfam)),
io_types AS (
  SELECT t.oid FROM pg_catalog.pg_type t
  WHERE ARRAY[t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze, t.typsubscript]::oid[]
        && ARRAY(SELECT oid FROM ufunc)
),
stored_expr AS (  -- expressions PostgreSQL keeps and may run or fold for a read: (relation or domain, node tree)
  SELECT k.conrelid AS rel, k.contypid AS domain, k.conbin::text AS tree FROM pg_catalog.pg_constraint k WHERE k.contype = 'c'
  UNION ALL SELECT r.ev_class, 0, r.ev_action::text FROM pg_catalog.pg_rewrite r
            WHERE r.ev_type = '1' AND r.ev_class >= 16384 AND {_EXT.format(cat="pg_catalog.pg_class", oid="r.ev_class")}
  UNION ALL SELECT p.polrelid, 0, concat(p.polqual::text, p.polwithcheck::text) FROM pg_catalog.pg_policy p
            WHERE p.polcmd IN ('*', 'r')  -- the policies a read applies
  UNION ALL SELECT ix.indrelid, 0, concat(ix.indexprs::text, ix.indpred::text) FROM pg_catalog.pg_index ix
            WHERE ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL
  UNION ALL SELECT s.stxrelid, 0, s.stxexprs::text FROM pg_catalog.pg_statistic_ext s WHERE s.stxexprs IS NOT NULL
  UNION ALL SELECT pt.partrelid, 0, pt.partexprs::text FROM pg_catalog.pg_partitioned_table pt WHERE pt.partexprs IS NOT NULL
  UNION ALL SELECT ad.adrelid, 0, ad.adbin::text FROM pg_catalog.pg_attrdef ad
            JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum WHERE a.attgenerated = 'v'
),
stored_ref AS (  -- function and type OIDs those trees name (pg_depend leaves out built-ins and some types)
  SELECT e.rel, e.domain, m[1] IN ('funcid', 'aggfnoid', 'winfnoid') AS call, m[2]::oid AS ref FROM stored_expr e
  CROSS JOIN LATERAL pg_catalog.regexp_matches(e.tree, ':(funcid|aggfnoid|winfnoid|[a-z_]*typ(?:e|id|eid)) ([0-9]+)', 'g') m
),
callable AS MATERIALIZED (  -- one string and one hash, not an 1800-element array to bind and estimate
  SELECT pg_catalog.unnest(pg_catalog.string_to_array(%(callable)s, ' ')) AS name
),
refused_call AS (  -- built-in functions called there that a query could not call itself
  SELECT DISTINCT r.rel, r.domain FROM stored_ref r JOIN pg_catalog.pg_proc p ON p.oid = r.ref
  WHERE r.call AND p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace AND p.proname::text NOT IN (SELECT name FROM callable)
),
domain_check_dep AS (
  SELECT k.contypid AS domain, d.refclassid, d.refobjid FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid
  WHERE k.contypid <> 0 AND k.contype = 'c'
    AND NOT (d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.refobjid = k.contypid)
),
type_seed AS (
  SELECT t.oid FROM pg_catalog.pg_type t JOIN utype u ON u.oid = t.oid
  WHERE t.typtype = 'b' AND t.typcategory <> 'A'  -- an array is as safe as its element (edges below)
  UNION SELECT r.rngtypid FROM pg_catalog.pg_range r
        WHERE r.rngcanonical IN (SELECT oid FROM ufunc) OR r.rngsubdiff IN (SELECT oid FROM ufunc)
           OR r.rngsubopc IN (SELECT oid FROM badopc)
  UNION SELECT domain FROM domain_check_dep
        WHERE refclassid NOT IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass,
                                 'pg_catalog.pg_type'::pg_catalog.regclass, 'pg_catalog.pg_collation'::pg_catalog.regclass,
                                 'pg_catalog.pg_class'::pg_catalog.regclass)
           OR (refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND refobjid IN (SELECT oid FROM ufunc))
           OR (refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND refobjid IN (SELECT oid FROM uop))
  UNION SELECT domain FROM refused_call WHERE domain <> 0
  UNION SELECT oid FROM io_types
  UNION SELECT x FROM uop, LATERAL (VALUES (uop.oprleft), (uop.oprright)) v(x) WHERE x IN (SELECT oid FROM utype)
  UNION SELECT x FROM ucast, LATERAL (VALUES (ucast.castsource), (ucast.casttarget)) v(x) WHERE x IN (SELECT oid FROM utype)
  UNION SELECT x FROM badfam, LATERAL (VALUES (badfam.l), (badfam.r)) v(x) WHERE x IN (SELECT oid FROM utype)
),
type_edge AS (
  SELECT typbasetype AS src, oid AS dst FROM pg_catalog.pg_type WHERE typtype = 'd'
  UNION ALL SELECT typelem, oid FROM pg_catalog.pg_type WHERE typelem <> 0
  UNION ALL SELECT a.atttypid, c.reltype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            WHERE a.attnum > 0 AND NOT a.attisdropped AND c.reltype <> 0
  UNION ALL SELECT rngsubtype, rngtypid FROM pg_catalog.pg_range
  UNION ALL SELECT rngtypid, rngmultitypid FROM pg_catalog.pg_range
  UNION ALL SELECT refobjid, domain FROM domain_check_dep WHERE refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
  UNION ALL SELECT ref, domain FROM stored_ref WHERE domain <> 0 AND NOT call
),
unsafe_type AS (
  SELECT oid FROM type_seed
  UNION SELECT e.dst FROM type_edge e JOIN unsafe_type u ON e.src = u.oid
),
code_dep AS (
  SELECT d.classid, d.objid, d.refclassid, d.refobjid FROM pg_catalog.pg_depend d
  WHERE (d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM ufunc))
     OR (d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM uop))
     OR (d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM unsafe_type))
),
unsafe_col AS (
  SELECT a.attrelid, a.attname::text AS attname FROM pg_catalog.pg_attribute a
  WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid IN (SELECT oid FROM unsafe_type)
),
rel_seed_code AS (  -- relations whose every read may run user code, whichever columns it names
  SELECT r.ev_class AS oid FROM code_dep d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.ev_type = '1'  -- ON SELECT: a view
  UNION SELECT p.polrelid FROM code_dep d JOIN pg_catalog.pg_policy p ON p.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND p.polcmd IN ('*', 'r')
  UNION SELECT ad.adrelid FROM code_dep d JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
        JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
        WHERE d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND a.attgenerated = 'v'
        -- virtual generated columns are PG 18+ (nothing matches before); 18 itself refuses user functions and
        -- types in them, so this only matters if a later release allows them
  UNION SELECT k.conrelid FROM code_dep d JOIN pg_catalog.pg_constraint k ON k.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND k.conrelid <> 0
  UNION SELECT ix.indrelid FROM code_dep d JOIN pg_catalog.pg_index ix ON ix.indexrelid = d.objid
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
  UNION SELECT s.stxrelid FROM code_dep d JOIN pg_catalog.pg_statistic_ext s ON s.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass
  UNION SELECT pt.partrelid FROM code_dep d JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = d.objid
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid <> 'pg_catalog.pg_type'::pg_catalog.regclass
  UNION SELECT rel FROM refused_call WHERE rel <> 0
  UNION SELECT rel FROM stored_ref WHERE rel <> 0 AND NOT call AND ref IN (SELECT oid FROM unsafe_type)
  UNION SELECT ix.indrelid FROM pg_catalog.pg_index ix WHERE ix.indclass::oid[] && ARRAY(SELECT oid FROM badopc)
  UNION SELECT pt.partrelid FROM pg_catalog.pg_partitioned_table pt WHERE pt.partclass::oid[] && ARRAY(SELECT oid FROM badopc)
),
rel_edge AS (
  SELECT d.refobjid AS src, r.ev_class AS dst FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
  WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.ev_type = '1'
    AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
    AND d.refobjid <> r.ev_class
  UNION ALL SELECT d.refobjid, p.polrelid FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_policy p ON p.oid = d.objid
  WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND p.polcmd IN ('*', 'r')
    AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  UNION ALL SELECT inhrelid, inhparent FROM pg_catalog.pg_inherits
),
unsafe_rel AS (
  SELECT oid FROM rel_seed_code UNION SELECT attrelid FROM unsafe_col
  UNION SELECT e.dst FROM rel_edge e JOIN unsafe_rel u ON e.src = u.oid
),
whole_unsafe_rel AS (  -- all but the tables and materialized views unsafe only through columns of their own
  SELECT oid FROM rel_seed_code
  UNION SELECT e.dst FROM rel_edge e JOIN unsafe_rel u ON e.src = u.oid
  UNION SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relkind NOT IN ('r', 'm') AND c.oid IN (SELECT attrelid FROM unsafe_col)
),
found AS (
  SELECT 1 AS rank, 'function' AS kind, n.nspname AS schema, f.proname AS name
  FROM ufunc f JOIN pg_catalog.pg_proc p ON p.oid = f.oid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE f.proname = ANY(%(functions)s::text[]) AND n.nspname = ANY(pg_catalog.current_schemas(true))
  UNION ALL
  SELECT 2, 'operator', n.nspname, o.oprname
  FROM uop JOIN pg_catalog.pg_operator o ON o.oid = uop.oid JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
  WHERE o.oprname = ANY(%(operators)s::text[]) AND n.nspname = ANY(pg_catalog.current_schemas(true))
    AND (o.oprleft NOT IN (SELECT oid FROM utype) OR o.oprright NOT IN (SELECT oid FROM utype)
         OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid IN (o.oprleft, o.oprright) AND t.typtype = 'd'))
  UNION ALL
  SELECT 3, 'cast to', n.nspname, t.typname
  FROM ucast c JOIN pg_catalog.pg_type t ON t.oid = c.casttarget JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typname = ANY(%(types)s::text[] || %(functions)s::text[])
  UNION ALL
  SELECT 4, 'type', n.nspname, t.typname
  FROM unsafe_type u JOIN pg_catalog.pg_type t ON t.oid = u.oid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typname = ANY(%(types)s::text[])
  UNION ALL
  SELECT 5, 'relation', n.nspname, c.relname
  FROM unsafe_rel u JOIN pg_catalog.pg_class c ON c.oid = u.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relname = ANY(%(relations)s::text[]) AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
    AND (%(whole_row)s OR u.oid IN (SELECT oid FROM whole_unsafe_rel)
         OR EXISTS (SELECT 1 FROM unsafe_col k WHERE k.attrelid = u.oid AND k.attname = ANY(%(columns)s::text[])))
  UNION ALL
  SELECT 6, 'implicit cast', '', pg_catalog.format_type(c.castsource, NULL) || ' to ' || pg_catalog.format_type(c.casttarget, NULL)
  FROM ucast c WHERE c.castcontext IN ('i', 'a')
    AND c.castsource NOT IN (SELECT oid FROM utype) AND c.casttarget NOT IN (SELECT oid FROM utype)
  UNION ALL
  SELECT 6, 'default operator class', '', pg_catalog.format_type(opc.opcintype, NULL)
  FROM pg_catalog.pg_opclass opc WHERE opc.opcdefault AND opc.oid IN (SELECT oid FROM badopc)
    AND opc.opcintype NOT IN (SELECT oid FROM utype)
  UNION ALL
  SELECT 6, 'built-in type I/O', '', pg_catalog.format_type(oid, NULL) FROM io_types WHERE oid NOT IN (SELECT oid FROM utype)
)
SELECT kind, schema, name FROM found ORDER BY rank, schema, name LIMIT 5
"""

_WHY = {
    "function": "function {name} is also defined in schema {schema} (not by an extension), and PostgreSQL could "
                "resolve the call to it; write pg_catalog.{name}(...)",
    "operator": "operator {name} is also defined in schema {schema} (not by an extension), and PostgreSQL could "
                "resolve it there; write OPERATOR(pg_catalog.{name})",
    "cast to": "a user-defined cast into type {name} (a function in schema {schema}) could run for this cast; "
               "this database's casts into {name} are not checked, so the query is refused",
    "type": "type {schema}.{name} can run user-defined code (a domain CHECK, a user cast, operator or operator class, "
            "or a column of such a type)",
    "relation": "relation {schema}.{name} can run user-defined code when read (a column of a user-defined type, "
                "a view, policy, index, statistics object or CHECK calling user code, or an index built with a user "
                "operator class); "
                "query the tables it reads instead, or ask the operator",
    "implicit cast": "this database has a user-defined implicit cast from {name}, which PostgreSQL may apply to any "
                     "expression; every query is refused",
    "default operator class": "this database's default operator class for {name} calls user-defined code, which "
                              "sorting and grouping run; every query is refused",
    "built-in type I/O": "built-in type {name} was given user-defined input/output or subscript functions; every query is refused",
}

def lookalike_params(result: GuardResult) -> dict[str, Any]:
    """Bind parameters for `LOOKALIKES_SQL` (every statement is checked: some findings refuse any statement)."""
    return {
        "functions": sorted(result.functions),
        "operators": sorted(result.operators),
        "types": sorted(result.types),
        "relations": sorted(result.relations),
        "columns": sorted(result.columns),
        "whole_row": result.whole_row,
        "callable": " ".join(callable_function_names()),
    }


def refuse_lookalikes(rows: list[dict[str, Any]]) -> None:
    """Raise `SqlRefused` for the first way to user-defined code found by `LOOKALIKES_SQL`."""
    if not rows:
        return
    row = rows[0]
    raise SqlRefused(_WHY[row["kind"]].format(name=row["name"], schema=row["schema"]))
