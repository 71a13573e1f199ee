"""`html_to_markdown`'s fetch: public addresses only, checked after DNS and after every redirect, size-capped.

The model chooses the URL, and the endpoint runs on the user's laptop, next to its loopback services,
the cloud metadata address and the office network. So each hop's host name is resolved here, every
address it resolves to must be public (the same rule as mcp-appdiag's `http_probe`), and the request
goes to the checked address itself (Host header and TLS server name kept), so a second DNS answer
cannot swap in a private one. Redirects are followed by hand, each one checked the same way. The
body is read as a stream and cut at `MAX_PAGE_BYTES`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import anyio
import httpx

__all__ = ["MAX_PAGE_BYTES", "MAX_REDIRECTS", "FetchRefused", "Page", "fetch_page"]

MAX_PAGE_BYTES = 2_000_000
MAX_REDIRECTS = 5
USER_AGENT = "heroku-mcp-toolkit-local/0.1"


class FetchRefused(Exception):
    """The URL (or a redirect) leads somewhere the tool may not go; the message says where and why."""


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    text: str
    truncated: bool


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.is_global and not address.is_multicast:
        return None
    return f"{address} is not a public address (loopback, private, link-local, metadata or reserved)"


async def _resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: `host` resolved, every answer public (unless allowed)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        answers = [literal]
    except ValueError:
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
        answers = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not answers:
        raise FetchRefused(f"{host} resolves to no address")
    if not allow_private:
        for address in answers:
            why = _refusal(address)
            if why:
                raise FetchRefused(f"{host} resolves to {why}")
    first = answers[0]
    return f"[{first}]" if first.version == 6 else str(first)


def _check_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(f"only http:// and https:// URLs with a host can be fetched, not {url[:100]!r}")
    if parts.username or parts.password:
        raise FetchRefused("URLs with credentials are not fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(f"invalid port in {url[:100]!r}") from None
    return parts.scheme, parts.hostname, port


async def fetch_page(url: str, *, timeout_s: float, allow_private: bool = False, max_bytes: int = MAX_PAGE_BYTES) -> Page:
    """GET `url`, following up to `MAX_REDIRECTS` checked redirects.

    Raises:
        FetchRefused: a non-public address (after DNS, at any hop), a bad URL, too many redirects.
        httpx.HTTPError: the transfer failed.
    """
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False) as http:
        for _ in range(MAX_REDIRECTS + 1):
            scheme, host, port = _check_url(url)
            address = await _resolve(host, port, allow_private)
            parts = urlsplit(url)
            target = urlunsplit(parts._replace(netloc=f"{address}:{port}"))
            headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": USER_AGENT}
            extensions = {"sni_hostname": host} if scheme == "https" else {}
            async with http.stream("GET", target, headers=headers, extensions=extensions) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                body = bytearray()
                truncated = False
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        del body[max_bytes:]
                        truncated = True
                        break
                text = body.decode(response.encoding or "utf-8", "replace")
                return Page(url=url, status=response.status_code, text=text, truncated=truncated)
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
