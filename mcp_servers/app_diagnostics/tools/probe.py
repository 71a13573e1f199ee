"""`http_probe`: is the app answering? Status, redirects, latency, TLS certificate and telling headers.

The agent must not become a port scanner or reach the dyno's own network: every host (also after each
redirect) is resolved and refused unless all its addresses are public, connections go to the address
that was checked (Host header and TLS SNI keep the name), only common web ports are allowed, and
every step has a timeout. `HTTP_PROBE_ALLOW_PRIVATE=1` lifts the address and port rules (local use).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urljoin, urlsplit

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.app_diagnostics.tools._tls import TLSInfo
from mcp_servers.common.annotations import read_only_tool

if TYPE_CHECKING:
    import ssl

__all__ = ["MAX_COUNT", "MAX_REDIRECTS", "PUBLIC_PORTS", "ProbeResult", "probe", "register"]

MAX_REDIRECTS = 5
MAX_COUNT = 5
PUBLIC_PORTS = frozenset({80, 443, 8080, 8443})
HEADERS_THAT_MATTER = ("via", "server", "x-request-id", "request-id", "content-type", "cache-control",
                       "strict-transport-security", "retry-after", "location")
USER_AGENT = "heroku-mcp-toolkit/http_probe"


class Hop(BaseModel):
    url: str
    status: int


class Attempt(BaseModel):
    status: int | None = Field(None, description="final status after redirects; None when the attempt failed")
    latency_ms: float | None = Field(None, description="time to the final response's headers, redirects included")
    error: str | None = None


class Latency(BaseModel):
    min_ms: float
    median_ms: float
    max_ms: float


class ProbeResult(BaseModel):
    """What an outside client sees when it requests the URL."""

    url: str
    final_url: str
    addresses: list[str] = Field(description="addresses the first host resolved to (all checked)")
    status: int | None
    redirects: list[Hop]
    attempts: list[Attempt]
    latency: Latency | None
    headers: dict[str, str]
    served_by_heroku: bool | None = Field(None, description="the Via header names Heroku's router (vegur / heroku-router)")
    tls: TLSInfo | None = None


def _display(url: str) -> str:
    """A URL without its query or credentials (redirects can carry tokens there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path or '/'}{query}"


def _check_url(url: str, allow_private: bool) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ToolError(f"only http and https URLs can be probed, not {parts.scheme or 'a bare name'!r}; "
                        "pass e.g. https://myapp.herokuapp.com")
    if not parts.hostname:
        raise ToolError(f"{_display(url)} has no host name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ToolError("the URL's port is not a number between 1 and 65535") from None
    if not allow_private and port not in PUBLIC_PORTS:
        raise ToolError(f"port {port} is not probed; allowed ports are {sorted(PUBLIC_PORTS)} "
                        "(set HTTP_PROBE_ALLOW_PRIVATE=1 to probe any port locally)")
    return parts.scheme, parts.hostname, port


async def _resolve(host: str, port: int, allow_private: bool, timeout: float) -> list[str]:
    """Every address of `host`, refused if any is not public (private, loopback, link-local, metadata...)."""
    import ipaddress
    import socket

    try:
        with anyio.fail_after(timeout):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise ToolError(f"resolving {host} took longer than {timeout:g} s") from None
    except OSError:
        raise ToolError(f"cannot resolve {host}: no such host (check the spelling, or `heroku domains`)") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    if not allow_private:
        for text in addresses:
            ip = ipaddress.ip_address(text)
            mapped = getattr(ip, "ipv4_mapped", None)
            if not (mapped or ip).is_global:
                raise ToolError(
                    f"refusing to probe {host}: it resolves to {text}, a private, loopback, link-local or "
                    "otherwise non-public address. Probes reach public URLs only; set HTTP_PROBE_ALLOW_PRIVATE=1 "
                    "to probe local servers"
                )
    if not addresses:
        raise ToolError(f"cannot resolve {host}: no addresses")
    return addresses


def _pinned(scheme: str, address: str, port: int, url: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    path = parts.path or "/"
    return f"{scheme}://{host}:{port}{path}" + (f"?{parts.query}" if parts.query else "")


async def _one(client, url: str, settings: AppDiagSettings) -> tuple[int, list[Hop], dict[str, str], str]:
    """Follow `url` through at most MAX_REDIRECTS redirects; each hop is resolved and checked again."""
    hops: list[Hop] = []
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port = _check_url(current, settings.http_probe_allow_private)
        address = (await _resolve(host, port, settings.http_probe_allow_private, settings.http_probe_timeout_s))[0]
        default_port = port == (443 if scheme == "https" else 80)
        request = client.build_request(
            "GET", _pinned(scheme, address, port, current),
            headers={"Host": host if default_port else f"{host}:{port}", "User-Agent": USER_AGENT},
            extensions={"sni_hostname": host} if scheme == "https" else {},
        )
        response = await client.send(request, stream=True)
        await response.aclose()  # headers are enough; never download the body
        location = response.headers.get("location")
        if response.is_redirect and location:
            hops.append(Hop(url=_display(current), status=response.status_code))
            current = urljoin(current, location)
            continue
        headers = {k: v[:200] for k in HEADERS_THAT_MATTER if (v := response.headers.get(k)) is not None}
        if "location" in headers:
            headers["location"] = _display(urljoin(current, headers["location"]))
        return response.status_code, hops, headers, current
    raise ToolError(f"more than {MAX_REDIRECTS} redirects starting at {_display(url)}; last was {_display(current)}")


async def probe(settings: AppDiagSettings, url: str, path: str = "/", count: int = 3, *,
                ssl_context: ssl.SSLContext | None = None) -> ProbeResult:
    """Request `url` + `path` `count` times and inspect its TLS certificate (https only).

    `ssl_context` is a seam for tests (a context trusting a test CA); the default trusts the usual CAs.

    Raises:
        ToolError: the URL is not http(s), resolves to a non-public address, or uses a refused port.
    """
    import statistics

    import httpx

    from mcp_servers.app_diagnostics.tools._tls import default_context, inspect_tls

    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    if path and path != "/":
        url = urljoin(url, "/" + path.lstrip("/"))  # a path on the URL's host
    _scheme, host, port = _check_url(url, settings.http_probe_allow_private)
    addresses = await _resolve(host, port, settings.http_probe_allow_private, settings.http_probe_timeout_s)
    context = ssl_context or default_context()
    timeout = settings.http_probe_timeout_s
    attempts: list[Attempt] = []
    redirects: list[Hop] = []
    headers: dict[str, str] = {}
    final_url = url
    async with httpx.AsyncClient(verify=context, timeout=httpx.Timeout(timeout), follow_redirects=False,
                                 trust_env=False) as client:
        for _ in range(max(1, min(count, MAX_COUNT))):
            started = time.perf_counter()
            try:
                with anyio.fail_after(timeout):
                    status, hops, headers_now, final = await _one(client, url, settings)
            except (TimeoutError, httpx.TimeoutException):
                attempts.append(Attempt(error=f"no response within {timeout:g} s"))
                continue
            except httpx.ConnectError as exc:
                attempts.append(Attempt(error=_connect_error(exc)))
                continue
            except httpx.HTTPError as exc:
                attempts.append(Attempt(error=f"{type(exc).__name__}: the connection failed mid-request"))
                continue
            attempts.append(Attempt(status=status, latency_ms=round((time.perf_counter() - started) * 1000, 1)))
            redirects, headers, final_url = hops, headers_now, final
    tls = None
    final_scheme, final_host, final_port = _check_url(final_url, settings.http_probe_allow_private)
    if final_scheme == "https":
        final_address = addresses[0] if final_host == host else (
            await _resolve(final_host, final_port, settings.http_probe_allow_private, timeout))[0]
        tls = await anyio.to_thread.run_sync(inspect_tls, final_address, final_port, final_host, timeout, context)
    times = sorted(a.latency_ms for a in attempts if a.latency_ms is not None)
    via = headers.get("via", "").lower()
    return ProbeResult(
        url=_display(url), final_url=_display(final_url), addresses=addresses[:8],
        status=next((a.status for a in reversed(attempts) if a.status is not None), None),
        redirects=redirects, attempts=attempts,
        latency=Latency(min_ms=times[0], median_ms=round(statistics.median(times), 1), max_ms=times[-1]) if times else None,
        headers=headers, served_by_heroku=("vegur" in via or "heroku" in via) if headers else None, tls=tls,
    )


def _connect_error(exc: Exception) -> str:
    text = str(exc).lower()
    if "certificate" in text:
        reason = text.split("certificate verify failed:", 1)[-1].strip(" )]") if "verify failed" in text else "certificate rejected"
        return f"TLS certificate verification failed: {reason[:120]}"
    if "refused" in text:
        return "connection refused"
    return "cannot connect"


def render(result: ProbeResult) -> str:
    lines = [f"{result.url} -> {result.status if result.status is not None else 'no answer'} ({result.final_url})"]
    if result.redirects:
        lines.append("Redirects: " + " -> ".join(f"{h.status} {h.url}" for h in result.redirects))
    if result.latency:
        lines.append(f"Latency ms: min {result.latency.min_ms}, median {result.latency.median_ms}, max {result.latency.max_ms}")
    errors = [a.error for a in result.attempts if a.error]
    if errors:
        lines.append(f"Failed attempts: {len(errors)}/{len(result.attempts)}: {errors[0]}")
    if result.headers:
        lines.append("Headers: " + ", ".join(f"{k}: {v}" for k, v in result.headers.items()))
    if result.tls:
        t = result.tls
        when = f"expires {t.not_after} ({t.days_left:g} days)" if t.not_after is not None and t.days_left is not None else ""
        state = "EXPIRED" if t.expired else "valid" if t.verified else f"NOT TRUSTED ({t.error})"
        lines.append(f"TLS {t.version or ''}: {state}; {when}; issuer {t.issuer}; subject {t.subject}")
    return "\n".join(lines)


def register(server: MCPServer, api: object, settings: AppDiagSettings) -> None:
    @read_only_tool(server, "Probe a URL over HTTP", open_world=True, idempotent=True)
    async def http_probe(
        url: Annotated[str, Field(description="The app's public URL, e.g. https://myapp.herokuapp.com (http or https only).")],
        path: Annotated[str, Field(description="Path to request on that host.", max_length=2000)] = "/",
        count: Annotated[int, Field(ge=1, le=MAX_COUNT, description="How many requests (for min/median/max latency).")] = 3,
    ) -> Annotated[CallToolResult, ProbeResult]:
        """Check how an app answers from outside: final HTTP status, the redirect chain, latency
        (min/median/max over `count` requests), TLS certificate expiry and issuer, and headers that
        matter (Via shows whether Heroku's router served it, Server, request id). Public URLs only."""
        result = await probe(settings, url, path, count)
        return CallToolResult(content=[TextContent(type="text", text=render(result))],
                              structured_content=result.model_dump(mode="json"))
