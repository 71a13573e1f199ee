"""Names the local-endpoint tests import (a uniquely named module: `from conftest import` picks
whichever conftest pytest loaded last when several test folders run together)."""

from __future__ import annotations

from pathlib import Path

from heroku_agents.sse import SSEEvent, iter_events

ROOT = Path(__file__).resolve().parents[3]
TEST_PROCFILE = Path(__file__).with_name("Procfile.test")
KEY = "inf-00000000-1111-2222-3333-444444444444"
DATABASE_URL = "postgres://app:s3cret-pw@db.internal:5432/app"  # never reaches a real database: a secret to keep


def events_of(body: bytes) -> list[SSEEvent]:
    return list(iter_events([body]))


def user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}
