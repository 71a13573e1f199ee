"""The read-only SQL guard of `pg_query` and `pg_explain` (layer 1 of four).

`check_sql(sql)` parses with PostgreSQL's own parser (pglast) and accepts exactly one plain read,
walking every node; `functions.py` holds the function allowlist and its named refusals;
`catalog_check.py` looks, inside the database, for user-defined look-alikes of the names it allowed.
"""

from mcp_servers.postgres.guard.catalog_check import LOOKALIKES_SQL, lookalike_params, refuse_lookalikes
from mcp_servers.postgres.guard.functions import function_refusal
from mcp_servers.postgres.guard.walker import MAX_SQL_CHARS, GuardResult, SqlRefused, check_sql

__all__ = [
    "LOOKALIKES_SQL",
    "MAX_SQL_CHARS",
    "GuardResult",
    "SqlRefused",
    "check_sql",
    "function_refusal",
    "lookalike_params",
    "refuse_lookalikes",
]
