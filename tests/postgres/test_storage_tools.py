"""pg_table_stats and pg_index_stats through an MCP client, and their numbers against heroku pg-extras' SQL.

The REFERENCE_* queries are the SQL of the `heroku pg:*` commands (heroku/heroku-pg-extras, now in
heroku/cli), restated with raw numbers where the originals wrap them in pg_size_pretty()/to_char().
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from mcp import Client
from psycopg.rows import dict_row

from mcp_servers.postgres.seed.storage import BLOATED_TABLE, MISSING_FK, SEQ_SCAN_TABLE, UNUSED_INDEX
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio

# heroku pg:index-usage
REFERENCE_INDEX_USAGE = """
SELECT relname,
       CASE idx_scan WHEN 0 THEN 'Insufficient data' ELSE (100 * idx_scan / (seq_scan + idx_scan))::text END
         AS percent_of_times_index_used,
       n_live_tup AS rows_in_table
FROM pg_stat_user_tables ORDER BY n_live_tup DESC
"""

# heroku pg:cache-hit
REFERENCE_CACHE_HIT = """
SELECT 'index hit rate' AS name, sum(idx_blks_hit) / nullif(sum(idx_blks_hit + idx_blks_read), 0) AS ratio
FROM pg_statio_user_indexes
UNION ALL
SELECT 'table hit rate' AS name, sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) AS ratio
FROM pg_statio_user_tables
"""

# heroku pg:unused-indexes
REFERENCE_UNUSED_INDEXES = """
SELECT ui.schemaname || '.' || ui.relname AS table, ui.indexrelname AS index,
       pg_relation_size(i.indexrelid) AS index_size, ui.idx_scan AS index_scans
FROM pg_stat_user_indexes ui JOIN pg_index i ON ui.indexrelid = i.indexrelid
WHERE NOT i.indisunique AND ui.idx_scan < 50 AND pg_relation_size(ui.relid) > 5 * 8192
ORDER BY pg_relation_size(i.indexrelid) / nullif(ui.idx_scan, 0) DESC NULLS FIRST, pg_relation_size(i.indexrelid) DESC
"""

# heroku pg:bloat (the classic estimator: 23-byte header, MAXALIGN 4, pages of block_size - 20)
REFERENCE_BLOAT = """
WITH constants AS (SELECT current_setting('block_size')::numeric AS bs, 23 AS hdr, 4 AS ma),
bloat_info AS (
  SELECT ma, bs, schemaname, tablename,
         (datawidth + (hdr + ma - (CASE WHEN hdr % ma = 0 THEN ma ELSE hdr % ma END)))::numeric AS datahdr,
         (maxfracsum * (nullhdr + ma - (CASE WHEN nullhdr % ma = 0 THEN ma ELSE nullhdr % ma END))) AS nullhdr2
  FROM (
    SELECT schemaname, tablename, hdr, ma, bs, sum((1 - null_frac) * avg_width) AS datawidth,
           max(null_frac) AS maxfracsum,
           hdr + (SELECT 1 + count(*) / 8 FROM pg_stats s2
                  WHERE null_frac <> 0 AND s2.schemaname = s.schemaname AND s2.tablename = s.tablename) AS nullhdr
    FROM pg_stats s, constants GROUP BY 1, 2, 3, 4, 5
  ) AS foo
),
table_bloat AS (
  SELECT schemaname, tablename, cc.relpages, bs,
         ceil((cc.reltuples * ((datahdr + ma - (CASE WHEN datahdr % ma = 0 THEN ma ELSE datahdr % ma END))
               + nullhdr2 + 4)) / (bs - 20::float)) AS otta
  FROM bloat_info JOIN pg_class cc ON cc.relname = bloat_info.tablename
  JOIN pg_namespace nn ON cc.relnamespace = nn.oid AND nn.nspname = bloat_info.schemaname
                       AND nn.nspname <> 'information_schema'
)
SELECT 'table' AS type, schemaname, tablename AS object_name,
       round(CASE WHEN otta = 0 THEN 0.0 ELSE relpages / otta::numeric END, 1) AS bloat,
       CASE WHEN relpages < otta THEN 0 ELSE (bs * (relpages - otta)::bigint)::bigint END AS raw_waste
FROM table_bloat ORDER BY raw_waste DESC, bloat DESC
"""

# heroku pg:table-size, pg:total-table-size, pg:table-indexes-size (one query here for the three sizes)
REFERENCE_TABLE_SIZES = """
SELECT c.relname AS name, pg_table_size(c.oid) AS table_size, pg_total_relation_size(c.oid) AS total_size,
       pg_indexes_size(c.oid) AS indexes_size
FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND c.relkind = 'r'
ORDER BY pg_table_size(c.oid) DESC
"""

# heroku pg:index-size (relpages * 8192, as of the last VACUUM/ANALYZE)
REFERENCE_INDEX_SIZE = """
SELECT c.relname AS name, sum(c.relpages::bigint * 8192)::bigint AS size
FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND c.relkind = 'i'
GROUP BY c.relname ORDER BY sum(c.relpages) DESC
"""

# heroku pg:vacuum-stats
REFERENCE_VACUUM_STATS = """
WITH table_opts AS (
  SELECT pg_class.oid, relname, nspname, array_to_string(reloptions, '') AS relopts
  FROM pg_class INNER JOIN pg_namespace ns ON relnamespace = ns.oid
), vacuum_settings AS (
  SELECT oid, relname, nspname,
    CASE WHEN relopts LIKE '%autovacuum_vacuum_threshold%'
      THEN substring(relopts, '.*autovacuum_vacuum_threshold=([0-9.]+).*')::integer
      ELSE current_setting('autovacuum_vacuum_threshold')::integer END AS autovacuum_vacuum_threshold,
    CASE WHEN relopts LIKE '%autovacuum_vacuum_scale_factor%'
      THEN substring(relopts, '.*autovacuum_vacuum_scale_factor=([0-9.]+).*')::real
      ELSE current_setting('autovacuum_vacuum_scale_factor')::real END AS autovacuum_vacuum_scale_factor
  FROM table_opts
)
SELECT vacuum_settings.nspname AS schema, vacuum_settings.relname AS table, pg_class.reltuples AS rowcount,
       psut.n_dead_tup AS dead_rowcount,
       autovacuum_vacuum_threshold + (autovacuum_vacuum_scale_factor::numeric * pg_class.reltuples) AS autovacuum_threshold,
       CASE WHEN autovacuum_vacuum_threshold + (autovacuum_vacuum_scale_factor::numeric * pg_class.reltuples)
                 < psut.n_dead_tup THEN 'yes' END AS expect_autovacuum
FROM pg_stat_user_tables psut INNER JOIN pg_class ON psut.relid = pg_class.oid
INNER JOIN vacuum_settings ON pg_class.oid = vacuum_settings.oid
ORDER BY 1, 2
"""


def reference(url: str, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql).fetchall()


def matched(ours: list[dict[str, Any]], key: str, theirs: list[dict[str, Any]], their_key: str) -> list[tuple[dict, dict]]:
    """Each of our rows beside the reference row of the same object; both must list the same objects."""
    by_name = {r[their_key]: r for r in theirs}
    assert {r[key] for r in ours} == set(by_name)
    return [(row, by_name[row[key]]) for row in ours]


async def call(url: str, tool: str, **arguments: Any) -> tuple[dict[str, Any], str]:
    async with Client(build_server(PostgresSettings(database_url=url))) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    return result.structured_content, result.content[0].text


async def test_every_kind_answers_with_rows_and_a_compact_text(sick_db: str) -> None:
    tables = ["sizes", "bloat", "vacuum", "seq_scans", "index_usage", "records_rank", "cache_hit"]
    index_kinds = ["unused", "duplicate", "invalid", "mostly_null", "sizes", "missing_fk"]
    async with Client(build_server(PostgresSettings(database_url=sick_db))) as client:
        for tool, kinds in (("pg_table_stats", tables), ("pg_index_stats", index_kinds)):
            for kind in kinds:
                result = await client.call_tool(tool, {"kind": kind})
                assert not result.is_error, (tool, kind, result.content[0].text)
                data = result.structured_content
                assert data["kind"] == kind and data["rows"], (tool, kind)
                text = result.content[0].text
                assert text.startswith(f"{kind}: {len(data['rows'])} row(s)")
                assert len(text.splitlines()) >= 3


async def test_limit_and_schema_narrow_the_listing(sick_db: str) -> None:
    top, text = await call(sick_db, "pg_table_stats", kind="sizes", limit=1)
    assert [r["table"] for r in top["rows"]] == [BLOATED_TABLE] and top["truncated"] is True
    assert "(more not shown)" in text
    none, _ = await call(sick_db, "pg_table_stats", kind="seq_scans", schema="no_such_schema")
    assert none["rows"] == [] and none["truncated"] is False


async def test_index_kinds_list_the_planted_problems(sick_db: str) -> None:
    unused, text = await call(sick_db, "pg_index_stats", kind="unused")
    row = next(r for r in unused["rows"] if r["index"] == UNUSED_INDEX)
    assert (row["class"], row["trusted"]) == ("never used", True)
    assert unused["note"].startswith("statistics are")
    assert "note: statistics are" in text
    missing, _ = await call(sick_db, "pg_index_stats", kind="missing_fk")
    assert [r["constraint"] for r in missing["rows"]] == [MISSING_FK]
    usage, _ = await call(sick_db, "pg_table_stats", kind="index_usage")
    assert next(r for r in usage["rows"] if r["table"] == SEQ_SCAN_TABLE)["index_usage_pct"] == 0


async def test_index_usage_agrees_with_heroku_pg_index_usage(sick_db: str) -> None:
    ours, _ = await call(sick_db, "pg_table_stats", kind="index_usage", limit=100)
    for row, ref in matched(ours["rows"], "table", reference(sick_db, REFERENCE_INDEX_USAGE), "relname"):
        assert row["live_rows"] == ref["rows_in_table"]
        if ref["percent_of_times_index_used"] != "Insufficient data":
            # theirs truncates (integer division), ours rounds to 0.1 %
            assert int(ref["percent_of_times_index_used"]) <= row["index_usage_pct"] <= int(ref["percent_of_times_index_used"]) + 1


async def test_cache_hit_totals_agree_with_heroku_pg_cache_hit(sick_db: str) -> None:
    ours, _ = await call(sick_db, "pg_table_stats", kind="cache_hit")
    theirs = {r["name"]: float(r["ratio"]) for r in reference(sick_db, REFERENCE_CACHE_HIT)}
    assert ours["totals"]["index_hit_rate"] == pytest.approx(theirs["index hit rate"], abs=1e-3)
    assert ours["totals"]["table_hit_rate"] == pytest.approx(theirs["table hit rate"], abs=1e-3)


async def test_never_used_indexes_agree_with_heroku_pg_unused_indexes(sick_db: str) -> None:
    ours, _ = await call(sick_db, "pg_index_stats", kind="unused", limit=100)
    theirs = reference(sick_db, REFERENCE_UNUSED_INDEXES)
    never = {r["index"]: r for r in ours["rows"] if r["class"] == "never used"}
    assert set(never) == {r["index"] for r in theirs if r["index_scans"] == 0}
    for ref in theirs:
        if ref["index"] in never:
            assert never[ref["index"]]["index_bytes"] == ref["index_size"]
            assert never[ref["index"]]["index_scans"] == ref["index_scans"]


async def test_table_bloat_estimate_agrees_with_heroku_pg_bloat(sick_db: str) -> None:
    ours, _ = await call(sick_db, "pg_table_stats", kind="bloat", limit=100)
    theirs = reference(sick_db, REFERENCE_BLOAT)
    mine = next(r for r in ours["rows"] if r["type"] == "table" and r["table"] == BLOATED_TABLE)
    ref = next(r for r in theirs if r["object_name"] == BLOATED_TABLE)
    assert mine["bloat_factor"] >= 10 and float(ref["bloat"]) >= 10
    assert mine["waste_bytes"] == pytest.approx(int(ref["raw_waste"]), rel=0.05)


async def test_sizes_agree_with_heroku_pg_table_size_and_index_size(sick_db: str) -> None:
    tables, _ = await call(sick_db, "pg_table_stats", kind="sizes", limit=100)
    for row, ref in matched(tables["rows"], "table", reference(sick_db, REFERENCE_TABLE_SIZES), "name"):
        assert (row["table_bytes"], row["total_bytes"], row["index_bytes"]) == (
            ref["table_size"], ref["total_size"], ref["indexes_size"])
    indexes, _ = await call(sick_db, "pg_index_stats", kind="sizes", limit=100)
    ref_indexes = {r["name"]: r["size"] for r in reference(sick_db, REFERENCE_INDEX_SIZE)}
    assert {r["index"]: r["index_bytes"] for r in indexes["rows"]} == ref_indexes


async def test_vacuum_stats_agree_with_heroku_pg_vacuum_stats(sick_db: str) -> None:
    ours, _ = await call(sick_db, "pg_table_stats", kind="vacuum", limit=100)
    for row, ref in matched(ours["rows"], "table", reference(sick_db, REFERENCE_VACUUM_STATS), "table"):
        assert row["dead_rows"] == ref["dead_rowcount"]
        assert abs(row["autovacuum_threshold"] - float(ref["autovacuum_threshold"])) <= 1
        assert row["expect_autovacuum"] == (ref["expect_autovacuum"] == "yes")
    assert next(r for r in ours["rows"] if r["table"] == BLOATED_TABLE)["expect_autovacuum"] is True


async def test_vacuum_trigger_honours_per_table_reloptions_and_the_pg18_cap(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for name, options in (("eager", "autovacuum_vacuum_threshold = 100, autovacuum_vacuum_scale_factor = 0"),
                              ("lazy", "autovacuum_vacuum_threshold = 5000"),
                              ("capped", "autovacuum_vacuum_max_threshold = 200"),  # PostgreSQL 18+
                              ("default_opts", "fillfactor = 100")):
            conn.execute(f"CREATE TABLE {name} (id int) WITH (autovacuum_enabled = false, {options})")
            conn.execute(f"INSERT INTO {name} SELECT generate_series(1, 4000)")
            conn.execute(f"DELETE FROM {name} WHERE id <= 2000")
        conn.execute("ANALYZE")
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
    ours, _ = await call(fresh_db, "pg_table_stats", kind="vacuum")
    got = {r["table"]: (r["autovacuum_threshold"], r["expect_autovacuum"], r["autovacuum_enabled"]) for r in ours["rows"]}
    # reltuples is 2,000 after ANALYZE; the server default is 50 + 0.2 * reltuples, capped from PG 18 on.
    assert got == {"eager": (100, True, False), "lazy": (5400, False, False), "capped": (200, True, False),
                   "default_opts": (450, True, False)}
    theirs = {r["table"]: r["expect_autovacuum"] == "yes" for r in reference(fresh_db, REFERENCE_VACUUM_STATS)}
    assert theirs == {name: expect for name, (_, expect, _) in got.items()}
