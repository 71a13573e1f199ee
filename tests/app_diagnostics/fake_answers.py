"""How the fake Platform API answers: Heroku's error bodies and `Range` / `Next-Range` pages of a list.

An answer is `(status, JSON payload, extra headers)`; `fake_platform.py` turns it into the HTTP response.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["RANGE_FIELDS", "Answer", "heroku_error", "page"]

Answer = tuple[int, Any, dict[str, str]]

_RANGE = re.compile(r"^\s*(?P<field>[\w-]+)\s*(?P<start>[^.;,]*)\.\.(?P<end>[^;,]*)(?P<opts>.*)$")
# list endpoint -> fields its Range header may sort on (Heroku answers them in Accept-Ranges)
RANGE_FIELDS = {
    "releases": ("id", "version"), "dynos": ("id", "name"), "formation": ("id", "type"),
    "addons": ("id", "name"), "features": ("id", "name"), "builds": ("id", "started_at"),
}


def heroku_error(error_id: str, message: str) -> dict[str, str]:
    """Heroku's error body: `{id, message, url}`."""
    return {"id": error_id, "message": message, "url": f"https://devcenter.heroku.com/articles/platform-api-reference#{error_id}"}


def page(items: list[dict[str, Any]], kind: str, range_header: str | None) -> Answer:
    """One page of a list endpoint as its `Range` header asks: 206 and `Next-Range` when more remain."""
    fields = RANGE_FIELDS[kind]
    headers = {"Accept-Ranges": ", ".join(fields)}
    field_name, start, order, limit = "id", "", "asc", 200
    if range_header:
        match = _RANGE.match(range_header)
        if not match or match["field"] not in fields:
            return 400, heroku_error("bad_request", f"Invalid Range header; {kind} may be ranged by {', '.join(fields)}."), headers
        field_name, start = match["field"], match["start"].strip()
        for option in re.split(r"[;,]", match["opts"]):
            key, _, value = option.strip().partition("=")
            if key == "max" and value.isdigit():
                limit = max(1, min(1000, int(value)))
            elif key == "order" and value in ("asc", "desc"):
                order = value
    key_of = _sort_key(field_name)
    ordered = sorted(items, key=key_of, reverse=order == "desc")
    if start:
        exclusive = start.startswith("]")
        bound = start.lstrip("]")
        pos = next((i for i, item in enumerate(ordered) if str(key_of(item)) == bound), None)
        if pos is not None:
            ordered = ordered[pos + 1 if exclusive else pos:]
    shown = ordered[:limit]
    if shown:
        headers["Content-Range"] = f"{field_name} {key_of(shown[0])}..{key_of(shown[-1])}"
    if len(ordered) > limit:
        headers["Next-Range"] = f"{field_name} ]{key_of(shown[-1])}..; max={limit}, order={order}"
        return 206, shown, headers
    return 200, shown, headers


def _sort_key(field_name: str) -> Callable[[dict[str, Any]], Any]:
    if field_name == "started_at":
        return lambda item: item["created_at"]
    return lambda item: item[field_name]
