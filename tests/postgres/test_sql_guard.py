"""The static SQL guard alone (no database): the corpus, ordinary reads, and composed queries."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redteam_corpus import ANALYST_READS, ATTACKS, PIECES, QUERY_SHAPE

from mcp_servers.postgres.guard import MAX_SQL_CHARS, SqlRefused, check_sql, function_refusal

SECRET, MARKER = "/srv/secret.txt", "/tmp/marker"


def _fill(sql: str) -> str:
    return sql.replace("{secret}", SECRET).replace("{marker}", MARKER)


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.expect == "refused"], ids=lambda a: a.name)
def test_hostile_input_is_refused_with_its_reason(attack) -> None:
    with pytest.raises(SqlRefused) as caught:
        check_sql(_fill(attack.sql))
    assert str(caught.value).startswith("refused: ")
    assert attack.reason.lower() in str(caught.value).lower()


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.expect in ("harmless", "refused_by_catalog")], ids=lambda a: a.name)
def test_inert_or_lookalike_input_passes_the_static_guard(attack) -> None:
    result = check_sql(_fill(attack.sql))
    assert result.kind == "select"


def test_every_attack_is_named_once_and_exercises_each_verdict() -> None:
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)
    assert {a.expect for a in ATTACKS} == {"refused", "refused_by_catalog", "harmless", "either"}


@pytest.mark.parametrize("sql", ANALYST_READS)
def test_ordinary_analyst_read_is_accepted(sql: str) -> None:
    assert check_sql(sql).kind in ("select", "show", "explain")


def test_analyst_reads_cover_every_statement_kind_the_guard_accepts() -> None:
    assert {check_sql(sql).kind for sql in ANALYST_READS} == {"select", "show", "explain"}


def test_guard_reports_the_names_postgres_will_resolve() -> None:
    result = check_sql("SELECT lower(note), a->>'k', x::my_enum, y::int, pg_catalog.upper(n) FROM t WHERE id = $2")
    assert result.functions == {"lower"}  # pg_catalog-qualified calls cannot be shadowed
    assert result.operators == {"->>", "="}
    assert result.types == {"my_enum", "int4"}  # int is parsed as pg_catalog.int4; user casts into it still count
    assert result.param_count == 2


def test_explain_analyze_needs_an_explicit_opt_in() -> None:
    with pytest.raises(SqlRefused, match="EXPLAIN ANALYZE"):
        check_sql("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1")
    assert check_sql("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", allow_analyze=True).explain_analyze


def test_function_policy_names_the_danger_and_allows_builtins() -> None:
    assert function_refusal("pg_read_file") == "function pg_read_file reads server files"
    assert function_refusal("PG_LS_DIR") == "function PG_LS_DIR reads server files"
    assert function_refusal("table_to_xmlschema") == "function table_to_xmlschema executes SQL text given as an argument"
    assert "not on the allowlist" in function_refusal("my_func")
    for name in ("lower", "percentile_cont", "jsonb_path_query", "pg_total_relation_size", "random", "row_number"):
        assert function_refusal(name) is None, name


def test_input_over_the_size_limit_is_refused_before_parsing() -> None:
    # Unparseable past the limit: a syntax error in the message would mean the parser ran first.
    with pytest.raises(SqlRefused, match=f"the limit is {MAX_SQL_CHARS}") as caught:
        check_sql("SELECT (" + " " * MAX_SQL_CHARS)
    assert "syntax" not in str(caught.value)


@st.composite
def composed_queries(draw: st.DrawFn) -> tuple[str, bool]:
    """A query assembled from safe and hostile pieces, and whether any hostile piece went in."""
    hostile_used = False
    parts: dict[str, str] = {}
    for slot, (safe, hostile) in [*PIECES.items(), ("expr2", PIECES["expr"])]:
        use_hostile = bool(hostile) and draw(st.integers(0, 5)) == 0
        parts[slot] = draw(st.sampled_from(hostile if use_hostile else safe))
        hostile_used |= use_hostile
    return QUERY_SHAPE.format(**parts), hostile_used


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(composed_queries())
def test_composed_query_is_accepted_exactly_when_it_has_no_hostile_piece(case: tuple[str, bool]) -> None:
    sql, hostile = case
    try:
        check_sql(sql)
        accepted = True
    except SqlRefused:
        accepted = False
    assert accepted is not hostile, sql


def test_walk_skips_only_attributes_that_cannot_hold_a_node() -> None:
    from pglast import ast

    from mcp_servers.postgres.guard.walker import _ALLOWED_NODES, child_slot_names

    skipped = set()
    for name in _ALLOWED_NODES:
        cls = getattr(ast, name)
        walked = child_slot_names(cls)
        skipped |= {slot.c_type for attr, slot in cls.__slots__.items() if attr not in walked}
    # Strings, numbers, flags and enums; a new pglast that stores nodes elsewhere must fail here.
    assert all(t == "char*" or "*" not in t for t in skipped)
    assert not skipped & {"ValUnion", "CreateStmt", "Node", "List"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT rolname, rolpassword FROM pg_authid",
        "SELECT * FROM pg_catalog.pg_shadow",
        "SELECT subconninfo FROM pg_subscription",
        "SELECT umoptions FROM pg_user_mappings",
        "WITH r AS (SELECT * FROM pg_authid) SELECT count(*) FROM r",
        "SELECT (SELECT rolpassword FROM pg_authid LIMIT 1)",
    ],
)
def test_catalogs_that_hold_credentials_are_refused(sql: str) -> None:
    with pytest.raises(SqlRefused, match="holds"):
        check_sql(sql)


def test_the_masked_role_views_stay_readable() -> None:
    assert check_sql("SELECT rolname, rolcanlogin FROM pg_roles").kind == "select"


@pytest.mark.parametrize(("sql", "columns", "whole_row"), [
    ("SELECT t.id, count(*) FROM tab t WHERE t.id > 0 GROUP BY 1", {"id"}, False),
    ("SELECT a FROM tab JOIN other USING (b)", {"a", "b"}, False),
    ("SELECT (c).f FROM tab", {"c"}, False),
    ("SELECT * FROM tab", set(), True),
    ("SELECT x.* FROM tab x", {"x"}, True),
    ("TABLE tab", set(), True),
    ("SELECT t FROM tab t", {"t"}, True),
    ("SELECT tab FROM tab", {"tab"}, True),
    ("SELECT row_to_json(s) FROM (SELECT id FROM tab) s", {"id", "s"}, True),
    ("WITH c AS (SELECT id FROM tab) SELECT c FROM c", {"id", "c"}, True),
    ("SELECT 1 FROM tab NATURAL JOIN other", set(), True),
    ("SELECT b FROM tab AS x(a, b)", {"b"}, True),
    ("SELECT j.b FROM (tab JOIN other USING (id)) AS j(i, b)", {"b", "id"}, True),
    ("SELECT v.a FROM (VALUES (1)) AS v(a)", {"a"}, False),
])
def test_the_columns_a_read_names_and_whether_it_may_read_whole_rows(sql: str, columns: set[str], whole_row: bool) -> None:
    result = check_sql(sql)
    assert (set(result.columns), result.whole_row) == (columns, whole_row)
