"""Registration: HEROKU_API_KEY never appears in a Platform API error, even when echoed."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from heroku_agents.errors import PlatformAPIError
from heroku_agents.registration import attach_inference

pytestmark = pytest.mark.anyio

API_KEY = "HRKU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def echoing_platform() -> Starlette:
    """Stands in for the Platform API (or a proxy before it) answering 403 in Heroku's error shape
    ({"id", "message"}) with the presented token quoted back in the message."""

    async def attachments(request: Request) -> JSONResponse:
        token = request.headers["authorization"].split()[-1]
        return JSONResponse({"id": "forbidden", "message": f"token {token} may not read this app"}, status_code=403)

    return Starlette(routes=[Route("/apps/{app}/addon-attachments", attachments)])


async def test_a_refusal_that_quotes_the_api_key_back_is_reported_without_it() -> None:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=echoing_platform()))
    async with http:
        with pytest.raises(PlatformAPIError) as raised:
            await attach_inference("my-app", API_KEY, addon="claude-4-sonnet-x", base_url="http://api.test", http=http)
    message = str(raised.value)
    assert API_KEY not in message
    assert message.startswith("Platform API HTTP 403: token ******** may not read this app")
    assert "HEROKU_API_KEY was refused" in message
