"""Runnable fixes: quoted identifiers and literals, so every row's `fix` can be pasted as written.

Names come from the catalogs, never from the caller; quoting still matters because a table may be
called `Order` or `user events`. Quoting follows PostgreSQL's own rules (double quotes doubled inside
an identifier, single quotes doubled inside a literal), the same as `quote_ident`/`quote_literal`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["column_list", "ident", "literal", "qualified"]


def ident(name: str) -> str:
    """`"name"`: always quoted, so mixed case, spaces and keywords survive."""
    return '"' + str(name).replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """`"schema"."name"`."""
    return f"{ident(schema)}.{ident(name)}"


def literal(value: str) -> str:
    """`'value'` as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def column_list(columns: Iterable[str]) -> str:
    """`"a", "b"` for an index or constraint column list."""
    return ", ".join(ident(c) for c in columns)
