"""Running the driver's `main()` from an async test (a uniquely named helper module)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import anyio

from heroku_agents.driver.cli import main


async def run_main(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """main() in a worker thread (it runs its own event loop): its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        with redirect_stdout(out), redirect_stderr(err):
            return main(argv, env=env)

    with anyio.fail_after(90):
        code = await anyio.to_thread.run_sync(call)
    return code, out.getvalue(), err.getvalue()
