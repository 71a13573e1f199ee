"""Stand-ins for the registration tests: toy MCP servers in a temp Procfile, and the Heroku Platform API.

The Heroku Platform API is not reachable offline: `FakePlatform` stands in for the routes
`register_servers.py` uses (`/apps/{app}/addon-attachments`, `POST /addon-attachments`,
`/apps/{app}/config-vars`), and every request and answer is checked against Heroku's published
hyper-schema with the app-diagnostics tests' `heroku_schema` helpers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app_diagnostics"))
from heroku_schema import find_links, validate_request, validate_response

TOY = Path(__file__).parent / "servers" / "toy_server.py"
API_KEY = "hrku-test-0123456789abcdef"
APP_ID = "01234567-89ab-cdef-0123-456789abcdef"
ADDON_ID = "11111111-2222-3333-4444-555555555555"


def toy(flavour: str, name: str | None = None) -> str:
    return f"{name or 'mcp-' + flavour}: {sys.executable} {TOY} --flavour {flavour}"


def write_procfile(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


class FakePlatform:
    """Stand-in for the Heroku Platform API's attachment and config-var routes, checked against its hyper-schema."""

    def __init__(self, *, attached: bool, config: dict[str, str] | None = None) -> None:
        self.attachments: list[dict[str, Any]] = [self._attachment("claude-4-sonnet-acute-41518", "INFERENCE")] if attached else []
        self.config = config or {}
        self.calls: list[tuple[str, str, Any]] = []
        self.problems: list[str] = []
        self.app = Starlette(routes=[
            Route("/apps/{app}/addon-attachments", self.list_attachments, methods=["GET"]),
            Route("/addon-attachments", self.create_attachment, methods=["POST"]),
            Route("/apps/{app}/config-vars", self.config_vars, methods=["GET"]),
        ])

    @staticmethod
    def _attachment(addon: str, name: str) -> dict[str, Any]:
        return {
            "addon": {"id": ADDON_ID, "name": addon, "app": {"id": APP_ID, "name": "model-host"}},
            "app": {"id": APP_ID, "name": "my-mcp-app"},
            "created_at": "2026-11-25T17:00:00Z", "updated_at": "2026-11-25T17:00:00Z",
            "id": "22222222-3333-4444-5555-666666666666", "name": name,
            "namespace": None, "web_url": None, "log_input_url": None,
        }

    def _answer(self, request: Request, body: Any, status: int, answer: Any) -> Response:
        self.calls.append((request.method, request.url.path, body))
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return JSONResponse({"id": "unauthorized", "message": "Invalid credentials provided."}, status_code=401,
                                headers={"Request-Id": "req-401"})
        if request.headers.get("accept") != "application/vnd.heroku+json; version=3":
            self.problems.append(f"bad Accept: {request.headers.get('accept')}")
        [link] = find_links(request.method, request.url.path)[:1]
        self.problems += validate_request(link, body) + validate_response(link, answer)
        return JSONResponse(answer, status_code=status)

    async def list_attachments(self, request: Request) -> Response:
        return self._answer(request, None, 200, self.attachments)

    async def create_attachment(self, request: Request) -> Response:
        body = json.loads(await request.body())
        created = self._attachment(body["addon"], body.get("name", "INFERENCE"))
        self.attachments.append(created)
        return self._answer(request, body, 201, created)

    async def config_vars(self, request: Request) -> Response:
        return self._answer(request, None, 200, self.config)


def platform_http(fake: FakePlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
