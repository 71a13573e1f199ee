"""Heroku router lines (`heroku[router]: at=... method=... status=...`) to `RouterLine` records.

Two readers: `canonical_router` matches the modern field order in one regex (most lines of a busy app);
`parse_router` reads the fields in any order (old routers, extra fields). A property test checks that
they give the same record for every canonical line, so the first is only ever an optimisation.
"""

from __future__ import annotations

import re

from mcp_servers.app_diagnostics.logs.records import RouterLine

__all__ = ["canonical_router", "parse_router"]

_ROUTER = re.compile(
    r'at=(\w+) (?:code=(\w+) desc="([^"]*)" )?method=(\S*) path="([^"]*)" host=(\S*) request_id=(\S*) '
    r'fwd="([^"]*)" dyno=(\S*) connect=(\d*)(?:ms)? service=(\d*)(?:ms)? status=(\d*) bytes=(\d*) '
    r"protocol=(\S*)(?: (.+))?$"
)
_KV = re.compile(r'(?<![^ ])([\w#.-]+)=(?:"([^"]*)"|(\S*))')  # keys start a token: no rescans mid-word
_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_CANONICAL = re.compile(
    r'at=([a-z]+) (?:code=(H\d\d) desc="([^"]*)" )?method=([A-Z]*) path="([^"]*)" host=([^ ]*) '
    r'request_id=([^ ]*) fwd="([^"]*)" dyno=([^ ]*) connect=(\d*)(?:ms)? service=(\d*)(?:ms)? status=(\d*) '
    r"bytes=(\d*) protocol=([^ ]*)"
)
_KNOWN = frozenset(RouterLine._fields)
_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (measurably faster)


def canonical_router(line: str, start: int, ts: str) -> RouterLine | None:
    """The router message at `line[start:]` when it is in the canonical field order, else None."""
    pos, sock = start, None
    if line.startswith("sock=", pos):  # H18/H27 put it first
        end = line.find(" ", pos)
        sock, pos = line[pos + 5:end] or None, end + 1
    m = _CANONICAL.match(line, pos)
    if m is None or m.end() != len(line):
        return None
    at, code, desc, method, path, host, rid, fwd, dyno, conn, serv, status, size, proto = m.groups()
    return _new(RouterLine, (
        ts, at, code, desc, method, path, host, rid, fwd, dyno or None,
        int(conn) if conn else None, int(serv) if serv else None,
        int(status) if status else None, int(size) if size else None, proto, None, sock, None, None, None,
    ))


def parse_router(ts: str, message: str) -> RouterLine | None:
    """A router message with its fields in any order, or None when it is not a router line."""
    m = _ROUTER.match(message)
    if m is not None:
        at, code, desc, method, path, host, rid, fwd, dyno, conn, serv, status, size, proto, tail = m.groups()
        if tail is None:
            return RouterLine(ts, at, code, desc, method, path, host, rid, fwd, dyno or None,
                              int(conn) if conn else None, int(serv) if serv else None,
                              int(status) if status else None, int(size) if size else None, proto)
        fields = {"at": at, "code": code, "desc": desc, "method": method, "path": path, "host": host,
                  "request_id": rid, "fwd": fwd, "dyno": dyno, "connect": conn, "service": serv,
                  "status": status, "bytes": size, "protocol": proto}
        for key, quoted, bare in _KV.findall(tail):
            fields[key] = quoted or bare
    else:
        fields = {key: quoted or bare for key, quoted, bare in _KV.findall(message)}
        if "at" not in fields or not ("status" in fields or "code" in fields):
            return None
    try:
        return _from_fields(ts, fields)
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def _ms(text: str | None) -> int | None:
    if not text:
        return None
    number = text[:-2] if text.endswith("ms") else text
    if _NUM.fullmatch(number) is None:
        raise ValueError(f"not a duration: {text[:20]!r}")
    return int(float(number))


def _from_fields(ts: str, f: dict[str, str | None]) -> RouterLine:
    extra = {k: v for k, v in f.items() if k not in _KNOWN and v is not None}
    return RouterLine(
        ts, f.get("at") or "info", f.get("code") or None, f.get("desc"), f.get("method"), f.get("path"),
        f.get("host"), f.get("request_id"), f.get("fwd"), f.get("dyno") or None, _ms(f.get("connect")),
        _ms(f.get("service")), _int(f.get("status")), _int(f.get("bytes")), f.get("protocol") or None,
        f.get("tls_version") or None, f.get("sock") or None, f.get("cause") or None, f.get("agent") or None,
        extra or None,
    )
