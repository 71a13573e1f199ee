"""The autovacuum-worker check reads workers in every state, including one that has not started a table yet."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mcp_servers.postgres.checks.base import DbFacts
from mcp_servers.postgres.checks.maintenance import AUTOVACUUM_WORKERS


def _worker(seconds: float | None, **extra: object) -> dict[str, object]:
    return {"pid": 7, "database": "shop", "seconds": seconds, "anti_wraparound": None, "relation": None,
            "schema": None, "table": None, "phase": None, "max_workers": 3, "query": "", **extra}


pytestmark = pytest.mark.anyio


def test_a_worker_without_a_transaction_yet_is_counted_not_a_crash() -> None:
    # Seen on PostgreSQL 14 under load: a worker between tables has xact_start and query_start NULL.
    facts = DbFacts(server_version_num=140000, database="shop", max_connections=100, in_recovery=False,
                    stats_reset=None, now=datetime.now(UTC))
    finding = AUTOVACUUM_WORKERS.evaluate([_worker(None), _worker(4000.0, pid=8)], AUTOVACUUM_WORKERS.limits, facts)
    assert finding.status == "yellow"
    assert [r["pid"] for r in finding.rows] == [8]


async def test_a_check_that_cannot_judge_its_rows_is_skipped_and_the_others_still_run(fresh_db: str) -> None:
    from mcp_servers.postgres.checks.base import Check
    from tests.postgres.check_runs import run

    def broken(rows, limits, facts):
        raise TypeError("'>=' not supported between instances of 'NoneType' and 'float'")

    bad = Check(name="broken_check", area="maintenance", sql="SELECT 1 AS one", evaluate=broken,
                limits=AUTOVACUUM_WORKERS.limits, remediation="-", description="a check with a bug")
    found = await run(fresh_db, bad, AUTOVACUUM_WORKERS)
    assert (found[0].check, found[0].status) == ("broken_check", "skipped")
    assert "could not judge" in found[0].reason
    assert found[1].check == "autovacuum_workers" and found[1].status != "skipped"
