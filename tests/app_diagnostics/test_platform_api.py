import anyio
import httpx
import pytest
from appdiag_support import FAKE_URL, SleepRecorder
from fake_platform import FAKE_API_KEY, FakeHeroku
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import SecretStr
from refused_port import refused_port

from mcp_servers.app_diagnostics.platform_api import ACCEPT, PlatformAPI, PlatformAPIError, app_path, resolve_app
from mcp_servers.app_diagnostics.settings import AppDiagSettings

pytestmark = pytest.mark.anyio


def _api(fake: FakeHeroku, http: httpx.AsyncClient, sleeps: SleepRecorder, **changes) -> PlatformAPI:
    settings = AppDiagSettings(heroku_api_key=SecretStr(FAKE_API_KEY), heroku_api_url=FAKE_URL, **changes)
    return PlatformAPI(settings, http=http, sleep=sleeps, jitter=lambda: 0.5)


async def test_list_walks_next_range_over_206_pages_and_sends_heroku_headers(fake: FakeHeroku, api: PlatformAPI) -> None:
    releases = await api.list(app_path("acme-shop", "releases"), range_field="version", page_size=5)
    assert [r["version"] for r in releases] == list(range(1, 14))
    calls = fake.api_calls("/releases")
    assert [c.status for c in calls] == [206, 206, 200]
    assert [c.headers["range"] for c in calls] == [
        "version ..; max=5", "version ]5..; max=5, order=asc", "version ]10..; max=5, order=asc",
    ]
    assert {c.headers["accept"] for c in calls} == {ACCEPT}
    assert api.rate_limit_remaining == 4500 - 3


async def test_list_stops_at_max_items_newest_first(fake: FakeHeroku, api: PlatformAPI) -> None:
    releases = await api.list(app_path("acme-shop", "releases"), range_field="version", order="desc", max_items=3)
    assert [r["version"] for r in releases] == [13, 12, 11]
    assert len(fake.api_calls("/releases")) == 1


async def test_missing_api_key_is_a_clear_error_and_nothing_is_sent(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = PlatformAPI(AppDiagSettings(heroku_api_url=FAKE_URL), http=http, sleep=sleeps)
        with pytest.raises(PlatformAPIError) as caught:
            await api.get(app_path("acme-shop"), app="acme-shop")
    assert "HEROKU_API_KEY is not set" in str(caught.value)
    assert "heroku authorizations:create" in str(caught.value)
    assert fake.exchanges == []


async def test_unknown_app_is_not_found_or_not_visible_to_this_key(api: PlatformAPI) -> None:
    with pytest.raises(PlatformAPIError) as caught:
        await api.get(app_path("no-such-app"), app="no-such-app")
    assert str(caught.value).startswith("app no-such-app not found or not visible to this API key")
    assert caught.value.status == 404 and caught.value.error_id == "not_found"
    assert caught.value.request_id  # the fake's Request-Id, quoted for support tickets


async def test_a_rejected_key_names_heroku_api_key_and_never_shows_the_key(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    wrong = "hrku-WRONGkey-ffffffffffffffffffffffffffffffff"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = PlatformAPI(AppDiagSettings(heroku_api_key=SecretStr(wrong), heroku_api_url=FAKE_URL), http=http, sleep=sleeps)
        with pytest.raises(PlatformAPIError) as caught:
            await api.get(app_path("acme-shop"), app="acme-shop")
    message = str(caught.value)
    assert "rejected HEROKU_API_KEY (Invalid credentials provided.)" in message
    assert wrong not in message and FAKE_API_KEY not in message
    assert sleeps.delays == []  # a 401 is not retried


async def test_5xx_answers_are_retried_with_growing_jittered_backoff(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    fake.fail(503, times=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = _api(fake, http, sleeps, retry_base_s=0.8)
        app = await api.get(app_path("acme-shop"), app="acme-shop")
    assert app["name"] == "acme-shop"
    assert [c.status for c in fake.api_calls()] == [503, 503, 200]
    assert sleeps.delays == pytest.approx([0.6, 1.2])  # 0.8 * 2**n, equal jitter at 0.5 -> 3/4 of the step
    assert api.retries == 2


async def test_persistent_5xx_gives_up_after_the_retry_budget_with_a_clear_error(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    fake.fail(500, times=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = _api(fake, http, sleeps, max_retries=3)
        with pytest.raises(PlatformAPIError) as caught:
            await api.get(app_path("acme-shop"), app="acme-shop")
    assert len(fake.api_calls()) == 4
    assert "HTTP 500" in str(caught.value) and "after 4 attempts" in str(caught.value)
    assert "status.heroku.com" in str(caught.value)


async def test_429_backs_off_until_the_rate_limit_pool_refills(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    fake.rate_limit_remaining = 0
    fake.refill_on_429 = 5
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = _api(fake, http, sleeps, rate_limit_floor=0)
        app = await api.get(app_path("acme-shop"), app="acme-shop")
    assert app["name"] == "acme-shop"
    assert [c.status for c in fake.api_calls()] == [429, 200]
    assert sleeps.delays == pytest.approx([0.6])
    assert api.rate_limit_remaining == 4


async def test_429_honours_retry_after(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    fake.fail(429, retry_after="3")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        await _api(fake, http, sleeps, rate_limit_floor=0).get(app_path("acme-shop"), app="acme-shop")
    assert sleeps.delays == [3.0]


async def test_an_exhausted_rate_limit_ends_in_a_clear_error_after_bounded_backoff(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    fake.rate_limit_remaining = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = _api(fake, http, sleeps, max_retries=6, retry_base_s=2.0, rate_limit_floor=0)
        with pytest.raises(PlatformAPIError) as caught:
            await api.get(app_path("acme-shop"), app="acme-shop")
    assert caught.value.error_id == "rate_limit"
    assert "rate limit is used up (Your account reached the API rate limit) after 7 attempts" in str(caught.value)
    assert len(sleeps.delays) == 6 and max(sleeps.delays) <= 10.0  # capped back-off, never a tight loop


async def test_a_low_rate_limit_remaining_slows_calls_down(fake: FakeHeroku, sleeps: SleepRecorder) -> None:
    fake.rate_limit_remaining = 51
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        api = _api(fake, http, sleeps, rate_limit_floor=100, retry_base_s=1.0)
        await api.get(app_path("acme-shop"), app="acme-shop")
        assert sleeps.delays == []  # nothing known yet before the first answer
        await api.get(app_path("acme-shop"), app="acme-shop")
    assert api.rate_limit_remaining == 49
    assert sleeps.delays == pytest.approx([0.5])  # (100 - 50) / 100 of a one-second step


async def test_an_unreachable_api_is_retried_then_named_without_the_key(sleeps: SleepRecorder) -> None:
    with refused_port() as port:
        settings = AppDiagSettings(heroku_api_key=SecretStr(FAKE_API_KEY), heroku_api_url=f"http://127.0.0.1:{port}", max_retries=2)
        api = PlatformAPI(settings, sleep=sleeps)
        try:
            with pytest.raises(PlatformAPIError) as caught:
                await api.get(app_path("acme-shop"), app="acme-shop")
        finally:
            await api.aclose()
    assert f"cannot reach the Heroku Platform API at http://127.0.0.1:{port} (ConnectError, tried 3 times)" in str(caught.value)
    assert FAKE_API_KEY not in str(caught.value)
    assert len(sleeps.delays) == 2


async def test_a_hung_api_call_times_out_within_the_request_timeout(fake: FakeHeroku, fake_url: str, sleeps: SleepRecorder) -> None:
    fake.fail(0, times=5)
    settings = AppDiagSettings(heroku_api_key=SecretStr(FAKE_API_KEY), heroku_api_url=fake_url,
                               request_timeout_s=0.3, max_retries=1)
    api = PlatformAPI(settings, sleep=sleeps)
    try:
        with anyio.fail_after(5):
            with pytest.raises(PlatformAPIError) as caught:
                await api.get(app_path("acme-shop"), app="acme-shop")
    finally:
        await api.aclose()
    assert "did not answer GET /apps/acme-shop within 0.3s (tried 2 times)" in str(caught.value)


def test_the_app_comes_from_the_argument_then_heroku_app_name() -> None:
    with_default = AppDiagSettings(heroku_app_name="acme-shop")
    assert resolve_app("other-app", with_default) == "other-app"
    assert resolve_app(None, with_default) == "acme-shop"
    assert resolve_app("  ", with_default) == "acme-shop"
    with pytest.raises(ToolError, match=r"pass `app` .* or set HEROKU_APP_NAME"):
        resolve_app(None, AppDiagSettings())
    with pytest.raises(ToolError, match="is not a Heroku app name"):
        resolve_app("../account", AppDiagSettings())


def test_settings_read_every_variable_and_never_show_the_key() -> None:
    settings = AppDiagSettings.from_env({
        "HEROKU_API_KEY": FAKE_API_KEY, "HEROKU_API_URL": "http://127.0.0.1:9/", "HEROKU_APP_NAME": "acme-shop",
        "HEROKU_API_TIMEOUT_S": "4", "HEROKU_API_MAX_RETRIES": "1", "HEROKU_LOG_TIMEOUT_S": "7",
        "HTTP_PROBE_ALLOW_PRIVATE": "true", "HTTP_PROBE_TIMEOUT_S": "3",
    })
    assert (settings.heroku_api_url, settings.heroku_app_name, settings.request_timeout_s, settings.max_retries) == (
        "http://127.0.0.1:9", "acme-shop", 4.0, 1)
    assert (settings.log_timeout_s, settings.http_probe_allow_private, settings.http_probe_timeout_s) == (7.0, True, 3.0)
    assert FAKE_API_KEY not in repr(settings) and FAKE_API_KEY not in str(settings.model_dump())
    assert AppDiagSettings.from_env({}).heroku_api_key is None
    with pytest.raises(ValueError, match="HEROKU_API_TIMEOUT_S must be a float number"):
        AppDiagSettings.from_env({"HEROKU_API_TIMEOUT_S": "soon"})


async def test_the_contract_check_catches_a_fake_that_drifts_from_the_schema(fake: FakeHeroku, api: PlatformAPI) -> None:
    fake.world.apps["acme-shop"].app["favourite_colour"] = "teal"
    del fake.world.apps["acme-shop"].dynos[0]["state"]
    await api.get(app_path("acme-shop"), app="acme-shop")
    await api.list(app_path("acme-shop", "dynos"))
    with pytest.raises(PlatformAPIError):
        await api.get(app_path("acme-shop", "no-such-endpoint"), app="acme-shop")
    problems = fake.contract_problems()
    fake.exchanges.clear()  # the drift was on purpose
    assert problems[0] == "GET /apps/acme-shop answer: [\"<root>: properties not in the schema: ['favourite_colour']\"]"
    assert "strictProperties: missing ['state']" in problems[1]
    assert problems[2] == "GET /apps/acme-shop/no-such-endpoint: no link of the schema matches"
