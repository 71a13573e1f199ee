"""Names the app-diagnostics tests import (a uniquely named module: `from conftest import` picks
whichever conftest pytest loaded last when several test folders run together)."""

from __future__ import annotations

FAKE_URL = "http://api.heroku.test"


class SleepRecorder:
    """Stands in for `anyio.sleep` inside PlatformAPI: records each back-off instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
