"""The fake Platform API itself: every answer it can give follows Heroku's published schema."""

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from appdiag_support import FAKE_URL
from fake_platform import FAKE_API_KEY, FakeHeroku
from heroku_schema import SCHEMA_PATH, links, load_schema
from log_generator import LOGGING_ERRORS, ROUTER_ERRORS, RUNTIME_ERRORS, error_line, generate_lines

pytestmark = pytest.mark.anyio

HEADERS = {"Accept": "application/vnd.heroku+json; version=3", "Authorization": f"Bearer {FAKE_API_KEY}"}


def test_the_published_schema_is_read_from_the_vendored_copy_in_the_repository() -> None:
    assert SCHEMA_PATH.exists(), f"missing {SCHEMA_PATH}"
    assert SCHEMA_PATH.is_relative_to(Path(__file__).resolve().parents[2]), "tests read nothing outside the repo"
    schema = load_schema()
    assert schema["id"] == "http://api.heroku.com/schema#"
    assert len(schema["definitions"]) == 100 and len(links()) == 305


async def test_every_endpoint_of_every_fixture_app_answers_within_the_schema(fake: FakeHeroku) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=FAKE_URL, headers=HEADERS) as http:
        statuses = []
        for name, app in fake.world.apps.items():
            paths = [f"/apps/{name}", f"/apps/{app.app['id']}", f"/apps/{name}/config-vars"]
            paths += [f"/apps/{name}/{kind}" for kind in ("dynos", "formation", "releases", "addons", "features", "builds")]
            paths += [f"/apps/{name}/dynos/{d['name']}" for d in app.dynos]
            paths += [f"/apps/{name}/builds/{b['id']}" for b in app.builds]
            paths += [f"/apps/{name}/addons/{a['name']}" for a in app.addons]
            paths += [f"/apps/{name}/features/{f['name']}" for f in app.features]
            for release in app.releases:
                paths += [f"/apps/{name}/releases/{release['version']}", f"/apps/{name}/releases/{release['id']}/config-vars"]
            for path in paths:
                statuses.append((await http.get(path)).status_code)
            session = await http.post(f"/apps/{name}/log-sessions", json={"lines": 5, "source": "app", "tail": False})
            statuses.append(session.status_code)
        statuses.append((await http.get("/account/rate-limits")).status_code)
    assert set(statuses) == {200, 201}
    assert fake.contract_problems() == []


async def test_the_fake_takes_the_sdk_accept_variant_and_refuses_a_missing_version(fake: FakeHeroku) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=FAKE_URL) as http:
        sdk = await http.get("/apps/acme-shop", headers={**HEADERS, "Accept": "application/vnd.heroku+json; version=3.sdk"})
        bare = await http.get("/apps/acme-shop", headers={**HEADERS, "Accept": "application/json"})
        bad_range = await http.get("/apps/acme-shop/releases", headers={**HEADERS, "Range": "colour ..; max=2"})
    assert sdk.status_code == 200 and sdk.headers["RateLimit-Remaining"] == "4499"
    assert (bare.status_code, bare.json()["id"]) == (400, "missing_version")
    assert (bad_range.status_code, bad_range.json()["id"]) == (400, "bad_request")
    assert bad_range.headers["Accept-Ranges"] == "id, version"


def test_the_log_generator_is_deterministic_and_tells_the_release_story() -> None:
    lines = generate_lines(1500)
    assert lines == generate_lines(1500) and len(lines) == 1500
    text = "\n".join(lines)
    assert "app[api]: Release v12 created by user deploy@acme.example" in text
    codes = set(re.findall(r"(?:code=|Error )([HRL]\d\d)", text))
    assert {"H10", "H12", "H13", "H27", "R14", "R15", "L10"} <= codes
    assert "sample#memory_quota=512.00MB" in text and "app[heroku-postgres]: source=DATABASE" in text
    assert "heroku[web.2]: State changed from up to crashed" in text


def test_error_line_writes_every_h_r_and_l_code() -> None:
    moment = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    for code in (*ROUTER_ERRORS, *RUNTIME_ERRORS, *LOGGING_ERRORS):
        line = error_line(code, moment)
        assert line.startswith("2026-11-25T09:30:00.000000+00:00 ")
        assert f"code={code} " in line or f"Error {code} " in line or f"Error {code}:" in line, line
