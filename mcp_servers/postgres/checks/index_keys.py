"""What an index backs, as SQL fragments over `pg_index i`: constraints it enforces, foreign keys it serves,
and a parent index it is attached to; plus the one DROP INDEX fix every index check prints.

The index checks and the final consistency pass use these so that no advice drops an index that
something still needs.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.postgres.checks.fixes import qualified

__all__ = ["ATTACHED", "ENFORCES", "FOREIGN_KEYS_SERVED", "drop_index_fix", "only_index_for", "serves"]

# Indexes that enforce something (primary key, unique, exclusion constraint) are never "unused".
ENFORCES = "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))"
# A partition's index attached to its parent's index cannot be dropped on its own (DROP INDEX refuses).
ATTACHED = "EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)"


def serves(index: str, con: str = "con") -> str:
    """SQL: index alias `index` (a pg_index row) can serve foreign key `con`: its leading key columns
    are the foreign key's columns, in any order, with no predicate (what missing_fk_indexes asks)."""
    lead = f"(string_to_array({index}.indkey::text, ' ')::int2[])[1:cardinality({con}.conkey)]"
    return (f"{index}.indrelid = {con}.conrelid AND {index}.indisvalid AND {index}.indpred IS NULL "
            f"AND {index}.indnkeyatts >= cardinality({con}.conkey) AND {lead} @> {con}.conkey AND {lead} <@ {con}.conkey")


# The foreign keys index `i` serves, each with every valid index that serves it: an index that is the
# only one behind a foreign key is never advised for dropping, and the final consistency pass keeps
# one of several when all of them are.
FOREIGN_KEYS_SERVED = f"""(SELECT coalesce(json_agg(json_build_object('constraint', con.conname,
        'served_by', (SELECT json_agg(oc.relname ORDER BY oc.relname) FROM pg_index o JOIN pg_class oc ON oc.oid = o.indexrelid
                      WHERE {serves("o")}))), '[]')
     FROM pg_constraint con WHERE con.contype = 'f' AND {serves("i")})"""


def only_index_for(row: dict[str, Any]) -> list[str]:
    """Foreign keys for which `row['index']` is the only serving index."""
    return [fk["constraint"] for fk in row.get("foreign_keys") or [] if fk["served_by"] == [row["index"]]]



def drop_index_fix(row: dict[str, Any]) -> str:
    return f"DROP INDEX CONCURRENTLY {qualified(row['schema'], row['index'])};"
