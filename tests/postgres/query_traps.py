"""The booby-trapped database the pg_query / pg_explain tests run against, and what must never change in it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from trapped_database import trapped_database

__all__ = ["ROOT", "RO_PASSWORD", "RO_ROLE", "TrapDb", "query_trap_db", "run_readonly_role_script"]

ROOT = Path(__file__).resolve().parents[2]
RO_ROLE = "mcp_ro_test"
RO_PASSWORD = "ro-test-pw-7731"
_ROLE_LOCK_KEY = 0x686D74726F6C65  # "hmtrole": one run of the role script per cluster at a time

TRAPS_SQL = """
CREATE TABLE canary (id int PRIMARY KEY, note text);
INSERT INTO canary VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma');
CREATE SEQUENCE canary_seq;
CREATE FUNCTION evil() RETURNS int LANGUAGE plpgsql AS $f$
BEGIN EXECUTE format('COPY (SELECT 1) TO %L', '{marker}'); RETURN 1; END $f$;
CREATE PROCEDURE evil_proc() LANGUAGE sql AS $f$ DELETE FROM canary $f$;
CREATE FUNCTION public.lower(int) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN 'x'; END $f$;
CREATE FUNCTION evil_check(text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN true; END $f$;
CREATE DOMAIN evil_domain AS text CHECK (evil_check(VALUE));
CREATE FUNCTION evil_op(int, int) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN true; END $f$;
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = evil_op);
CREATE TYPE evil_box AS (v int);
CREATE FUNCTION evil_box_to_money(evil_box) RETURNS money LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN 1; END $f$;
CREATE CAST (evil_box AS money) WITH FUNCTION evil_box_to_money(evil_box);
"""

STATE_SQL = """
SELECT (SELECT json_agg(c ORDER BY id) FROM canary c)::text AS canary,
       (SELECT last_value || '/' || is_called FROM canary_seq) AS seq,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public') AS relations,
       (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects
"""


@dataclass(frozen=True)
class TrapDb:
    admin_url: str
    readonly_url: str
    version: int
    secret_path: Path
    secret_text: str
    marker: Path
    cluster_admin_url: str = ""  # the server's maintenance database, where the role script's lock is taken

    def state(self, conn: psycopg.Connection | None = None) -> dict:
        """What the attacks must not change, read as the superuser (autocommit, fresh snapshot each time)."""
        if conn is None:
            with psycopg.connect(self.admin_url, autocommit=True) as own:
                return self.state(own)
        row = conn.execute(STATE_SQL).fetchone()
        return dict(zip(("canary", "seq", "relations", "large_objects"), row, strict=True))


def query_trap_db(cluster: Any) -> Iterator[TrapDb]:
    """The trapped database with a secret file the server could read and a read-only role (the fixture's body)."""
    with trapped_database(cluster, "query", TRAPS_SQL) as (url, folder):
        secret_text = f"TOPSECRET-{uuid.uuid4().hex}"
        secret = folder / "secret.txt"
        secret.write_text(secret_text)
        secret.chmod(0o644)
        made = run_readonly_role_script(cluster.admin_url, url, "--show-password")
        assert made.returncode == 0, made.stderr
        readonly_url = re.search(r"^DATABASE_URL=(\S+)$", made.stdout, re.M)[1]
        yield TrapDb(url, readonly_url, cluster.version, secret, secret_text, folder / "marker", cluster.admin_url)


def run_readonly_role_script(cluster_admin_url: str, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """scripts/create_readonly_role.py for RO_ROLE on `db_url`. The role is cluster-wide, and other test workers
    (or another checkout's run on the shared server) may create or alter it at the same moment, which PostgreSQL
    refuses ("tuple concurrently updated"): runs take turns under an advisory lock in the maintenance database."""
    with psycopg.connect(cluster_admin_url, autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (_ROLE_LOCK_KEY,))  # released when the connection closes
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "create_readonly_role.py"), "--admin-url", db_url, "--role", RO_ROLE,
             "--password", RO_PASSWORD, *args],
            capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
