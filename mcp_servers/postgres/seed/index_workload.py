"""A workload whose right indexes are known, with traps an index advisor must not fall into.

Right answers (`RIGHT_INDEXES`): a selective equality filter, equality plus range (equality column
first), an unindexed foreign-key join, a filter plus ORDER BY ... LIMIT, and an UPDATE's unindexed WHERE
column. Traps: a 50/50 boolean, a lookup an existing unique index serves, a tiny table, a column that
already leads a two-column index, the column that UPDATE keeps setting (`SET heartbeat_at = $1` is no
filter), and a DELETE ... USING whose keys are indexed. The writes leave the data as planted apart from
heartbeats (the DELETE asks for orders that do not exist). Used by the advisor's tests and by
`benchmarks/bench_index_advisor.py`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["RECORDED_SQL", "RIGHT_INDEXES", "WORKLOAD", "WorkloadQuery", "plant_index_workload", "run_index_workload"]

SCHEMA_SQL = """
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, region text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO customers SELECT g, 'user' || g || '@example.com', (ARRAY['eu','us','apac'])[1 + g % 3],
       timestamptz '2024-01-01' + g * interval '17 minutes' FROM generate_series(1, 20000) g;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, placed_by int NOT NULL,
       is_paid boolean NOT NULL, status text NOT NULL, total_cents int NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO orders SELECT g, 1 + (g * 7919) % 20000, 1 + (g * 31) % 1000, g % 2 = 0,
       (ARRAY['new','paid','shipped','done','void'])[1 + g % 5], (g * 37) % 50000,
       timestamptz '2024-01-01' + g * interval '5 minutes' FROM generate_series(1, 100000) g;
CREATE TABLE events (id bigint PRIMARY KEY, account_id int NOT NULL, kind text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO events SELECT g, 1 + (g * 13) % 2000, (ARRAY['login','view','click'])[1 + g % 3],
       timestamptz '2024-01-01' + g * interval '3 minutes' FROM generate_series(1, 100000) g;
CREATE TABLE products (id int PRIMARY KEY, sku text NOT NULL UNIQUE, title text NOT NULL);
INSERT INTO products SELECT g, 'SKU-' || g, 'product ' || g FROM generate_series(1, 20000) g;
CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
INSERT INTO countries SELECT 'C' || g, 'country ' || g FROM generate_series(1, 50) g;
CREATE TABLE shipments (id int PRIMARY KEY, order_ref int NOT NULL, carrier text NOT NULL, shipped_at timestamptz NOT NULL);
INSERT INTO shipments SELECT g, g, 'carrier ' || g % 7, timestamptz '2024-01-01' + g * interval '9 minutes'
       FROM generate_series(1, 50000) g;
CREATE INDEX shipments_order_ref_shipped_at ON shipments (order_ref, shipped_at);
CREATE TABLE jobs (id int PRIMARY KEY, worker_id int NOT NULL, state text NOT NULL, heartbeat_at timestamptz NOT NULL);
INSERT INTO jobs SELECT g, 1 + (g * 17) % 3000, (ARRAY['ready','running','done'])[1 + g % 3],
       timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 30000) g;
ANALYZE;
"""


@dataclass(frozen=True)
class WorkloadQuery:
    name: str
    sql: str  # with $n parameters, as pg_stat_statements stores it
    args: Any  # callable(rng) -> tuple of parameter values
    right: tuple[str, tuple[str, ...]] | None  # the index it needs, or None for a trap


WORKLOAD: tuple[WorkloadQuery, ...] = (
    WorkloadQuery("selective equality", "SELECT id, region FROM customers WHERE email = $1",
                  lambda r: (f"user{r.randint(1, 20000)}@example.com",), ("public.customers", ("email",))),
    WorkloadQuery("equality plus range",
                  "SELECT id, total_cents FROM orders WHERE created_at >= $1 AND created_at < $2 AND placed_by = $3",
                  lambda r: ("2024-03-01", "2024-06-01", r.randint(1, 1000)), ("public.orders", ("placed_by", "created_at"))),
    WorkloadQuery("unindexed foreign-key join",
                  "SELECT c.email, o.total_cents FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1",
                  lambda r: (r.randint(1, 20000),), ("public.orders", ("customer_id",))),
    WorkloadQuery("filter plus ORDER BY LIMIT",
                  "SELECT id, kind, created_at FROM events WHERE account_id = $1 ORDER BY created_at DESC LIMIT 20",
                  lambda r: (r.randint(1, 2000),), ("public.events", ("account_id", "created_at"))),
    WorkloadQuery("trap: 50/50 boolean", "SELECT count(*) FROM orders WHERE is_paid = $1",
                  lambda r: (r.random() < 0.5,), None),
    WorkloadQuery("trap: served by an existing index", "SELECT id, title FROM products WHERE sku = $1",
                  lambda r: (f"SKU-{r.randint(1, 20000)}",), None),
    WorkloadQuery("trap: tiny table", "SELECT code FROM countries WHERE name = $1",
                  lambda r: (f"country {r.randint(1, 50)}",), None),
    WorkloadQuery("trap: column leads a two-column index", "SELECT carrier FROM shipments WHERE order_ref = $1",
                  lambda r: (r.randint(1, 50000),), None),
    WorkloadQuery("UPDATE by an unindexed column (trap: the column it sets)",
                  "UPDATE jobs SET heartbeat_at = $1 WHERE worker_id = $2 RETURNING id",
                  lambda r: (f"2024-06-{r.randint(1, 30):02d}", r.randint(1, 3000)), ("public.jobs", ("worker_id",))),
    WorkloadQuery("trap: DELETE ... USING on indexed keys",
                  "DELETE FROM shipments s USING orders o WHERE o.id = s.order_ref AND o.id = $1 RETURNING s.id",
                  lambda r: (r.randint(100001, 200000),), None),
)

RIGHT_INDEXES: frozenset[tuple[str, tuple[str, ...]]] = frozenset(q.right for q in WORKLOAD if q.right)


def _as_recorded(sql: str) -> str:
    """The text pg_stat_statements keeps: the one constant of the workload, a LIMIT, becomes the next $n."""
    limit = re.search(r"LIMIT (\d+)$", sql)
    return f"{sql[:limit.start(1)]}${sql.count('$') + 1}" if limit else sql


RECORDED_SQL: frozenset[str] = frozenset(_as_recorded(q.sql) for q in WORKLOAD)


def plant_index_workload(conn: Any) -> None:
    """Create and fill the tables (sync psycopg connection in autocommit)."""
    conn.execute(SCHEMA_SQL)


def run_index_workload(conn: Any, calls: int = 20, seed: int = 14) -> None:
    """Run every workload query `calls` times with varied values, so pg_stat_statements records them.

    In autocommit: the UPDATE's heartbeats stay (as a real queue's would); the DELETE matches nothing.
    """
    import psycopg

    rng = random.Random(seed)
    with psycopg.RawCursor(conn) as cur:  # $n placeholders, sent as parameters: one normalised entry each
        for _ in range(calls):
            for query in WORKLOAD:
                cur.execute(query.sql, query.args(rng))
                cur.fetchall()
