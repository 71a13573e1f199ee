"""http_probe against real HTTP(S) servers on loopback (allowed by settings), and its refusals."""

import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import anyio
import pytest
from mcp import Client

from mcp_servers.app_diagnostics.server import build_server
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.app_diagnostics.tools.probe import probe

pytestmark = pytest.mark.anyio

LOCAL = AppDiagSettings(http_probe_allow_private=True, http_probe_timeout_s=2.0)
RELEASE = threading.Event()  # the slow handler holds its answer until a test ends


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def version_string(self) -> str:  # the Server header, as Heroku's classic stack shows it
        return "Cowboy"

    def _send(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_GET(self) -> None:
        if self.path == "/slow":
            RELEASE.wait(10)
            self._send(200, {})
        elif self.path == "/old":
            self._send(301, {"Location": "/new"})
        elif self.path == "/new":
            self._send(302, {"Location": "/landing?session=s3cr3t-token"})
        elif self.path == "/loop":
            self._send(302, {"Location": "/loop"})
        else:
            self._send(200 if self.path.startswith(("/", "/landing")) else 404, {
                "Via": "1.1 vegur", "X-Request-Id": "req-123", "X-Secret-Internal": "nope",
                "Content-Type": "text/plain", "X-Host-Seen": self.headers.get("Host", ""),
            })


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that reject our test certificate abort the handshake; that is expected


def _serve(context: ssl.SSLContext | None = None) -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
        RELEASE.clear()


@pytest.fixture
def http_url() -> Iterator[str]:
    yield from _serve()


def _expired_pki(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A test CA and a certificate for 127.0.0.1 it signed, which expired two days ago."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Probe Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(days=30)).not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - timedelta(days=20)).not_valid_after(now - timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    return server_context, folder / "ca.pem"


@pytest.fixture
def expired_https(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    server_context, ca = _expired_pki(tmp_path)
    for url in _serve(server_context):
        yield url, ca


async def test_probe_reports_status_latency_and_the_headers_that_matter(http_url: str) -> None:
    with anyio.fail_after(10):
        result = await probe(LOCAL, http_url, "/", count=3)
    assert result.status == 200
    assert [a.status for a in result.attempts] == [200, 200, 200]
    assert result.latency is not None and 0 < result.latency.min_ms <= result.latency.median_ms <= result.latency.max_ms
    assert result.headers == {"via": "1.1 vegur", "server": "Cowboy", "x-request-id": "req-123", "content-type": "text/plain"}
    assert result.served_by_heroku is True
    assert result.addresses == ["127.0.0.1"] and result.redirects == [] and result.tls is None


async def test_probe_follows_redirects_and_hides_their_query_strings(http_url: str) -> None:
    with anyio.fail_after(10):
        result = await probe(LOCAL, http_url, "/old", count=1)
    assert [(h.status, h.url) for h in result.redirects] == [(301, f"{http_url}/old"), (302, f"{http_url}/new")]
    assert result.final_url == f"{http_url}/landing?…"
    assert result.status == 200
    assert "s3cr3t-token" not in result.model_dump_json()


async def test_a_redirect_loop_is_a_clear_error(http_url: str) -> None:
    with anyio.fail_after(10):
        async with Client(build_server(LOCAL)) as client:
            answer = await client.call_tool("http_probe", {"url": http_url, "path": "/loop", "count": 1})
    assert answer.is_error
    assert "more than 5 redirects" in answer.content[0].text


async def test_a_slow_server_times_out_within_the_configured_bound(http_url: str) -> None:
    settings = AppDiagSettings(http_probe_allow_private=True, http_probe_timeout_s=0.3)
    with anyio.fail_after(5):
        result = await probe(settings, http_url, "/slow", count=2)
    assert result.status is None and result.latency is None
    assert [a.error for a in result.attempts] == ["no response within 0.3 s"] * 2


async def test_an_expired_certificate_is_reported_with_its_expiry_and_issuer(expired_https: tuple[str, Path]) -> None:
    url, ca = expired_https
    trusting = ssl.create_default_context(cafile=str(ca))
    with anyio.fail_after(10):
        result = await probe(LOCAL, url, count=1, ssl_context=trusting)
    tls = result.tls
    assert tls is not None
    assert (tls.verified, tls.expired, tls.error) == (False, True, "certificate has expired")
    assert tls.issuer == "CN=Probe Test CA" and tls.names == ["localhost"]
    assert -3 < tls.days_left < -1
    assert result.status is None
    assert result.attempts[0].error.startswith("TLS certificate verification failed")


async def test_the_tool_shows_an_untrusted_expired_certificate_through_mcp(expired_https: tuple[str, Path]) -> None:
    url, _ = expired_https
    with anyio.fail_after(15):
        async with Client(build_server(LOCAL)) as client:
            answer = await client.call_tool("http_probe", {"url": url, "count": 1})
    assert not answer.is_error
    tls = answer.structured_content["tls"]
    assert tls["verified"] is False and tls["expired"] is True and tls["issuer"] == "CN=Probe Test CA"
    assert "EXPIRED" in answer.content[0].text


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.10/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[fd00:ec2::254]/", "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]/",
])
async def test_private_loopback_link_local_and_metadata_addresses_are_refused_by_default(url: str) -> None:
    with anyio.fail_after(10):
        async with Client(build_server(AppDiagSettings())) as client:
            answer = await client.call_tool("http_probe", {"url": url})
    assert answer.is_error
    assert "refusing to probe" in answer.content[0].text and "HTTP_PROBE_ALLOW_PRIVATE=1" in answer.content[0].text


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.com/", "only http and https URLs"),
    ("file:///etc/passwd", "only http and https URLs"),
    ("https://example.com:22/", "port 22 is not probed"),
])
async def test_other_schemes_and_ports_are_refused_before_any_connection(url: str, message: str) -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        answer = await client.call_tool("http_probe", {"url": url})
    assert answer.is_error and message in answer.content[0].text


async def test_the_tool_is_read_only_and_open_world() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    hints = tools["http_probe"].annotations
    assert (hints.read_only_hint, hints.open_world_hint) == (True, True)
    assert tools["http_probe"].output_schema["properties"]["tls"]
