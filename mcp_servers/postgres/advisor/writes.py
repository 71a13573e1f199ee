"""UPDATE and DELETE for the advisor: the read that finds the same rows, and the columns an UPDATE writes.

The planner cannot EXPLAIN a write inside our read-only session (and the guard refuses it), so a write
is never run nor explained: its target, FROM/USING items, WHERE and WITH become
`SELECT <target>.ctid FROM <target>, <from/using> WHERE <same predicate>`, which finds the same rows the
same way (ctid: a heap fetch per row, as the write needs, so no index-only scan flatters an index).
SET values and RETURNING are left out (`usage` renumbers the `$n` left, for PREPARE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["WriteTarget", "equivalent_read"]


@dataclass(frozen=True)
class WriteTarget:
    """The table an UPDATE or DELETE writes and, for an UPDATE, the columns its SET assigns."""

    table: tuple[str | None, str]  # (schema as written, name)
    updated: tuple[str, ...]  # empty for a DELETE


def equivalent_read(stmt: Any) -> tuple[Any, WriteTarget]:
    """The SelectStmt that finds the rows of an UpdateStmt or DeleteStmt, and what the write targets."""
    from pglast import ast
    from pglast.enums import SetOperation

    target = stmt.relation
    name = target.alias.aliasname if target.alias is not None else target.relname
    ctid = ast.ColumnRef(fields=(ast.String(sval=name), ast.String(sval="ctid")))
    extra = stmt.fromClause if isinstance(stmt, ast.UpdateStmt) else stmt.usingClause
    read = ast.SelectStmt(
        targetList=(ast.ResTarget(val=ctid),), fromClause=(target, *(extra or ())),
        whereClause=stmt.whereClause, withClause=stmt.withClause, op=SetOperation.SETOP_NONE,
    )
    updated: tuple[str, ...] = ()
    if isinstance(stmt, ast.UpdateStmt):  # `SET (a, b) = ...` lists each column as its own ResTarget
        updated = tuple(dict.fromkeys(t.name for t in stmt.targetList or () if isinstance(t, ast.ResTarget) and t.name))
    return read, WriteTarget((target.schemaname, target.relname), updated)

