"""Registration's add-on attachment against a schema-checked fake Platform API."""

from __future__ import annotations

import pytest
from registration_fakes import API_KEY, FakePlatform, platform_http

from heroku_agents.errors import PlatformAPIError, RegistrationError
from heroku_agents.registration import attach_inference

pytestmark = pytest.mark.anyio


async def test_attach_posts_addon_app_and_name_like_addons_attach_as_inference() -> None:
    fake = FakePlatform(attached=False)
    attachment = await attach_inference("my-mcp-app", API_KEY, addon="claude-4-sonnet-acute-41518",
                                        base_url="http://api.test", http=platform_http(fake))
    assert fake.calls == [
        ("GET", "/apps/my-mcp-app/addon-attachments", None),
        ("POST", "/addon-attachments", {"addon": "claude-4-sonnet-acute-41518", "app": "my-mcp-app", "name": "INFERENCE"}),
    ]
    assert fake.problems == []
    assert attachment.describe() == (
        "claude-4-sonnet-acute-41518 attached to my-mcp-app as INFERENCE "
        "(config vars INFERENCE_URL, INFERENCE_KEY, INFERENCE_MODEL_ID)"
    )


async def test_attach_says_already_attached_without_posting_and_explains_a_missing_addon() -> None:
    fake = FakePlatform(attached=True)
    attachment = await attach_inference("my-mcp-app", API_KEY, addon=None, base_url="http://api.test", http=platform_http(fake))
    assert attachment.created is False and attachment.describe().startswith("claude-4-sonnet-acute-41518 already attached")
    assert [c[0] for c in fake.calls] == ["GET"] and fake.problems == []

    with pytest.raises(RegistrationError) as info:
        await attach_inference("my-mcp-app", API_KEY, addon=None, base_url="http://api.test",
                               http=platform_http(FakePlatform(attached=False)))
    assert "pass --addon MODEL_RESOURCE" in str(info.value)
    assert "`heroku ai:models:create claude-4-sonnet -a my-mcp-app --as INFERENCE`" in str(info.value)


async def test_refused_platform_key_names_heroku_api_key() -> None:
    with pytest.raises(PlatformAPIError) as info:
        await attach_inference("my-mcp-app", "wrong-key", addon="x", base_url="http://api.test",
                               http=platform_http(FakePlatform(attached=False)))
    assert str(info.value) == (
        "Platform API HTTP 401, request id req-401: Invalid credentials provided.; "
        "HEROKU_API_KEY was refused (`export HEROKU_API_KEY=$(heroku auth:token)`)"
    )
