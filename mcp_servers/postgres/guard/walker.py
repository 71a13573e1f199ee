"""The static guard: parse with PostgreSQL's own parser (pglast), accept one plain read, walk every node.

Every node of the parse tree is visited (iteratively, so depth cannot exhaust Python's stack),
including functions in FROM (`RangeFunction`), LATERAL, CTEs, subqueries, casts, operators,
JSON/XML constructs and TABLESAMPLE methods. A node type that is not on `_ALLOWED_NODES` is refused,
so a syntax added by a future PostgreSQL is refused until someone looks at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mcp_servers.postgres.guard.functions import function_refusal
from mcp_servers.postgres.guard.secret_relations import secret_relation_refusal

__all__ = ["MAX_SQL_CHARS", "GuardResult", "SqlRefused", "check_sql"]

MAX_SQL_CHARS = 20_000  # an agent's question is rarely over a few kB; this bounds parse time (tens of ms) and memory
_CATALOG = "pg_catalog"
_TABLESAMPLE_METHODS = frozenset({"bernoulli", "system", "system_rows", "system_time"})
_BETWEEN_OPERATORS = ("<=", ">=", "<", ">")  # [NOT] BETWEEN [SYMMETRIC] expands to comparisons found by name
_EXPLAIN_OPTIONS = frozenset({"verbose", "costs", "settings", "generic_plan", "buffers", "summary", "memory", "format"})
_ANALYZE_ONLY_OPTIONS = frozenset({"analyze", "timing", "wal", "serialize"})
# Expression and clause nodes a plain read is made of (raw parse tree only).
_ALLOWED_NODES = frozenset(
    """
    RawStmt SelectStmt VariableShowStmt ExplainStmt DefElem
    A_ArrayExpr A_Const A_Expr A_Indices A_Indirection A_Star Alias BitString BoolExpr Boolean BooleanTest
    CTECycleClause CTESearchClause CaseExpr CaseWhen CoalesceExpr CollateClause ColumnDef ColumnRef
    CommonTableExpr Float FuncCall GroupingFunc GroupingSet Integer JoinExpr MinMaxExpr NamedArgExpr NullTest ParamRef
    RangeFunction RangeSubselect RangeTableFunc RangeTableFuncCol RangeTableSample RangeVar ResTarget RowExpr
    SQLValueFunction SortBy String SubLink TypeCast TypeName WindowDef WithClause XmlExpr XmlSerialize
    JsonAggConstructor JsonArgument JsonArrayAgg JsonArrayConstructor JsonArrayQueryConstructor JsonBehavior
    JsonFormat JsonFuncExpr JsonIsPredicate JsonKeyValue JsonObjectAgg JsonObjectConstructor JsonOutput
    JsonParseExpr JsonReturning JsonScalarExpr JsonSerializeExpr JsonTable JsonTableColumn JsonTablePathSpec
    JsonValueExpr
    """.split()
)

_WRITE_STATEMENTS = {
    "InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE", "MergeStmt": "MERGE",
}
# Why a top-level statement is refused, for the statements an attacker reaches for first.
_STATEMENT_REASONS = {
    "TransactionStmt": "transaction control would end the read-only transaction",
    "VariableSetStmt": "SET/RESET changes session settings (it could turn read-only off)",
    "CopyStmt": "COPY reads or writes files and programs",
    "DoStmt": "DO runs procedural code",
    "CallStmt": "CALL runs a procedure",
    "PrepareStmt": "PREPARE creates session state",
    "ExecuteStmt": "EXECUTE runs a prepared statement the guard cannot see",
    "DeallocateStmt": "DEALLOCATE changes session state",
    "ListenStmt": "LISTEN changes session state",
    "UnlistenStmt": "UNLISTEN changes session state",
    "NotifyStmt": "NOTIFY sends a notification",
    "DiscardStmt": "DISCARD resets session state",
    "LoadStmt": "LOAD loads a shared library",
    "LockStmt": "LOCK takes table locks",
    "DeclareCursorStmt": "cursors outlive the statement",
    "FetchStmt": "cursors outlive the statement",
    "ClosePortalStmt": "cursors outlive the statement",
    "CreateTableAsStmt": "CREATE TABLE AS writes a table",
    "VacuumStmt": "VACUUM/ANALYZE writes",
    "CheckPointStmt": "CHECKPOINT controls the server",
}


class SqlRefused(ValueError):
    """The SQL is not a plain read; `reason` says what was refused and why (no "refused:" prefix)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class GuardResult:
    """What an accepted statement is and which names PostgreSQL will resolve at run time."""

    kind: str  # "select" | "show" | "explain"
    functions: frozenset[str] = field(default_factory=frozenset)  # unqualified calls (qualified ones are pg_catalog)
    operators: frozenset[str] = field(default_factory=frozenset)  # unqualified operator symbols
    types: frozenset[str] = field(default_factory=frozenset)  # type names used in casts and column lists
    relations: frozenset[str] = field(default_factory=frozenset)  # relation names read (and CTE names: harmless)
    columns: frozenset[str] = field(default_factory=frozenset)  # column names referenced (last name of each reference)
    whole_row: bool = False  # some relation's every column may be read: `*`, `t.*`, `t`, NATURAL, renamed columns
    param_count: int = 0  # the highest $n in the statement (0: none)
    explain_analyze: bool = False

    @property
    def has_params(self) -> bool:
        return self.param_count > 0


def _names(node_names: tuple | None) -> list[str]:
    return [n.sval for n in node_names or () if hasattr(n, "sval")]


def _statement_label(cls_name: str) -> str:
    """`AlterSystemStmt` -> `ALTER SYSTEM`."""
    words = re.findall(r"[A-Z][a-z]*", cls_name.removesuffix("Stmt"))
    return " ".join(words).upper() or cls_name


def _check_top(stmt: object, *, allow_analyze: bool) -> tuple[str, bool]:
    cls = type(stmt).__name__
    if cls == "SelectStmt":
        return "select", False
    if cls == "VariableShowStmt":
        return "show", False
    if cls == "ExplainStmt":
        analyze = False
        for opt in stmt.options or ():
            name = (opt.defname or "").lower()
            if name in _ANALYZE_ONLY_OPTIONS:
                analyze = analyze or name == "analyze"
            elif name not in _EXPLAIN_OPTIONS:
                raise SqlRefused(f"EXPLAIN option {name.upper()} is not allowed")
        if analyze and not allow_analyze:
            raise SqlRefused("EXPLAIN ANALYZE executes the statement; use pg_explain with analyze=true where enabled")
        inner = type(stmt.query).__name__
        if inner != "SelectStmt":
            raise SqlRefused(f"EXPLAIN of {_WRITE_STATEMENTS.get(inner) or _statement_label(inner)}: only reads may be explained")
        return "explain", analyze
    if cls in _WRITE_STATEMENTS:
        raise SqlRefused(f"{_WRITE_STATEMENTS[cls]} writes data; only reads are allowed")
    if cls == "CopyStmt" and getattr(stmt, "is_program", False):
        raise SqlRefused("COPY ... PROGRAM runs a shell command on the database server")
    reason = _STATEMENT_REASONS.get(cls, "it is not a read")
    raise SqlRefused(
        f"{_statement_label(cls)} statement: {reason}; only SELECT, VALUES, TABLE, WITH ... SELECT, SHOW and EXPLAIN are allowed"
    )


def _parse(sql: str):
    from pglast import parse_sql
    from pglast.parser import ParseError

    if not sql or not sql.strip():
        raise SqlRefused("empty SQL; send one SELECT statement")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"SQL is {len(sql)} characters long; the limit is {MAX_SQL_CHARS}")
    if "\x00" in sql:
        raise SqlRefused("SQL contains a NUL character")
    try:
        return parse_sql(sql)
    except ParseError as exc:
        raise SqlRefused(f"not valid PostgreSQL syntax: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise SqlRefused("SQL is nested too deeply to check") from None


def check_sql(sql: str, *, allow_analyze: bool = False) -> GuardResult:  # noqa: C901 (one branch per statement kind the guard admits, read top to bottom)
    """Accept exactly one plain read, or raise `SqlRefused` naming what was refused and why.

    Raises:
        SqlRefused: anything but one SELECT/VALUES/TABLE/WITH-of-SELECTs, SHOW, or EXPLAIN of such a read
            (EXPLAIN ANALYZE only with `allow_analyze`); any node, function, operator or clause that could write,
            lock, read files, run SQL text or change session state.
    """
    statements = _parse(sql)
    if len(statements) != 1:
        raise SqlRefused(f"{len(statements)} statements; send exactly one")
    kind, analyze = _check_top(statements[0].stmt, allow_analyze=allow_analyze)
    functions: set[str] = set()
    operators: set[str] = set()
    types: set[str] = set()
    relations: set[str] = set()
    columns: set[str] = set()
    row_names: set[str] = set()  # relation names and aliases: a column reference by one of these is a whole row
    whole_row = False
    param_count = 0
    stack: list[object] = [statements[0].stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(node)
            continue
        slots = _child_slots(type(node))
        if slots is None:
            continue  # scalars and enums
        cls = type(node).__name__
        if cls not in _ALLOWED_NODES:
            _refuse_node(cls)
        if cls == "SelectStmt":
            if node.intoClause is not None:
                raise SqlRefused("SELECT INTO creates a table")
            if node.lockingClause:
                raise SqlRefused("FOR UPDATE/SHARE takes row locks")
        elif cls == "FuncCall":
            _check_function(_names(node.funcname), functions)
        elif cls == "A_Expr":
            _check_operator(_names(node.name), operators)
            if node.kind.name.startswith("AEXPR_BETWEEN") or node.kind.name.startswith("AEXPR_NOT_BETWEEN"):
                operators.update(_BETWEEN_OPERATORS)
        elif cls == "SubLink" and node.subLinkType.name in ("ANY_SUBLINK", "ALL_SUBLINK", "ROWCOMPARE_SUBLINK"):
            # `x IN (SELECT ...)` has no operator name in the raw tree: PostgreSQL looks up `=` itself.
            _check_operator(_names(node.operName) or ["="], operators)
        elif cls == "SortBy" and node.useOp:
            _check_operator(_names(node.useOp), operators)
        elif (cls == "CaseExpr" and node.arg is not None) or (cls == "JoinExpr" and (node.usingClause or node.isNatural)):
            operators.add("=")  # CASE x WHEN v and JOIN USING/NATURAL compare with the `=` found by name
            if cls == "JoinExpr":
                columns.update(_names(node.usingClause))
                whole_row = whole_row or node.isNatural or bool(node.alias and node.alias.colnames)
        elif cls == "JoinExpr":
            whole_row = whole_row or bool(node.alias and node.alias.colnames)
        elif cls == "ColumnRef":
            columns.update(_names(node.fields)[-1:])
        elif cls == "A_Star":
            whole_row = True
        elif cls == "Alias":
            row_names.add(node.aliasname)
        elif cls == "TypeName":
            names = _names(node.names)
            if names:  # even pg_catalog.int4: a user-defined cast *into* a built-in type runs user code
                types.add(names[-1])
        elif cls == "RangeTableSample":
            method = _names(node.method)
            if len(method) != 1 or method[0] not in _TABLESAMPLE_METHODS:
                raise SqlRefused(f"TABLESAMPLE method {'.'.join(method)} is not a built-in sampling method")
        elif cls == "ParamRef":
            param_count = max(param_count, node.number or 0)
        elif cls == "RangeVar":
            reason = secret_relation_refusal(node.schemaname, node.relname)
            if reason:
                raise SqlRefused(reason)
            relations.add(node.relname)
            whole_row = whole_row or bool(node.alias and node.alias.colnames)  # FROM t AS x(a, b) renames t's columns
        stack.extend(getattr(node, name) for name in slots)
    whole_row = whole_row or not columns.isdisjoint(relations | row_names)
    return GuardResult(
        kind, frozenset(functions), frozenset(operators), frozenset(types), frozenset(relations), frozenset(columns),
        whole_row, param_count, analyze,
    )


_SLOTS_CACHE: dict[type, tuple[str, ...] | None] = {}
# Embedded structs, stored without a pointer, that can still hold nodes.
_STRUCT_C_TYPES = frozenset({"ValUnion", "CreateStmt"})


def child_slot_names(cls: type) -> tuple[str, ...] | None:
    """The attributes of a pglast node class that can hold nodes (pointers and embedded structs), None for non-nodes.

    Scalars (`char*` strings, bools, ints, enums) cannot hold a node, so the walk skips them.
    """
    info = getattr(cls, "__slots__", None)
    if not isinstance(info, dict):
        return None
    return tuple(
        name for name, slot in info.items()
        if (slot.c_type.endswith("*") and slot.c_type != "char*") or slot.c_type in _STRUCT_C_TYPES
    )


def _child_slots(cls: type) -> tuple[str, ...] | None:
    try:
        return _SLOTS_CACHE[cls]
    except KeyError:
        _SLOTS_CACHE[cls] = found = child_slot_names(cls)
        return found


def _refuse_node(cls: str) -> None:
    if cls in _WRITE_STATEMENTS:
        raise SqlRefused(f"data-modifying {_WRITE_STATEMENTS[cls]} inside the query (e.g. in a WITH clause)")
    if cls in ("IntoClause", "LockingClause"):
        raise SqlRefused("SELECT INTO / FOR UPDATE is not a plain read")
    if cls.endswith("Stmt"):
        raise SqlRefused(f"{_statement_label(cls)} statement nested inside the query")
    raise SqlRefused(f"{cls} is not part of a plain read")


def _check_function(names: list[str], unqualified: set[str]) -> None:
    if not names:
        raise SqlRefused("function call without a name")
    if len(names) > 2 or (len(names) == 2 and names[0] != _CATALOG):
        raise SqlRefused(f"function {'.'.join(names)} is not a built-in (pg_catalog) function")
    reason = function_refusal(names[-1])
    if reason:
        raise SqlRefused(reason)
    if len(names) == 1:
        unqualified.add(names[0])


def _check_operator(names: list[str], unqualified: set[str]) -> None:
    if len(names) > 2 or (len(names) == 2 and names[0] != _CATALOG):
        raise SqlRefused(f"operator OPERATOR({'.'.join(names)}) is not a built-in (pg_catalog) operator")
    if len(names) == 1:
        unqualified.add(names[0])
