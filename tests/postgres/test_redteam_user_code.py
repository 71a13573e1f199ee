"""Second hostile round, end to end on every PostgreSQL Heroku runs (14-18; 14, 16, 17 in the slow tier): user code and secrets.

Every input first proves itself real (run without our guard, it makes the server write the marker
file), then must be refused by both pg_query and pg_explain, with the marker still absent and the
data unchanged after each one. The analyst reads must still pass on the same booby-trapped schema.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from mcp import Client
from redteam_corpus import ANALYST_READS
from redteam_user_code import SAFE_SCHEMA_READS, USER_CODE_ATTACKS, USER_CODE_TRAPS_SQL
from trapped_database import trapped_database

from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from tests.postgres.pg_versions import SERVERS_ON_EVERY_VERSION

pytestmark = pytest.mark.anyio

STATE_SQL = "SELECT (SELECT json_agg(p ORDER BY id) FROM plain p)::text, (SELECT count(*) FROM trap_pair_tab)"


@dataclass(frozen=True)
class TrappedDb:
    url: str
    version: int
    marker: Path

    def state(self) -> tuple:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(STATE_SQL).fetchone()

    def fired(self) -> bool:
        """Whether user code ran since the last look (and reset the marker)."""
        if self.marker.exists():
            self.marker.unlink()
            return True
        return False


@pytest.fixture(scope="module", params=SERVERS_ON_EVERY_VERSION)
def trapped(request: pytest.FixtureRequest) -> Iterator[TrappedDb]:
    cluster = request.getfixturevalue(f"{request.param}_pg")
    with trapped_database(cluster, "usercode", USER_CODE_TRAPS_SQL) as (url, folder):
        db = TrappedDb(url, cluster.version, folder / "marker")
        db.fired()  # building the schema ran the traps (inserts, index build)
        yield db


def _live(attack, version: int) -> bool:
    return attack.live in ("run", "explain") and version // 10000 >= attack.since


def _text(result) -> str:
    return json.dumps(result.structured_content) if not result.is_error else result.content[0].text


def test_each_input_runs_user_code_when_nothing_guards_it(trapped: TrappedDb) -> None:
    dud = []
    for attack in (a for a in USER_CODE_ATTACKS if _live(a, trapped.version)):
        sql = f"EXPLAIN {attack.sql}" if attack.live == "explain" else attack.sql
        with psycopg.connect(trapped.url) as conn:
            conn.execute("BEGIN READ ONLY")
            try:
                conn.execute(sql).fetchall()
            except psycopg.errors.FeatureNotSupported:
                continue  # e.g. XMLTABLE on a server built without libxml
            conn.rollback()
        if not trapped.fired():
            dud.append(attack.name)
    assert dud == []


async def test_every_way_to_user_code_is_refused_by_query_and_explain(trapped: TrappedDb) -> None:
    before = trapped.state()
    problems = []
    async with Client(build_server(PostgresSettings(database_url=trapped.url))) as client:
        for attack in USER_CODE_ATTACKS:
            for tool in ("pg_query", "pg_explain"):
                result = await client.call_tool(tool, {"sql": attack.sql})
                text = _text(result)
                if not (result.is_error and "refused: " in text and attack.reason in text):
                    problems.append(f"{tool} {attack.name}: {text[:160]}")
                if trapped.fired():
                    problems.append(f"{tool} {attack.name}: user code ran")
                if trapped.state() != before:
                    problems.append(f"{tool} {attack.name}: the data changed")
    assert problems == []


async def test_analyst_reads_still_pass_on_the_booby_trapped_schema(trapped: TrappedDb) -> None:
    false_refusals = []
    async with Client(build_server(PostgresSettings(database_url=trapped.url))) as client:
        for sql in [*ANALYST_READS, *SAFE_SCHEMA_READS, "SELECT * FROM plain WHERE id IN (1, 2) AND note BETWEEN 'a' AND 'z' ORDER BY note", "SELECT CASE id WHEN 1 THEN 'one' END, p2.j->>'b' FROM plain JOIN plain p2 USING (id)", "SELECT DISTINCT moods FROM tagged WHERE 'calm' = ANY(moods) ORDER BY moods", "SELECT array_agg(p ORDER BY p.id) FROM plain p"]:
            result = await client.call_tool("pg_query", {"sql": sql, "limit": 5})
            if result.is_error:
                false_refusals.append(f"{sql[:70]} -> {_text(result)[:200]}")
    assert false_refusals == []
    assert not trapped.fired()


async def test_passwords_in_query_text_and_mapping_options_never_come_back(trapped: TrappedDb) -> None:
    secret = f"pw-{uuid.uuid4().hex}"
    role = f"i11_{uuid.uuid4().hex[:8]}"
    holder = psycopg.connect(trapped.url)  # leaves its last statement in pg_stat_activity, idle in transaction
    with psycopg.connect(trapped.url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role}")
        admin.execute("CREATE FOREIGN DATA WRAPPER i11_fdw")
        admin.execute("CREATE SERVER i11_srv FOREIGN DATA WRAPPER i11_fdw")
        admin.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER i11_srv OPTIONS (user 'u', password '{secret}')")
        dbname = trapped.url.rsplit("/", 1)[1]
        admin.execute(f"ALTER DATABASE \"{dbname}\" SET i11.conninfo = 'host=h user=u password={secret} dbname=d'")
    try:
        holder.execute(f"ALTER ROLE {role} PASSWORD '{secret}'")
        texts = []
        async with Client(build_server(PostgresSettings(database_url=trapped.url))) as client:
            for tool, args in [
                ("pg_activity", {"kind": "idle_in_transaction", "min_seconds": 0}),
                ("pg_query", {"sql": "SELECT query FROM pg_stat_activity WHERE query ILIKE '%password%'"}),
                ("pg_query", {"sql": f"SELECT 'host=h password={secret} dbname=d' AS conninfo"}),
                ("pg_query", {"sql": "SELECT * FROM information_schema.user_mapping_options"}),
                ("pg_query", {"sql": "SELECT * FROM information_schema._pg_user_mappings"}),
                ("pg_query", {"sql": "SELECT * FROM pg_hba_file_rules"}),
                ("pg_query", {"sql": "SELECT * FROM pg_catalog.pg_file_settings"}),
                ("pg_query", {"sql": "SHOW i11.conninfo"}),  # a conninfo setting (as primary_conninfo is)
                ("pg_query", {"sql": "SELECT current_setting('i11.conninfo') AS v"}),
            ]:
                texts.append(_text(await client.call_tool(tool, args)))
    finally:
        holder.close()
        with psycopg.connect(trapped.url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")
            admin.execute("DROP FOREIGN DATA WRAPPER i11_fdw CASCADE")
            admin.execute(f"ALTER DATABASE \"{trapped.url.rsplit('/', 1)[1]}\" RESET i11.conninfo")
    assert not any(secret in t for t in texts), texts
    assert "PASSWORD '********'" in texts[0] and "PASSWORD '********'" in texts[1]
    assert "password=********" in texts[2]
    assert all("refused: relation" in t for t in texts[3:7]), texts[3:7]
    assert all("password=********" in t for t in texts[7:]), texts[7:]


async def test_a_superuser_answer_says_so_and_its_temporary_files_are_capped(trapped: TrappedDb) -> None:
    big_sort = "SELECT md5(g::text) || repeat('x', 200) AS t FROM generate_series(1, 700000) g ORDER BY 1"
    settings = PostgresSettings(database_url=trapped.url, statement_timeout_ms=120_000)
    async with Client(build_server(settings)) as client:
        small = await client.call_tool("pg_query", {"sql": "SELECT 1 AS one"})
        sort = await client.call_tool("pg_query", {"sql": big_sort, "limit": 1})
    assert small.structured_content["superuser"] is True
    assert (sort.is_error and "temp_file_limit" in _text(sort)) or "temporary file size exceeds" in _text(sort), _text(sort)
