"""app.json documents every setting the deployed servers read (the Heroku button shows these)."""

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"^(PG|MCP|HEROKU|HTTP_PROBE)_[A-Z0-9_]+$")
# Set by Heroku itself (the add-on, runtime-dyno-metadata), not by the app's owner.
SET_BY_HEROKU = {"HEROKU_APP_DEFAULT_DOMAIN_NAME", "HEROKU_APP_ID", "HEROKU_DYNO_ID", "HEROKU_RELEASE_VERSION"}
NOT_SETTINGS = {"PG_VERSION"}  # the data directory's version file, looked for by the embedded launcher


def _setting_names_in(package: Path) -> set[str]:
    names: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING.match(node.value):
                names.add(node.value)
    return names


def test_every_setting_the_servers_read_is_documented_in_app_json() -> None:
    env = json.loads((ROOT / "app.json").read_text())["env"]
    read = _setting_names_in(ROOT / "mcp_servers") - SET_BY_HEROKU - NOT_SETTINGS
    assert read, "found no settings: the scan is broken"
    assert sorted(read - set(env)) == []
    assert all(entry.get("description") for entry in env.values())


def test_app_json_keeps_web_at_zero_dynos_and_provisions_only_postgres() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    assert app["formation"]["web"]["quantity"] == 0
    plans = [addon["plan"] for addon in app["addons"]]
    assert any(plan.startswith("heroku-postgresql:") for plan in plans)
    # The inference add-on registers the mcp* process types of a release; an app.json add-on is provisioned
    # before the first build, so it is attached afterwards by scripts/register_servers.py (README, Deploy).
    assert not any(plan.startswith("heroku-inference:") for plan in plans)
