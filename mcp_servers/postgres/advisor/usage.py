"""How one SQL statement uses columns: equality, range, join, ORDER BY ... LIMIT and GROUP BY, per table.

Parsed with PostgreSQL's own parser (pglast). Every SELECT in the statement (subqueries, CTEs, set
operations) is its own scope. An UPDATE or DELETE is read as the SELECT that finds its rows (`writes`):
its WHERE and FROM/USING joins count, its SET targets and RETURNING do not. Only bare columns count: `lower(email) = $1` or `col::text = $1` are
not served by a plain index on the column, so they yield nothing. OR branches are skipped (one index
rarely serves both sides). Columns left unqualified are resolved later against the catalog, which is
why `ColumnUse` keeps the qualifier as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_servers.postgres.advisor.writes import WriteTarget, equivalent_read

__all__ = ["ColumnUse", "ParsedStatement", "Scope", "UnsupportedStatement", "parse_statement"]

Kind = Literal["eq", "range", "join", "order", "group"]
_RANGE_OPS = frozenset({"<", ">", "<=", ">="})


class UnsupportedStatement(ValueError):
    """The statement is not one the advisor can reason about; the message says why."""


@dataclass(frozen=True)
class ColumnUse:
    kind: Kind
    qualifier: str | None  # alias or table name as written, None when unqualified
    column: str


@dataclass
class Scope:
    """One SELECT: the tables of its FROM clause (alias -> (schema, table)) and the column uses in it."""

    tables: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    uses: list[ColumnUse] = field(default_factory=list)
    order_limited: bool = False  # ORDER BY with LIMIT: an index in sort order can stop early


@dataclass(frozen=True)
class ParsedStatement:
    scopes: tuple[Scope, ...]
    param_count: int  # highest $n, for PREPARE ... EXECUTE with a generic plan
    read_sql: str | None = None  # UPDATE/DELETE: the read planned in its place (never the write itself)
    write: WriteTarget | None = None

    def table_names(self) -> set[tuple[str | None, str]]:
        return {t for s in self.scopes for t in s.tables.values()}


def parse_statement(sql: str) -> ParsedStatement:
    """Column uses of one SELECT, UPDATE or DELETE statement.

    Raises:
        UnsupportedStatement: not exactly one statement, not one of those, or not parsable.
    """
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    try:
        raw = pglast.parse_sql(sql)
    except pglast.parser.ParseError as exc:
        raise UnsupportedStatement(f"not parsable: {exc}") from None
    if len(raw) != 1 or not isinstance(raw[0].stmt, (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt)):
        raise UnsupportedStatement("only single SELECT, UPDATE or DELETE statements are analysed")
    root, read_sql, write = raw[0].stmt, None, None
    if not isinstance(root, ast.SelectStmt):
        root, write = equivalent_read(root)
        _renumber_params(root)
        read_sql = RawStream()(root)
    selects: list[Any] = []
    params = 0
    stack: list[Any] = [root]
    while stack:  # iterative: deep nesting cannot exhaust Python's stack
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not isinstance(node, ast.Node):
            continue
        if isinstance(node, ast.SelectStmt):
            selects.append(node)
        elif isinstance(node, ast.ParamRef):
            params = max(params, node.number or 0)
        stack.extend(getattr(node, name) for name in node.__slots__ if name != "location")
    cte_names = {getattr(n, "ctename", None) for n in _all_nodes(root, ast.CommonTableExpr)}
    return ParsedStatement(tuple(_scope(s, cte_names) for s in selects if _is_plain(s)), params, read_sql, write)


def _renumber_params(read: Any) -> None:
    """The $n a write's read keeps, renumbered 1..k: PREPARE cannot type a parameter the text no longer has."""
    from pglast import ast

    found = _all_nodes(read, ast.ParamRef)
    numbers = {n: i for i, n in enumerate(sorted({p.number for p in found}), start=1)}
    for param in found:
        param.number = numbers[param.number]


def _is_plain(select: Any) -> bool:
    from pglast.enums import SetOperation

    return select.op == SetOperation.SETOP_NONE


def _all_nodes(root: Any, kind: type) -> list[Any]:
    from pglast import ast

    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, ast.Node):
            if isinstance(node, kind):
                found.append(node)
            stack.extend(getattr(node, name) for name in node.__slots__ if name != "location")
    return found


def _scope(select: Any, cte_names: set[str | None]) -> Scope:
    scope = Scope()
    quals: list[Any] = [select.whereClause]
    for item in select.fromClause or ():
        _from_item(item, scope, quals, cte_names)
    for qual in quals:
        _predicates(qual, scope)
    sort = select.sortClause or ()
    if sort and select.limitCount is not None:
        columns = [_column(s.node) for s in sort]
        directions = {int(s.sortby_dir) == 2 for s in sort}  # SORTBY_DESC; a btree scans either way, not mixed
        if all(columns) and len(directions) == 1:
            scope.order_limited = True
            scope.uses += [ColumnUse("order", *c) for c in columns if c]
    for item in select.groupClause or ():
        column = _column(item)
        if column:
            scope.uses.append(ColumnUse("group", *column))
    return scope


def _from_item(item: Any, scope: Scope, quals: list[Any], cte_names: set[str | None]) -> None:
    from pglast import ast

    if isinstance(item, ast.RangeVar):
        if item.schemaname is None and item.relname in cte_names:
            return
        alias = item.alias.aliasname if item.alias is not None else item.relname
        scope.tables[alias] = (item.schemaname, item.relname)
    elif isinstance(item, ast.JoinExpr):
        _from_item(item.larg, scope, quals, cte_names)
        _from_item(item.rarg, scope, quals, cte_names)
        quals.append(item.quals)


def _column(node: Any) -> tuple[str | None, str] | None:
    """(qualifier, column) of a bare column reference, else None."""
    from pglast import ast

    if not isinstance(node, ast.ColumnRef):
        return None
    names = [f.sval for f in node.fields if isinstance(f, ast.String)]
    if len(names) != len(node.fields) or not names:
        return None  # `t.*`
    if len(names) == 1:
        return None, names[0]
    return names[-2], names[-1]


def _has_column(node: Any) -> bool:
    from pglast import ast

    return bool(_all_nodes(node, ast.ColumnRef)) or bool(_all_nodes(node, ast.SelectStmt))


def _predicates(node: Any, scope: Scope) -> None:
    from pglast import ast
    from pglast.enums import A_Expr_Kind, BoolExprType

    if node is None:
        return
    if isinstance(node, ast.BoolExpr):
        if node.boolop == BoolExprType.AND_EXPR:
            for arg in node.args:
                _predicates(arg, scope)
        return
    if not isinstance(node, ast.A_Expr) or not node.name:
        return
    op = node.name[-1].sval if isinstance(node.name[-1], ast.String) else ""
    left, right = _column(node.lexpr), _column(node.rexpr) if not isinstance(node.rexpr, (list, tuple)) else None
    kind = node.kind
    if kind == A_Expr_Kind.AEXPR_OP and op == "=" and left and right:
        scope.uses += [ColumnUse("join", *left), ColumnUse("join", *right)]
    elif kind in (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_IN) and op == "=":
        if left and not _has_column(node.rexpr):
            scope.uses.append(ColumnUse("eq", *left))
        elif right and kind == A_Expr_Kind.AEXPR_OP and not _has_column(node.lexpr):
            scope.uses.append(ColumnUse("eq", *right))
    elif kind == A_Expr_Kind.AEXPR_OP and op in _RANGE_OPS:
        if left and not _has_column(node.rexpr):
            scope.uses.append(ColumnUse("range", *left))
        elif right and not _has_column(node.lexpr):
            scope.uses.append(ColumnUse("range", *right))
    elif kind == A_Expr_Kind.AEXPR_BETWEEN and left and not _has_column(node.rexpr):
        scope.uses.append(ColumnUse("range", *left))
