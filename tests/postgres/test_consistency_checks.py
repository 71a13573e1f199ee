"""The final consistency pass: no two findings advise contradictory things (real PostgreSQL, index checks)."""

from __future__ import annotations

import psycopg
import pytest

from mcp_servers.postgres.checks.indexes import CHECKS
from tests.postgres.check_runs import findings_by_name

pytestmark = pytest.mark.anyio

# invoices.account_id references accounts, and carries two identical indexes that no query uses while
# the table is scanned often (so the unused class is trusted even on young statistics); line_items
# has a used prefix index covered by a wider index that is never used.
_SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, name text);
INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 2000) g;
CREATE TABLE invoices (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), cents int);
INSERT INTO invoices (account_id, cents) SELECT 1 + g % 2000, g FROM generate_series(1, 20000) g;
CREATE INDEX invoices_account_a ON invoices (account_id);
CREATE INDEX invoices_account_b ON invoices (account_id);
CREATE TABLE line_items (id bigserial PRIMARY KEY, sku text, size int, note text);
INSERT INTO line_items (sku, size, note) SELECT 'sku' || (g % 500), g % 7, repeat('n', 300) || g FROM generate_series(1, 20000) g;
CREATE INDEX line_items_sku ON line_items (sku);
CREATE INDEX line_items_sku_note ON line_items (sku, note);
ANALYZE;
"""


async def test_index_advice_never_removes_both_halves_of_a_pair_or_the_last_index_of_a_foreign_key(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(_SCHEMA)
        conn.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
        for _ in range(1000):
            conn.execute("SELECT count(*) FROM invoices WHERE cents = 5")
        conn.execute("RESET enable_indexscan; RESET enable_bitmapscan; SET enable_seqscan = off")
        for i in range(1200):  # the narrow index is the one used; the wide one never
            conn.execute("SELECT id FROM line_items WHERE sku = %s", (f"sku{i % 500}",))
        for _ in range(1000):
            conn.execute("SELECT count(*) FROM line_items WHERE size = 99")
        conn.execute("SELECT pg_stat_force_next_flush()") if conn.info.server_version >= 150000 else None
    found = await findings_by_name(fresh_db, CHECKS)
    dropped = {r["index"] for name in ("unused_indexes", "duplicate_indexes") for r in found[name].rows
               if r.get("fix", "").startswith("DROP INDEX")}
    # one of the two equal foreign-key indexes goes, the other stays
    assert len(dropped & {"invoices_account_a", "invoices_account_b"}) == 1, found
    assert found["missing_fk_indexes"].status == "green"
    # the wide index (the planner prefers the small one) is never used: it is dropped, and the narrow one it covers is kept
    assert "line_items_sku_note" in dropped and "line_items_sku" not in dropped, ([(r["index"], r.get("class"), r.get("index_scans"), r.get("trusted"), r.get("keep")) for r in found["unused_indexes"].rows], found["duplicate_indexes"].rows)
    assert "kept, since other findings need them" in found["unused_indexes"].summary
    assert "kept by the consistency pass" in (found["duplicate_indexes"].reason or "") + (found["unused_indexes"].reason or "")
