"""The local endpoint: a config var's password never reaches the event stream; a bad setting is a one-line error."""

from __future__ import annotations

import httpx
import pytest
from local_support import DATABASE_URL, ROOT, user

from heroku_agents.local.backends import PlannedCall, ScriptedBackend, Step


@pytest.mark.anyio
async def test_a_tool_that_prints_only_the_database_password_has_it_masked_in_the_stream(app, client: httpx.AsyncClient) -> None:
    password = DATABASE_URL.split(":")[2].split("@")[0]
    tool = {"type": "heroku_tool", "name": "dyno_run_command", "runtime_params": {
        "target_app_name": "local-app",
        # A health check that prints libpq's pieces: the password shows up on its own, not inside the URL.
        "tool_params": {"cmd": "printf 'password is %s\\n' \"$(printf '%s' \"$DATABASE_URL\" | cut -d: -f3 | cut -d@ -f1)\"",
                        "description": "Prints the connection settings."},
    }}
    app.state.local.backend = ScriptedBackend([Step("", (PlannedCall("dyno_run_command", {}),)), Step("done")])
    response = await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("go")], "tools": [tool]})
    assert response.status_code == 200, response.text
    assert "password is ********" in response.text  # the command ran and its output came back, masked
    assert password not in response.text


@pytest.mark.parametrize(("env", "args", "named"), [
    ({"LOCAL_AGENTS_WARM_POOL": "two"}, [], "LOCAL_AGENTS_WARM_POOL"),
    ({}, ["--max-steps", "0"], "max_steps"),
])
def test_a_malformed_setting_stops_the_endpoint_with_a_one_line_error_naming_it(env: dict, args: list, named: str) -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "heroku_agents.local", "--procfile", str(ROOT / "Procfile"), "--port", "0", *args],
        env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and named in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
