"""The user's relations: the filter that leaves system schemas out, and how sizes and statistics ages read."""

from __future__ import annotations

from typing import Any

__all__ = ["USER_SCHEMA", "mib", "relation_names", "stats_age_text"]

# System schemas never hold the user's data (`n` is pg_namespace). `%%` because the SQL has binds.
USER_SCHEMA = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
    "AND n.nspname NOT LIKE 'pg_temp_%%' AND n.nspname NOT LIKE 'pg_toast_temp_%%'"
)


def mib(n: int | float) -> str:
    """Bytes as a short human figure (`12.3 MB`)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def relation_names(rows: list[dict[str, Any]], name: str = "table", most: int = 5) -> str:
    """`public.a, public.b`: the first `most` rows' schema-qualified names, for a summary."""
    return ", ".join(f"{r['schema']}.{r[name]}" for r in rows[:most])


def stats_age_text(hours: float | None) -> str:
    if hours is None:
        return "of unknown age (never reset)"
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'s' if minutes > 1 else ''} old"
    if hours < 48:
        return f"{hours:.1f} hours old"
    return f"{hours / 24:.0f} days old"
