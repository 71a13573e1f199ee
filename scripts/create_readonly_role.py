"""Create (or bring up to date) a dedicated read-only PostgreSQL role for mcp-postgres.

Usage: python scripts/create_readonly_role.py [--admin-url URL] [--role mcp_readonly] [--password PW] [--show-password]

Run it as a role that may create roles and grant on the user schemas (locally: postgres; on Heroku see
README "Recommended role": create the credential with `heroku pg:credentials:create`, then run this with
`--no-create` as the owner credential to add the grants). Safe to run again: every step is idempotent.
It grants pg_monitor and pg_read_all_stats, CONNECT, USAGE and SELECT on every user schema (plus default
privileges for tables created later by the admin role), and sets default_transaction_read_only = on
for the role. It prints the DATABASE_URL to give the server, with the password masked unless asked.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mcp_servers.common.redact import MASK, redact_url  # noqa: E402

USER_SCHEMAS_SQL = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
ORDER BY nspname
"""
MONITORING_ROLES = ("pg_monitor", "pg_read_all_stats")


def _warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def _try(conn: psycopg.Connection, statement: sql.Composable, what: str) -> bool:
    """Run one grant; a missing privilege (typical on managed databases) is a warning, not a failure."""
    try:
        with conn.transaction():
            conn.execute(statement)
        return True
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.FeatureNotSupported) as exc:
        _warn(f"could not {what}: {exc.diag.message_primary}")
        return False


def ensure_role(admin_url: str, role: str, password: str | None, create: bool = True) -> dict[str, object]:
    """Create or update `role` and its grants; return what was done (no secrets in it)."""
    ident = sql.Identifier(role)
    done: dict[str, object] = {"role": role, "created": False, "schemas": []}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None
        if not exists:
            if not create:
                raise SystemExit(f"role {role} does not exist (on Heroku: heroku pg:credentials:create --name {role})")
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
            done["created"] = True
        if password:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(password)))
        dbname = conn.info.dbname
        _try(conn, sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(dbname), ident), "grant CONNECT")
        for monitoring in MONITORING_ROLES:
            _try(conn, sql.SQL("GRANT {} TO {}").format(sql.Identifier(monitoring), ident), f"grant {monitoring}")
        for (schema,) in conn.execute(USER_SCHEMAS_SQL).fetchall():
            s = sql.Identifier(schema)
            ok = _try(conn, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, ident), f"grant USAGE on {schema}")
            ok &= _try(conn, sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(s, ident), f"grant SELECT on {schema}")
            ok &= _try(conn, sql.SQL("GRANT SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, ident), f"grant SELECT on sequences of {schema}")
            ok &= _try(
                conn,
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(s, ident),
                f"set default privileges in {schema}",
            )
            if ok:
                done["schemas"].append(schema)
        done["read_only_default"] = _try(
            conn, sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident),
            "set default_transaction_read_only for the role",
        )
    return done


def role_url(admin_url: str, role: str, password: str | None) -> str:
    """The admin URL with the role (and password, when known) swapped in."""
    parts = urlsplit(admin_url)
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    auth = quote(role, safe="") + (f":{quote(password, safe='')}" if password else "")
    netloc = f"{auth}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="Idempotent: run it again after adding schemas.")
    parser.add_argument("--admin-url", default=os.environ.get("ADMIN_DATABASE_URL") or os.environ.get("DATABASE_URL"),
                        help="URL of a role allowed to create roles and grant (default: $ADMIN_DATABASE_URL, then $DATABASE_URL)")
    parser.add_argument("--role", default="mcp_readonly", help="name of the read-only role (default: mcp_readonly)")
    parser.add_argument("--password", default=os.environ.get("MCP_READONLY_PASSWORD"),
                        help="password to set (default: $MCP_READONLY_PASSWORD; a new random one when the role is created)")
    parser.add_argument("--no-create", action="store_true", help="only grant; the role must exist (Heroku credentials)")
    parser.add_argument("--show-password", action="store_true", help="print the password in the URL instead of masking it")
    args = parser.parse_args(argv)
    if not args.admin_url:
        parser.error("no admin URL: pass --admin-url or set ADMIN_DATABASE_URL / DATABASE_URL")
    password = args.password
    try:
        with psycopg.connect(args.admin_url) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (args.role,)).fetchone() is not None
        if not exists and not password and not args.no_create:
            password = secrets.token_urlsafe(24)
        done = ensure_role(args.admin_url, args.role, password, create=not args.no_create)
    except psycopg.Error as exc:
        sys.stderr.write(f"error: {redact_url(str(exc).strip().splitlines()[0])}\n")
        return 1
    url = role_url(args.admin_url, args.role, password)
    if password and not args.show_password:
        url = url.replace(quote(password, safe=""), MASK)
    action = "created" if done["created"] else "updated"
    sys.stdout.write(f"role {args.role} {action}; SELECT granted on schemas: {', '.join(done['schemas']) or '(none)'}\n")
    if not password:
        sys.stdout.write("the password was left unchanged (pass --password to set one)\n")
    sys.stdout.write(f"DATABASE_URL={url}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
