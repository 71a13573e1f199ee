"""Storage problems for the sick demo database, and a healthy twin for the "no false alarms" tests.

`plant_storage_problems(conn)` builds a small shop schema (customers, orders, order_items, events) on
an empty database and plants, each where a real application would grow it:

- order_items: >= 10k rows read by many sequential scans on `sku` (no index), and a foreign key
  `order_id` without an index;
- orders: `orders_created_at_idx` never used while the table gets thousands of index scans (so the
  statistics are not empty), `index_orders_on_customer_id` duplicating `orders_customer_id_idx` (an ORM
  migration added it again), and `orders_coupon_code_idx` on a column that is 95 % NULL;
- customers: `customers_name_key`, a unique index whose concurrent build failed on duplicate names,
  left invalid;
- events: autovacuum disabled (reloption), 95 % of its rows deleted: dead rows and table bloat.

`plant_healthy_storage(conn)` builds the same schema done right: every foreign key indexed, every
index used by the workload, no dead rows, analyzed. Both take a sync psycopg connection in autocommit
mode (superuser not needed) and finish in about a second.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = [
    "BLOATED_TABLE", "DUPLICATE_PAIR", "INVALID_INDEX", "MISSING_FK", "NULL_INDEX", "SEQ_SCANS", "SEQ_SCAN_TABLE",
    "UNUSED_INDEX", "plant_healthy_storage", "plant_storage_problems", "replay_healthy_traffic",
]

SEQ_SCANS = 120
SEQ_SCAN_TABLE = "order_items"
MISSING_FK = "order_items_order_id_fkey"
UNUSED_INDEX = "orders_created_at_idx"
# Two equal indexes: whichever the planner leaves unused is the duplicate to drop.
DUPLICATE_PAIR = ("orders_customer_id_idx", "index_orders_on_customer_id")
INVALID_INDEX = "customers_name_key"
NULL_INDEX = "orders_coupon_code_idx"
BLOATED_TABLE = "events"

_SCHEMA = """
CREATE TABLE customers (
  id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (
  id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), status text NOT NULL,
  total_cents int NOT NULL, coupon_code text, created_at timestamptz NOT NULL);
CREATE TABLE order_items (
  id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id), sku text NOT NULL,
  quantity int NOT NULL, price_cents int NOT NULL);
CREATE TABLE events (
  id bigserial PRIMARY KEY, customer_id bigint NOT NULL, kind text NOT NULL, payload text,
  created_at timestamptz NOT NULL) {events_options};
"""

_DATA = """
INSERT INTO customers (email, name, created_at)
  SELECT 'user' || g || '@example.com', 'Customer ' || (g % 3000), now() - g * interval '1 hour'
  FROM generate_series(1, 5000) g;
INSERT INTO orders (customer_id, status, total_cents, coupon_code, created_at)
  SELECT 1 + g % 5000, (ARRAY['new','paid','shipped','delivered'])[1 + g % 4], 500 + g % 20000,
         CASE WHEN g % 20 = 0 THEN 'SPRING' || (g % 7) END, now() - g * interval '5 minutes'
  FROM generate_series(1, 10000) g;
INSERT INTO order_items (order_id, sku, quantity, price_cents)
  SELECT 1 + g % 10000, 'SKU-' || (g % 800), 1 + g % 3, 100 + g % 5000 FROM generate_series(1, 12000) g;
INSERT INTO events (customer_id, kind, payload, created_at)
  SELECT 1 + g % 5000, (ARRAY['login','view','cart','checkout'])[1 + g % 4],
         repeat(md5(g::text), 4), now() - g * interval '1 minute'
  FROM generate_series(1, {events}) g;
"""


def _run(conn: Any, sql: str) -> None:
    for statement in filter(str.strip, sql.split(";")):
        conn.execute(statement)


def _workload(conn: Any, *, seq_scans: int) -> None:
    """Reads a web app would do: order pages by customer, coupon lookups, SKU reports."""
    for customer in range(1, 41):
        conn.execute("SELECT id, total_cents FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 10",
                     (customer,))
    for code in range(5):
        conn.execute("SELECT count(*) FROM orders WHERE coupon_code = %s", (f"SPRING{code}",))
    for n in range(seq_scans):
        conn.execute("SELECT count(*), sum(quantity) FROM order_items WHERE sku = %s", (f"SKU-{n % 800}",))


def _flush_stats(conn: Any, until: str | None = None) -> None:
    """Make this session's counters visible to other sessions now, not a second later.

    `until`: a query answering true once the counters it expects are visible. Before 15 the stats collector
    publishes them 500 ms (PGSTAT_STAT_INTERVAL) after the session goes idle at the earliest, and later on a
    loaded machine, so the wait polls for that (15 s at most) rather than trusting one sleep.
    """
    if conn.info.server_version >= 150000:
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")  # the flush happens when this session goes idle after a transaction
        return
    time.sleep(0.6)
    deadline = time.monotonic() + 15
    while until is not None and time.monotonic() < deadline:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        if conn.execute(until).fetchone()[0]:
            return
        time.sleep(0.2)


def plant_storage_problems(conn: Any) -> None:
    """Create the sick shop schema on an empty database (sync psycopg connection, autocommit)."""
    import psycopg

    conn.execute("SET max_parallel_workers_per_gather = 0")  # faster for a small seed, same counters
    _run(conn, _SCHEMA.format(events_options="WITH (autovacuum_enabled = false)"))
    _run(conn, """
        CREATE INDEX orders_customer_id_idx ON orders (customer_id);
        CREATE INDEX index_orders_on_customer_id ON orders (customer_id);
        CREATE INDEX orders_created_at_idx ON orders (created_at);
        CREATE INDEX orders_coupon_code_idx ON orders (coupon_code) WITH (deduplicate_items = off);
        CREATE INDEX events_customer_id_idx ON events (customer_id)
    """)
    _run(conn, _DATA.format(events=60_000))
    conn.execute("DELETE FROM events WHERE id % 20 <> 0")  # 95 % dead rows, nobody vacuums them
    _flush_stats(conn)  # let ANALYZE see the delete's counters, not race them
    try:
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY customers_name_key ON customers (name)")
    except psycopg.errors.UniqueViolation:
        pass  # expected: the failed build leaves customers_name_key behind, invalid
    conn.execute("ANALYZE")
    _workload(conn, seq_scans=SEQ_SCANS)
    _flush_stats(conn)


# Every non-unique index of the healthy seed was scanned, as the young-statistics check of unused indexes reads it.
_PLANTED_INDEXES_USED = """
SELECT NOT EXISTS (SELECT 1 FROM pg_stat_user_indexes s JOIN pg_index i USING (indexrelid)
                   WHERE s.idx_scan = 0 AND NOT i.indisunique)
"""


def plant_healthy_storage(conn: Any) -> None:
    """The same schema without the problems: indexed foreign keys, used indexes, no dead rows, analyzed."""
    conn.execute("SET max_parallel_workers_per_gather = 0")
    _run(conn, _SCHEMA.format(events_options=""))
    _run(conn, """
        CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at);
        CREATE INDEX orders_coupon_code_idx ON orders (coupon_code) WHERE coupon_code IS NOT NULL;
        CREATE INDEX order_items_order_id_idx ON order_items (order_id);
        CREATE INDEX order_items_sku_idx ON order_items (sku);
        CREATE INDEX events_customer_id_idx ON events (customer_id)
    """)
    _run(conn, _DATA.format(events=10_000))
    conn.execute("ANALYZE")
    _workload(conn, seq_scans=SEQ_SCANS)
    for order in range(1, 21):
        conn.execute("SELECT sku, quantity FROM order_items WHERE order_id = %s", (order,))
    for customer in range(1, 21):
        conn.execute("SELECT kind FROM events WHERE customer_id = %s", (customer,))
    _flush_stats(conn, until=_PLANTED_INDEXES_USED)


def replay_healthy_traffic(conn: Any, rounds: int = 3) -> None:
    """Reset this database's statistics, then replay the healthy shop's traffic: page reads, lookups by
    every indexed column, and the writes that come with orders (for "mature statistics" tests, which then
    judge the counters as if a day had passed)."""
    conn.execute("SELECT pg_stat_reset()")
    conn.execute("SET max_parallel_workers_per_gather = 0")
    for r in range(rounds):
        _workload(conn, seq_scans=SEQ_SCANS)
        for n in range(1, 41):
            conn.execute("SELECT sku, quantity FROM order_items WHERE order_id = %s", (n + 40 * r,))
            conn.execute("SELECT kind FROM events WHERE customer_id = %s", (n + 40 * r,))
        conn.execute("INSERT INTO orders (customer_id, status, total_cents, created_at) "
                     "SELECT 1 + g % 5000, 'new', 900, now() FROM generate_series(1, 200) g")
        conn.execute("INSERT INTO order_items (order_id, sku, quantity, price_cents) "
                     "SELECT 1 + g % 10000, 'SKU-' || (g % 800), 1, 100 FROM generate_series(1, 400) g")
        conn.execute("UPDATE orders SET status = 'paid' WHERE id IN (SELECT id FROM orders WHERE status = 'new' LIMIT 50)")
    # Before PostgreSQL 15 the reset and the counters travel to the stats collector asynchronously: wait
    # until every plain index shows the replayed scans, so no reader sees the reset alone.
    _flush_stats(conn, until=_PLANTED_INDEXES_USED)
