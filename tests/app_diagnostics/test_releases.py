import json

import pytest
from fake_platform import FAKE_API_KEY, FakeHeroku
from mcp import Client

from mcp_servers.app_diagnostics.platform_api import PlatformAPI
from mcp_servers.app_diagnostics.server import build_server
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.app_diagnostics.tools.releases import ConfigChange, config_diff, names_from_description

pytestmark = pytest.mark.anyio


def _changes(result: dict) -> dict[int, dict | None]:
    return {
        r["version"]: (r["config_changes"] and {k: v for k, v in r["config_changes"].items() if v})
        for r in result["releases"]
    }


async def test_recent_releases_diffs_config_var_names_between_releases(settings: AppDiagSettings, api: PlatformAPI) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("recent_releases", {"app": "acme-shop", "limit": 13})
    assert not result.is_error
    releases = result.structured_content
    src = "release config-vars"
    assert _changes(releases) == {
        13: {"source": src}, 12: {"added": ["STRIPE_WEBHOOK_SECRET"], "removed": ["LEGACY_MODE"], "changed": ["STRIPE_API_KEY"], "source": src},
        11: {"source": src}, 10: {"source": src}, 9: {"source": src}, 8: {"changed": ["WEB_CONCURRENCY"], "source": src},
        7: {"source": src}, 6: {"added": ["REDIS_URL"], "source": src}, 5: {"source": src},
        4: {"added": ["STRIPE_API_KEY"], "source": src}, 3: {"source": src}, 2: {"added": ["DATABASE_URL"], "source": src},
        1: {"added": ["LANG", "LEGACY_MODE", "RAILS_ENV", "WEB_CONCURRENCY"], "source": src},
    }
    assert [(r["version"], r["kind"]) for r in releases["releases"][:5]] == [
        (13, "deploy"), (12, "config"), (11, "deploy"), (10, "rollback"), (9, "deploy"),
    ]
    assert [(r["version"], r["kind"]) for r in releases["releases"][-2:]] == [(2, "add-on"), (1, "initial")]


async def test_recent_releases_names_the_failed_release_the_failed_build_and_a_rollback_candidate(
    fake: FakeHeroku, settings: AppDiagSettings, api: PlatformAPI
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("recent_releases", {"app": "acme-shop", "limit": 3})
    releases = result.structured_content
    assert [r["version"] for r in releases["releases"]] == [13, 12, 11]
    failed = releases["releases"][0]
    assert (failed["status"], failed["current"], failed["eligible_for_rollback"]) == ("failed", False, False)
    assert failed["output_stream_url"].startswith("https://release-output.heroku.com/streams/")
    assert (failed["build"]["status"], failed["build"]["version"]) == ("succeeded", "6f7a8b9")
    assert releases["releases"][1]["build"] is None  # a config change builds nothing
    assert [(b["status"], b["version"]) for b in releases["failed_builds"]] == [("failed", "7a8b9c0")]
    assert releases["rollback_candidate"] == 11
    assert "heroku rollback v11 -a acme-shop (this server makes no changes)" in releases["notes"][-1]
    assert {f["check"]: f["status"] for f in releases["findings"]} == {"latest_release": "red", "failed_builds": "yellow"}
    assert releases["status"] == "red"
    # limit + 1 release configs are read, so the oldest one shown is diffed against its predecessor
    assert len(fake.api_calls("/config-vars")) == 4


@pytest.mark.parametrize(("status", "error_id", "message"), [
    (404, "not_found", "Couldn't find that release."),
    (403, "forbidden", "This OAuth authorization lacks the read-protected scope."),  # a `--scope read` token
])
async def test_recent_releases_fall_back_to_descriptions_when_release_config_vars_are_unreadable(
    fake: FakeHeroku, settings: AppDiagSettings, api: PlatformAPI, status: int, error_id: str, message: str
) -> None:
    fake.fail(status, times=100, path_contains="/config-vars", error_id=error_id, message=message)
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("recent_releases", {"app": "acme-shop", "limit": 2})
    releases = result.structured_content
    assert _changes(releases) == {
        13: None,
        12: {"changed": ["STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"], "removed": ["LEGACY_MODE"], "source": "release description"},
    }
    assert releases["notes"][0].startswith("some releases' config vars were not readable")


async def test_recent_releases_rejects_a_limit_outside_1_to_50(settings: AppDiagSettings, api: PlatformAPI) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("recent_releases", {"app": "acme-shop", "limit": 500})
    assert result.is_error and "limit" in result.content[0].text


async def test_no_output_ever_contains_a_config_var_value_or_the_api_key(
    fake: FakeHeroku, settings: AppDiagSettings, api: PlatformAPI
) -> None:
    values = {v for app in fake.world.apps.values() for config in app.config_by_release.values() for v in config.values()}
    values = {v for v in values if len(v) >= 5}  # "on", "4" and "5000" say nothing and appear by chance
    outputs = []
    async with Client(build_server(settings, api=api)) as client:
        for app in fake.world.apps:
            for tool, args in (("app_overview", {}), ("recent_releases", {"limit": 50})):
                result = await client.call_tool(tool, {"app": app, **args})
                assert not result.is_error, result.content
                outputs.append(json.dumps(result.structured_content) + result.content[0].text)
        fake.fail(401, error_id="unauthorized", message=f"Invalid credentials provided: {FAKE_API_KEY}")
        failed = await client.call_tool("app_overview", {"app": "acme-shop"})
        outputs.append(failed.content[0].text)
    assert failed.is_error and "HEROKU_API_KEY" in failed.content[0].text
    everything = "\n".join(outputs)
    assert "STRIPE_WEBHOOK_SECRET" in everything  # names are shown ...
    assert [v for v in values | {FAKE_API_KEY} if v in everything] == []  # ... values and the key never


def test_config_diff_reports_names_only() -> None:
    change = config_diff({"A": "1", "B": "secret-1", "C": "x"}, {"B": "secret-2", "C": "x", "D": "new"})
    assert change == ConfigChange(added=["D"], removed=["A"], changed=["B"], source="release config-vars")
    assert "secret" not in change.model_dump_json()


def test_descriptions_name_the_config_vars_heroku_set_or_removed() -> None:
    assert names_from_description("Set FOO, BAR_BAZ config vars") == ConfigChange(
        changed=["BAR_BAZ", "FOO"], source="release description")
    assert names_from_description("Remove LEGACY config var") == ConfigChange(removed=["LEGACY"], source="release description")
    assert names_from_description("Deploy 1a2b3c4") is None
    assert names_from_description(None) is None
