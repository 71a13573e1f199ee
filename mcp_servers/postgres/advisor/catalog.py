"""What the advisor needs to know about the tables a workload touches: size, column statistics, indexes, writes.

Three catalog reads, each bound by table references or oids (never formatted into the SQL). Names are
resolved the way the statements' own session would, through `to_regclass` and the search_path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

__all__ = ["ColumnStats", "ExistingIndex", "TableFacts", "load_tables", "qualified_ref", "quote_ident"]

TABLES_SQL = """
SELECT r.ref, c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
       (CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_catalog.pg_relation_size(c.oid) / 100 END)::float8 AS rows,
       coalesce(st.n_tup_ins + st.n_tup_upd + st.n_tup_del, 0)::int8 AS writes,
       extract(epoch FROM now() - coalesce(
           (SELECT d.stats_reset FROM pg_catalog.pg_stat_database d WHERE d.datname = current_database()),
           pg_catalog.pg_postmaster_start_time()))::float8 / 3600 AS stats_hours
FROM unnest(%(refs)s::text[]) AS r(ref)
JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(r.ref)
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_all_tables st ON st.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""  # never-analysed tables (reltuples -1) get a rough 100-bytes-per-row estimate, as pg_explain does

COLUMNS_SQL = """
SELECT a.attrelid::int8 AS oid, a.attname AS name, s.null_frac::float8 AS null_frac, s.n_distinct::float8 AS n_distinct,
       s.most_common_freqs::float8[] AS mcv_freqs, coalesce(s.avg_width, a.attlen) AS avg_width,
       s.attname IS NOT NULL AS analysed
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stats s
  ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND s.inherited = (c.relkind = 'p')
WHERE a.attrelid = ANY(%(oids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
"""

INDEXES_SQL = """
SELECT i.indrelid::int8 AS oid, ic.relname AS name, am.amname AS method, i.indisvalid AS valid,
       i.indpred IS NOT NULL AS partial,
       ARRAY(SELECT coalesce(a.attname, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS columns
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE i.indrelid = ANY(%(oids)s::oid[])
"""  # expression columns come back as '' so no candidate column can match them


def quote_ident(name: str) -> str:
    """An identifier as PostgreSQL reads it back exactly (always quoted, quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def qualified_ref(schema: str | None, table: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(table)}" if schema else quote_ident(table)


@dataclass(frozen=True)
class ColumnStats:
    name: str
    analysed: bool
    null_frac: float = 0.0
    n_distinct: float = 0.0  # pg_stats: > 0 a count, < 0 minus the fraction of rows
    mcv_freqs: tuple[float, ...] = ()
    avg_width: int = 8

    def distinct(self, rows: float) -> float | None:
        if not self.analysed or self.n_distinct == 0:
            return None
        return self.n_distinct if self.n_distinct > 0 else -self.n_distinct * rows

    def eq_fraction(self, rows: float) -> float | None:
        """Expected share of rows one equality matches, for a value drawn from the data (None: no statistics).

        With most-common values, a frequent value is also a frequently queried one: sum(f^2) over the
        MCVs plus the rest spread evenly. A 50/50 boolean gives 0.5; a unique column 1/rows.
        """
        nd = self.distinct(rows)
        if nd is None:
            return None
        if not self.mcv_freqs:
            return (1 - self.null_frac) / max(nd, 1)
        rest = max(0.0, 1 - self.null_frac - sum(self.mcv_freqs))
        others = max(nd - len(self.mcv_freqs), 1)
        return sum(f * f for f in self.mcv_freqs) + rest * rest / others


@dataclass(frozen=True)
class ExistingIndex:
    name: str
    method: str
    columns: tuple[str, ...]
    usable: bool  # valid and not partial: it serves any query on its columns


@dataclass
class TableFacts:
    oid: int
    schema: str
    name: str
    rows: float
    writes_per_hour: float | None
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    indexes: list[ExistingIndex] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"


async def load_tables(
    conn: psycopg.AsyncConnection[dict[str, Any]], names: set[tuple[str | None, str]]
) -> dict[tuple[str | None, str], TableFacts]:
    """Facts of every named table that exists (views, CTE names and catalogs drop out), keyed as named."""
    if not names:
        return {}
    by_ref = {qualified_ref(*n): n for n in names}
    rows = await (await conn.execute(TABLES_SQL, {"refs": list(by_ref)})).fetchall()
    found: dict[tuple[str | None, str], TableFacts] = {}
    by_oid: dict[int, TableFacts] = {}
    for r in rows:
        facts = by_oid.get(r["oid"]) or TableFacts(
            oid=r["oid"], schema=r["schema"], name=r["name"], rows=r["rows"],
            writes_per_hour=round(r["writes"] / r["stats_hours"], 1) if r["stats_hours"] else None,
        )
        by_oid[facts.oid] = facts
        found[by_ref[r["ref"]]] = facts
    if not by_oid:
        return {}
    params = {"oids": list(by_oid)}
    for c in await (await conn.execute(COLUMNS_SQL, params)).fetchall():
        by_oid[c["oid"]].columns[c["name"]] = ColumnStats(
            name=c["name"], analysed=c["analysed"], null_frac=c["null_frac"] or 0.0, n_distinct=c["n_distinct"] or 0.0,
            mcv_freqs=tuple(c["mcv_freqs"] or ()), avg_width=max(int(c["avg_width"] or 8), 1),
        )
    for i in await (await conn.execute(INDEXES_SQL, params)).fetchall():
        by_oid[i["oid"]].indexes.append(
            ExistingIndex(name=i["name"], method=i["method"], columns=tuple(i["columns"]), usable=i["valid"] and not i["partial"])
        )
    return found
