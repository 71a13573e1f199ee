"""The guard's second look, inside the database: do the names it allowed resolve to built-ins?

The static guard allows unqualified names such as `lower(x)` or `a + b` because PostgreSQL resolves
them to pg_catalog. But a user-defined overload with a better-matching signature (say `public.lower(int)`)
would win that resolution, and a user-defined cast or a domain whose CHECK calls a user function runs
code on a cast. This query, run in the same read-only transaction just before the statement, finds
such look-alikes. Objects that belong to an installed extension (citext's `=`, PostGIS's casts) are
trusted: an administrator installed them.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.postgres.guard.walker import GuardResult, SqlRefused

__all__ = ["LOOKALIKES_SQL", "lookalike_params", "refuse_lookalikes"]

_SYSTEM = "('pg_catalog', 'information_schema')"
_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{cat}'::pg_catalog.regclass "
    "AND d.objid = {oid} AND d.deptype = 'e')"
)

LOOKALIKES_SQL = f"""
SELECT 'function' AS kind, n.nspname AS schema, p.proname AS name
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = ANY(%(functions)s::text[]) AND n.nspname NOT IN {_SYSTEM}
  AND {_NOT_EXTENSION.format(cat="pg_catalog.pg_proc", oid="p.oid")}
UNION ALL
SELECT 'operator', n.nspname, o.oprname
FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
WHERE o.oprname = ANY(%(operators)s::text[]) AND n.nspname NOT IN {_SYSTEM}
  AND {_NOT_EXTENSION.format(cat="pg_catalog.pg_operator", oid="o.oid")}
UNION ALL
SELECT 'cast to', pn.nspname, t.typname
FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_type t ON t.oid = c.casttarget
JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE t.typname = ANY(%(types)s::text[]) AND pn.nspname NOT IN {_SYSTEM}
  AND {_NOT_EXTENSION.format(cat="pg_catalog.pg_proc", oid="p.oid")}
UNION ALL
SELECT 'domain', tn.nspname, t.typname
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_catalog.pg_constraint k ON k.contypid = t.oid
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid
     AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE t.typname = ANY(%(types)s::text[]) AND pn.nspname NOT IN {_SYSTEM}
LIMIT 5
"""

_WHY = {
    "function": "function {name} is also defined in schema {schema} (not by an extension), and PostgreSQL could "
                "resolve the call to it; write pg_catalog.{name}(...)",
    "operator": "operator {name} is also defined in schema {schema} (not by an extension), and PostgreSQL could "
                "resolve it there; write OPERATOR(pg_catalog.{name})",
    "cast to": "a user-defined cast into type {name} (a function in schema {schema}) could run for this cast; "
               "this database's casts into {name} are not checked, so the query is refused",
    "domain": "a cast to domain {name} runs a function of schema {schema} in its CHECK constraint",
}


def lookalike_params(result: GuardResult) -> dict[str, list[str]] | None:
    """Bind parameters for `LOOKALIKES_SQL`, or None when the statement names nothing to look up."""
    if not (result.functions or result.operators or result.types):
        return None
    return {
        "functions": sorted(result.functions),
        "operators": sorted(result.operators),
        "types": sorted(result.types),
    }


def refuse_lookalikes(rows: list[dict[str, Any]]) -> None:
    """Raise `SqlRefused` for the first user-defined look-alike found by `LOOKALIKES_SQL`."""
    if not rows:
        return
    row = rows[0]
    raise SqlRefused(_WHY[row["kind"]].format(name=row["name"], schema=row["schema"]))
