"""Read a server's TLS certificate with a separate stdlib handshake: expiry, issuer, subject, validity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    import ssl

__all__ = ["TLSInfo", "default_context", "inspect_tls"]


class TLSInfo(BaseModel):
    verified: bool = Field(description="the chain and host name verified against trusted CAs")
    error: str | None = Field(None, description="why verification or the handshake failed")
    version: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_after: str | None = Field(None, description="certificate expiry, UTC ISO 8601")
    days_left: float | None = None
    expired: bool | None = None
    names: list[str] = Field(default_factory=list, description="DNS names the certificate covers (first 10)")


def default_context() -> ssl.SSLContext:
    """The CAs httpx trusts (certifi), so the probe and the handshake agree."""
    import ssl

    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # certifi comes with httpx; the system store is the fallback
        return ssl.create_default_context()


def _handshake(address: str, port: int, host: str, timeout: float, context: ssl.SSLContext) -> tuple[bytes, str | None]:
    import socket

    with socket.create_connection((address, port), timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True) or b"", tls.version()


def _describe(der: bytes, info: TLSInfo) -> TLSInfo:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    expires = cert.not_valid_after_utc
    now = datetime.now(UTC)
    info.subject = cert.subject.rfc4514_string()[:200]
    info.issuer = cert.issuer.rfc4514_string()[:200]
    info.not_after = expires.isoformat()
    info.days_left = round((expires - now).total_seconds() / 86400, 1)
    info.expired = expires < now
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        info.names = san.value.get_values_for_type(x509.DNSName)[:10]
    except x509.ExtensionNotFound:
        pass
    return info


def inspect_tls(address: str, port: int, host: str, timeout: float, context: ssl.SSLContext) -> TLSInfo:
    """Handshake with `address:port` as `host`; when verification fails, read the certificate anyway
    (without trusting it) so the answer still names its expiry and issuer. Blocking: run in a thread."""
    import ssl

    try:
        der, version = _handshake(address, port, host, timeout, context)
        info = TLSInfo(verified=True, version=version)
    except ssl.SSLCertVerificationError as exc:
        info = TLSInfo(verified=False, error=(exc.verify_message or "certificate verification failed")[:200])
        loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE
        try:
            der, info.version = _handshake(address, port, host, timeout, loose)
        except (OSError, ssl.SSLError):
            return info
    except ssl.SSLError as exc:
        return TLSInfo(verified=False, error=f"TLS handshake failed ({exc.reason or type(exc).__name__})")
    except OSError as exc:
        return TLSInfo(verified=False, error=f"cannot connect for the TLS handshake ({type(exc).__name__})")
    if not der:
        return info
    try:
        return _describe(der, info)
    except ValueError:
        info.error = info.error or "the certificate could not be decoded"
        return info
