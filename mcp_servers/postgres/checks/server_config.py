"""Server-level checks, continued: replication lag, replication slots, settings sanity and SSL.

Part of the `server` area (`checks/server.py` exports these in its CHECKS).
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.fixes import literal
from mcp_servers.postgres.checks.grading import AgeLimits, all_clear, level, listing
from mcp_servers.postgres.checks.session_rows import many

__all__ = ["CHECKS", "REPLICATION_LAG", "REPLICATION_SLOTS", "SETTINGS_SANITY", "SSL_IN_USE"]

# --- replication lag ----------------------------------------------------------------------------

REPLICATION_LAG_SQL = """
SELECT 'this server (a replica)' AS standby, 'replaying' AS state,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0  -- caught up, merely no writes
            ELSE round(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric, 1) END::float8
           AS lag_seconds,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint AS lag_bytes
WHERE pg_is_in_recovery()
UNION ALL
SELECT coalesce(nullif(r.application_name, ''), host(r.client_addr), 'standby') AS standby, r.state,
       round(extract(epoch FROM r.replay_lag)::numeric, 1)::float8 AS lag_seconds,
       CASE WHEN NOT pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint END AS lag_bytes
FROM pg_stat_replication r
"""


class ReplicationLagLimits(AgeLimits):
    # PgHero calls replication lag under 5 s good: our yellow. Red is our choice: five minutes behind,
    # reads from the follower are stale enough to break read-your-writes for users.
    yellow_seconds: float = 5.0
    red_seconds: float = 300.0


def _replication_lag(rows: list[dict[str, Any]], limits: ReplicationLagLimits, facts: DbFacts) -> Finding:
    worst = max(((r["lag_seconds"] or 0.0) for r in rows), default=0.0)
    return listing(
        rows, threshold=limits.threshold(" behind"),
        clear="standalone: not a replica, and no standby is streaming from this server",
        status=level(worst, limits.yellow_seconds, limits.red_seconds), value=worst,
        summary=lambda found: f"{many(len(found), 'replication stream')}; the furthest behind is {worst:g} s",
    )


REPLICATION_LAG = Check(
    name="replication_lag", area="server", sql=REPLICATION_LAG_SQL, evaluate=_replication_lag,
    limits=ReplicationLagLimits(),
    remediation="Look for long queries on the follower and heavy writes on the leader (bulk updates, index "
    "builds); a follower on a smaller plan than its leader falls behind under load.",
    description="How far replicas are behind (on a replica: itself; on a primary: each standby).",
)

# --- replication slots --------------------------------------------------------------------------


def _slots_sql(facts: DbFacts) -> str:
    wal_status = "s.wal_status" if facts.server_version_num >= 130000 else "NULL::text"
    return f"""
SELECT s.slot_name AS slot, s.slot_type AS type, s.database, s.active, {wal_status} AS wal_status,
       age(s.xmin) AS xmin_age, age(s.catalog_xmin) AS catalog_xmin_age,
       pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
                       s.restart_lsn)::bigint AS retained_bytes
FROM pg_replication_slots s
ORDER BY s.active, retained_bytes DESC NULLS LAST
"""


class ReplicationSlotLimits(Limits):
    # PgHero flags every inactive slot (yellow). Red is our choice: a slot pinning 1 GiB of WAL, or one
    # whose WAL is already unreserved or lost, is filling the disk or has broken its consumer.
    red_retained_mb: float = 1024.0


def _slot_holds(row: dict[str, Any]) -> str:
    """What an inactive slot keeps from being removed: always WAL; old row versions only through an xmin
    (a physical slot fed by hot_standby_feedback), old catalog rows through a logical slot's catalog_xmin."""
    held = ["WAL from its restart_lsn on (disk)"]
    if row.get("xmin_age") is not None:
        held.append(f"row versions newer than its xmin ({row['xmin_age']:,} transactions old) from vacuum")
    if row.get("catalog_xmin_age") is not None:
        held.append(f"system-catalog row versions ({row['catalog_xmin_age']:,} transactions old) from vacuum")
    return "; ".join(held)


def _replication_slots(rows: list[dict[str, Any]], limits: ReplicationSlotLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow: any inactive slot; red: >= {limits.red_retained_mb:g} MB of WAL retained or WAL lost"
    if not rows:
        return all_clear(value=0, threshold=threshold,
                       summary="no replication slots")
    inactive = [r for r in rows if not r["active"]]
    heavy = [r for r in rows if (r["retained_bytes"] or 0) >= limits.red_retained_mb * 1024 * 1024
             or r["wal_status"] in ("unreserved", "lost")]
    status = "red" if heavy else "yellow" if inactive else "green"
    rows = [dict(r, holds=_slot_holds(r), fix=f"SELECT pg_drop_replication_slot({literal(r['slot'])});") if not r["active"]
            else r for r in rows]
    return Finding(
        status=status, value=len(inactive), threshold=threshold,
        rows=rows if status != "green" else [],
        summary=f"{many(len(rows), 'replication slot')}, {len(inactive)} inactive"
        + (f"; {len(heavy)} retain too much WAL" if heavy else ""),
    )


REPLICATION_SLOTS = Check(
    name="replication_slots", area="server", sql=_slots_sql, evaluate=_replication_slots,
    limits=ReplicationSlotLimits(),
    remediation="Drop slots nobody consumes (each row's fix); an inactive slot keeps WAL until the disk fills, "
    "and, when it has an xmin or catalog_xmin, old row versions too (each row says what it holds).",
    description="Replication slots, inactive ones and the WAL they retain.",
)

# --- settings sanity ----------------------------------------------------------------------------

SETTINGS = (
    "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "random_page_cost",
    "seq_page_cost", "autovacuum", "track_counts", "max_connections", "default_statistics_target",
)
SETTINGS_SQL = f"""
SELECT name, current_setting(name) AS value, setting,
       (CASE WHEN unit ~ '^[0-9]' THEN pg_size_bytes(unit)
             WHEN unit IN ('B', 'kB', 'MB', 'GB', 'TB') THEN pg_size_bytes('1 ' || unit) END
        * CASE WHEN vartype IN ('integer', 'real') THEN setting::numeric END)::float8 AS bytes,
       source
FROM pg_settings
WHERE name IN ({", ".join(f"'{s}'" for s in SETTINGS)})
ORDER BY name
"""


# The fix for each setting the check can flag (ALTER SYSTEM needs a superuser; Heroku manages these per plan).
_RELOAD = "SELECT pg_reload_conf();"
def setting_fix(name: str, mb: dict[str, float]) -> str:
    """The statement that fixes `name` (mb: current sizes in MB, to keep the memory settings ordered)."""
    fixes = {
        "autovacuum": f"ALTER SYSTEM SET autovacuum = on; {_RELOAD} (Heroku never turns it off: ask support if it is)",
        "track_counts": f"ALTER SYSTEM SET track_counts = on; {_RELOAD}",
        "work_mem": "ALTER ROLE CURRENT_USER SET work_mem = '16MB'; (new sessions of this role; on Heroku the plan "
                    "sets the server-wide value)",
        "maintenance_work_mem": f"ALTER SYSTEM SET maintenance_work_mem = '{max(64, int(mb.get('work_mem', 0)) * 2)}MB'; {_RELOAD}",
        "shared_buffers": "ALTER SYSTEM SET shared_buffers = '128MB'; then restart (on Heroku: a larger plan)",
        "effective_cache_size": f"ALTER SYSTEM SET effective_cache_size = '{max(512, int(mb.get('shared_buffers', 0)) * 3)}MB'; {_RELOAD}",
        "random_page_cost": f"ALTER SYSTEM SET random_page_cost = 1.1; {_RELOAD} (SSD storage)",
    }
    return fixes[name]


class SettingsLimits(Limits):
    # Modest bounds from the PostgreSQL docs ("Resource Consumption", "Planner Cost Constants"):
    # work_mem under 1 MB spills ordinary sorts to disk; over 2 GB per sort/hash node can exhaust memory;
    # shared_buffers under 32 MB is far below any useful cache (the default is 128 MB).
    min_work_mem_mb: float = 1.0
    max_work_mem_mb: float = 2048.0
    min_shared_buffers_mb: float = 32.0


def _settings(rows: list[dict[str, Any]], limits: SettingsLimits, facts: DbFacts) -> Finding:
    s = {r["name"]: r for r in rows}
    mb = {name: (r["bytes"] or 0) / 1024 / 1024 for name, r in s.items()}
    problems: list[tuple[str, str, str]] = []  # (status, setting, problem)
    if s.get("autovacuum", {}).get("setting") != "on":
        problems.append(("red", "autovacuum", "off: dead rows pile up and only emergency anti-wraparound vacuums run"))
    if s.get("track_counts", {}).get("setting") != "on":
        problems.append(("red", "track_counts", "off: autovacuum cannot see which tables need it"))
    if "work_mem" in mb and mb["work_mem"] < limits.min_work_mem_mb:
        problems.append(("yellow", "work_mem", f"under {limits.min_work_mem_mb:g} MB: sorts and hashes spill to disk"))
    if "work_mem" in mb and mb["work_mem"] > limits.max_work_mem_mb:
        problems.append(("yellow", "work_mem", f"over {limits.max_work_mem_mb:g} MB per sort/hash node, per connection"))
    if mb.get("maintenance_work_mem", 0) < mb.get("work_mem", 0):
        problems.append(("yellow", "maintenance_work_mem", "below work_mem: vacuum and index builds get less memory than a query"))
    if "shared_buffers" in mb and mb["shared_buffers"] < limits.min_shared_buffers_mb:
        problems.append(("yellow", "shared_buffers", f"under {limits.min_shared_buffers_mb:g} MB"))
    if mb.get("effective_cache_size", 1) < mb.get("shared_buffers", 0):
        problems.append(("yellow", "effective_cache_size", "below shared_buffers: the planner underestimates the cache"))
    if "random_page_cost" in s and float(s["random_page_cost"]["setting"]) < float(s["seq_page_cost"]["setting"]):
        problems.append(("yellow", "random_page_cost", "below seq_page_cost, which the docs say makes no sense"))
    threshold = (f"work_mem {limits.min_work_mem_mb:g}-{limits.max_work_mem_mb:g} MB, shared_buffers >= "
                 f"{limits.min_shared_buffers_mb:g} MB, autovacuum and track_counts on, cost/memory orderings")
    if not problems:
        return all_clear(value=0, threshold=threshold,
                       rows=[{"setting": r["name"], "value": r["value"]} for r in rows],
                       summary="key settings are within sane bounds")
    rows_out = [{"setting": name, "value": s[name]["value"], "status": st, "problem": p, "fix": setting_fix(name, mb)}
                for st, name, p in problems]
    return Finding(
        status="red" if any(p[0] == "red" for p in problems) else "yellow",
        value=len(problems), threshold=threshold, rows=rows_out,
        remediation=" ".join(dict.fromkeys(setting_fix(name, mb) for _, name, _ in problems)),
        summary="; ".join(f"{name} = {s[name]['value']} ({p.split(':')[0]})" for _, name, p in problems),
    )


SETTINGS_SANITY = Check(
    name="settings", area="server", sql=SETTINGS_SQL, evaluate=_settings, limits=SettingsLimits(),
    remediation="On Heroku these follow the plan (change plan, or ALTER ROLE ... SET work_mem for one role); "
    "elsewhere set them in postgresql.conf.",
    description="Key memory, planner and autovacuum settings against modest documented bounds.",
)

# --- ssl on our own connection ------------------------------------------------------------------

SSL_SQL = """
SELECT s.ssl, s.version, s.cipher, host(inet_client_addr()) AS client_addr,
       (inet_client_addr() IS NULL OR inet_client_addr() <<= '127.0.0.0/8'::inet
        OR inet_client_addr() = '::1'::inet) AS local,
       current_setting('ssl') AS server_ssl
FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()
"""


def _ssl(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    r = rows[0]
    if r["ssl"]:
        return all_clear(value="on", summary=f"this connection is encrypted ({r['version']}, {r['cipher']})")
    if r["local"]:
        # Loopback and Unix-socket traffic never leaves the machine, so plain text there exposes nothing:
        # green, but said plainly. Heroku's databases are always remote, where this is red.
        return all_clear(value="off (local)", rows=[r],
                       summary="not encrypted, but the connection is local (loopback or socket); remote ones must use SSL")
    return Finding(
        status="red", value="off", rows=[r], threshold="remote connections must use SSL",
        summary=f"this connection from {r['client_addr']} is not encrypted: passwords and data cross the network in clear",
    )


SSL_IN_USE = Check(
    name="ssl", area="server", sql=SSL_SQL, evaluate=_ssl,
    remediation="Connect with sslmode=require (Heroku Postgres requires it); enable ssl on the server.",
    description="Whether the checker's own connection is encrypted (local connections may be plain).",
)

CHECKS: tuple[Check, ...] = (REPLICATION_LAG, REPLICATION_SLOTS, SETTINGS_SANITY, SSL_IN_USE)
