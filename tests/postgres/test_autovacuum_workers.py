"""The autovacuum-worker check reads workers in every state, including one that has not started a table yet."""

from __future__ import annotations

from datetime import UTC, datetime

from mcp_servers.postgres.checks.base import DbFacts
from mcp_servers.postgres.checks.maintenance import AUTOVACUUM_WORKERS


def _worker(seconds: float | None, **extra: object) -> dict[str, object]:
    return {"pid": 7, "database": "shop", "seconds": seconds, "anti_wraparound": None, "relation": None,
            "schema": None, "table": None, "phase": None, "max_workers": 3, "query": "", **extra}


def test_a_worker_without_a_transaction_yet_is_counted_not_a_crash() -> None:
    # Seen on PostgreSQL 14 under load: a worker between tables has xact_start and query_start NULL.
    facts = DbFacts(server_version_num=140000, database="shop", max_connections=100, in_recovery=False,
                    stats_reset=None, now=datetime.now(UTC))
    finding = AUTOVACUUM_WORKERS.evaluate([_worker(None), _worker(4000.0, pid=8)], AUTOVACUUM_WORKERS.limits, facts)
    assert finding.status == "yellow"
    assert [r["pid"] for r in finding.rows] == [8]
