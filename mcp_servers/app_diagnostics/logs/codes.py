"""Heroku's H (router), R (runtime) and L (logging) error codes as data.

Facts (codes, titles, status, limits such as 30 s, 55 s, 60 s, 75 s) come from Heroku Dev Center's
"Heroku Error Codes" article (https://devcenter.heroku.com/articles/error-codes; its May 2024 table of
contents lists H10-H28, H31, H32, H80-H83, H99, R10-R99, L10-L15); the sentences are ours. H33 and H34,
which other summaries list, appear in no Heroku page we could find, so they are not in the table: a line
carrying them is still counted, as an unknown code. Codes marked `retired` are no longer emitted but
still appear in old logs and questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CODES", "ErrorCode", "lookup", "nearest_codes", "normalise_code"]

Kind = Literal["router", "runtime", "logging"]
Level = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    title: str
    kind: Kind
    level: Level
    status: int | None
    meaning: str
    causes: tuple[str, ...]
    first_action: str
    next_checks: tuple[str, ...] = ()
    retired: bool = False
    note: str | None = None


def _h(code: str, title: str, status: int | None, meaning: str, causes: tuple[str, ...], first: str,
       checks: tuple[str, ...] = (), *, level: Level = "error", retired: bool = False, note: str | None = None) -> ErrorCode:
    return ErrorCode(code, title, "router", level, status, meaning, causes, first, checks, retired, note)


def _r(code: str, title: str, meaning: str, causes: tuple[str, ...], first: str,
       checks: tuple[str, ...] = (), *, note: str | None = None) -> ErrorCode:
    return ErrorCode(code, title, "runtime", "error", None, meaning, causes, first, checks, False, note)


def _l(code: str, title: str, meaning: str, causes: tuple[str, ...], first: str,
       checks: tuple[str, ...] = ()) -> ErrorCode:
    return ErrorCode(code, title, "logging", "error", None, meaning, causes, first, checks)


# help.heroku.com/Y6M4QI4V ("How do I fix new H18 or H13 errors ... since switching to Router 2.0?").
_ROUTER2_KEEPALIVE = (
    "Router 2.0 keeps connections to dynos alive between requests; when the app server closes an idle one "
    "(its own idle timeout), the router logs H13 or H18 on the next request, so a trickle of these after "
    "enabling http-routing-2-dot-0 is often noise. Fix: set the server's idle/keep-alive timeout above the "
    "router's 90 s, or `heroku labs:enable http-disable-keepalive-to-dyno`."
)

_TABLE: tuple[ErrorCode, ...] = (
    _h("H10", "App crashed", 503,
       "The router had no running web dyno to send the request to: the web process crashed or never finished booting.",
       ("an exception while the app boots (missing dependency, bad config var)", "the web process exits soon after start",
        "a boot timeout (R10) left the dyno crashed"),
       "Read the dyno lines just before the first H10: 'State changed from ... to crashed' and the app's last output show why it stopped.",
       ("heroku ps for crashed dynos", "the release that preceded the first H10 (a bad deploy or config change)",
        "heroku restart once the cause is fixed")),
    _h("H11", "Backlog too deep", 503,
       "Requests arrive faster than the app answers them and the router's queue for the app passed its limit.",
       ("too few web dynos for the traffic", "slow endpoints holding every worker", "a slow database or downstream service"),
       "Add web dynos or workers per dyno now; then find what made requests slow.",
       ("p95 of service time per path", "database load and waiting connections", "traffic spike in the timeline")),
    _h("H12", "Request timeout", 503,
       "The app did not start a response within 30 seconds (measured by the router, queue time included); the router gave up with a 503.",
       ("slow database queries or missing indexes", "calls to slow external APIs inside the request",
        "long work (reports, uploads) done in the web request", "all workers busy so requests queue"),
       "List the H12 paths and move their slow work to a background worker or make it faster.",
       ("service time percentiles of those paths", "pg slow queries", "a server-side timeout shorter than 30 s (e.g. rack-timeout, gunicorn --timeout)")),
    _h("H13", "Connection closed without response", 503,
       "The dyno accepted the connection and then closed it without sending a response.",
       ("the app server killed the worker on its own timeout", "the process crashed mid-request", "a worker ran out of memory"),
       "Check the app's own server timeout and worker restarts around the H13 times.",
       ("app log lines at the same second", "R14/R15 memory errors", "worker timeout settings"), note=_ROUTER2_KEEPALIVE),
    _h("H14", "No web dynos running", 503,
       "The app has no web dynos running, so the router cannot serve any request.",
       ("web formation scaled to 0", "no `web` process type in the Procfile", "the only web dynos crashed and were not restarted"),
       "Scale web up: `heroku ps:scale web=1`, and check the Procfile declares a web process.",
       ("heroku ps", "Procfile process types")),
    _h("H15", "Idle connection", 503,
       "The dyno began a response but sent nothing more for 55 seconds, so the router closed it.",
       ("a streaming or long-poll response without keep-alive data", "the app hung while writing the body"),
       "Send data at least every 55 s on long responses, or end them sooner.",
       ("streaming endpoints", "dyno load and memory at those times")),
    _h("H16", "No longer in use", None,
       "A retired router code (it once meant a redirect to herokuapp.com); current routers do not emit it.",
       ("logs from an old stack",), "Nothing to do for current apps.", retired=True),
    _h("H17", "Poorly formatted HTTP response", 503,
       "The dyno's response was not valid HTTP (for example a status line without a reason phrase or bad headers).",
       ("a hand-written or proxied response with a malformed status line", "invalid header characters"),
       "Inspect the raw response of the failing path locally (curl -v) and fix the status line or headers.",
       ("the app server or proxy that builds the response",)),
    _h("H18", "Server Request Interrupted", 503,
       "The dyno's socket was closed while the request or response was still in flight (sock=backend).",
       ("the app closed the connection before reading the whole request body", "a worker crashed mid-response"),
       "Look for app crashes or early connection closes on the logged paths.",
       ("uploads and large request bodies", "worker restarts"), note=_ROUTER2_KEEPALIVE),
    _h("H19", "Backend connection timeout", 503,
       "The router could not open a connection to a dyno within 5 seconds.",
       ("dynos overloaded and not accepting connections", "a dyno was being replaced", "short bursts during router maintenance"),
       "If it is a burst, watch whether it repeats; if steady, add dynos or reduce per-request work.",
       ("dyno load average", "concurrency settings of the app server")),
    _h("H20", "App boot timeout", 503,
       "The router waited 75 seconds and no web dyno reached the 'up' state to take the request.",
       ("slow boot (asset compilation, migrations at start)", "the app binds $PORT late"),
       "Make boot faster and bind $PORT first; move migrations to the release phase.",
       ("boot time in the dyno logs", "R10 boot timeouts")),
    _h("H21", "Backend connection refused", 503,
       "The dyno refused the router's connection.",
       ("the app listens on the wrong port or interface", "the app server's accept backlog is full"),
       "Bind to 0.0.0.0:$PORT and check the app server's connection limits.",
       ("app server bind settings",)),
    _h("H22", "Connection limit reached", 503,
       "The app reached the router's limit of open client connections.",
       ("many slow or held-open connections (long polling, websockets)", "far too few dynos for the load"),
       "Shorten long-held connections and add capacity.",
       ("websocket and long-poll usage", "p99 service time")),
    _h("H23", "Endpoint misconfigured", 503,
       "A retired code about a misconfigured endpoint (a WebSocket handshake to an upstream that does not speak it).",
       ("logs from an old routing stack",), "Nothing to do for current apps.", retired=True),
    _h("H24", "Forced close", None,
       "The router node handling the request was shut down or restarted and closed the connection.",
       ("routine platform maintenance",), "Usually nothing; retry-safe clients recover. Investigate only if it persists.",
       ("Heroku status page",)),
    _h("H25", "HTTP Restriction", 502,
       "The router blocked a response that broke its limits: an invalid content length, an oversized cookie, headers over 512 KB or a status line over 8 KB (desc says which).",
       ("a cookie or header that grew too large", "a wrong Content-Length"),
       "Read desc= on the H25 lines and shrink the named header or fix the content length.",
       ("session cookie size",)),
    _h("H26", "Request Error", 400,
       "The router rejected the client's request as malformed (cause= names it, e.g. an unsupported Expect header, a bad header or a bad chunk).",
       ("a client sending Expect: 100-continue variants the router does not support", "malformed headers or chunked bodies"),
       "Read cause= on the H26 lines; it is usually the client to fix, not the app.",
       ("which clients (fwd, path) send them",), note="Status is 400 or 417 depending on the cause."),
    _h("H27", "Client Request Interrupted", 499,
       "The client closed the connection before the response was complete (sock=client).",
       ("users navigating away or cancelling", "client-side timeouts shorter than the app's response time"),
       "Usually harmless; if frequent on one path, that path is probably too slow.",
       ("service time of the affected paths",), level="warning"),
    _h("H28", "Client Connection Idle", 499,
       "The client sent an incomplete request and then stayed idle for 55 seconds.",
       ("slow or broken clients", "clients holding connections open"),
       "Usually a client problem; check whether one source (fwd) dominates.", level="warning"),
    _h("H31", "Misdirected Request", 421,
       "The request reached the wrong endpoint, typically because of stale DNS or a CDN pointing at an old target (agent= shows the client).",
       ("stale DNS after a domain change", "a CDN or proxy with an outdated origin", "crawlers with cached DNS"),
       "Check the domain's DNS and CDN origin settings; crawler traffic alone can often be ignored.",
       ("heroku domains", "agent= of the H31 lines")),
    _h("H32", "TLS Certificate Mismatch", 495,
       "The client's TLS server name (SNI) did not match the certificate for the requested host.",
       ("a custom domain without a matching certificate", "clients connecting by one name and requesting another host"),
       "Check that every custom domain has a certificate covering it (ACM or an SNI endpoint).",
       ("heroku certs", "heroku domains")),
    _h("H80", "Maintenance mode", 503,
       "The app is in maintenance mode, so the router serves the maintenance page. Not an error.",
       ("maintenance mode was turned on",), "Turn it off when done: `heroku maintenance:off`.", level="info"),
    _h("H81", "Blank app", 503,
       "Nothing has been deployed to the app yet.", ("a new app without code",),
       "Deploy the app (git push heroku main or a build).", level="info"),
    _h("H82", "You've used up your dyno hour pool", 503,
       "The account's Eco dyno hours are used up, so Eco dynos sleep until the pool refills.",
       ("Eco dynos running more hours than the monthly pool",), "Upgrade the dyno type or wait for the monthly reset.",
       level="info", note="Formerly 'Free dyno quota exhausted'."),
    _h("H83", "Planned Service Degradation", 503,
       "The app is temporarily unavailable because of a planned platform change or a feature retirement.",
       ("announced platform work",), "Check Heroku's changelog and status page for the planned change.", level="info"),
    _h("H99", "Platform error", 503,
       "An internal Heroku error, not caused by the app.", ("a Heroku platform fault",),
       "Check status.heroku.com and open a support ticket if it persists."),
    _r("R10", "Boot timeout",
       "A web process did not bind to $PORT within 60 seconds of starting (90 s for some JVM builds), so it was killed and marked crashed.",
       ("the app listens on a fixed port instead of $PORT", "slow boot work before binding", "binding to 127.0.0.1 instead of 0.0.0.0"),
       "Make the web process bind 0.0.0.0:$PORT early; move slow boot work elsewhere.",
       ("the Procfile web command", "app output before the R10")),
    _r("R12", "Exit timeout",
       "A process did not exit within 30 seconds of SIGTERM and was killed with SIGKILL.",
       ("no SIGTERM handler, or one that waits on long work",), "Handle SIGTERM: stop taking work and exit within 30 s.",
       ("shutdown code of the process",)),
    _r("R13", "Attach error", "A one-off dyno started with `heroku run` could not attach to the client.",
       ("a network problem between the client and the dyno",), "Retry, or use `heroku run:detached`."),
    _r("R14", "Memory quota exceeded",
       "The dyno uses more memory than its quota (rss + swap + cache) and has started swapping, which slows it down.",
       ("a memory leak", "too many worker processes or threads for the dyno size", "large objects loaded per request"),
       "Reduce workers per dyno or use a larger dyno; find what grows with the memory samples.",
       ("memory per dyno over time (log-runtime-metrics)", "WEB_CONCURRENCY / worker count"),
       note="Private Spaces do not swap, so they show no R14."),
    _r("R15", "Memory quota vastly exceeded",
       "The dyno went far over its memory quota and was killed with SIGKILL.",
       ("a runaway allocation", "a leak left unchecked after R14s"),
       "Treat as an outage: lower memory use or size up, and look for the R14s that came before.",
       ("memory samples before the kill", "the request or job running at the time")),
    _r("R16", "Detached", "An attached one-off dyno kept running after its client disconnected (SIGHUP).",
       ("a process that ignores SIGHUP",), "Handle SIGHUP or run the task detached."),
    _r("R17", "Checksum error", "The slug's checksum did not match at launch, so the dyno did not start.",
       ("a corrupted or tampered slug",), "Redeploy, or roll back to the previous release."),
    _r("R99", "Platform error", "An internal Heroku runtime error, not caused by the app.",
       ("a Heroku platform fault",), "Check status.heroku.com; restart the dyno if it stays affected."),
    _l("L10", "Drain buffer overflow",
       "A log drain could not keep up and Logplex dropped messages (its buffer holds 1024 lines).",
       ("a slow or unreachable drain endpoint", "bursts of very verbose logging"),
       "Check the drain's health and reduce log volume.", ("heroku drains",)),
    _l("L11", "Tail buffer overflow", "A `heroku logs --tail` session could not keep up and messages were dropped from it.",
       ("a slow client connection", "very high log volume"), "Use a drain for high-volume logs; the app itself is unaffected."),
    _l("L12", "Local buffer overflow", "The dyno's log shipper could not send lines fast enough and dropped some.",
       ("an app writing logs faster than they can be shipped",), "Reduce log volume from the app."),
    _l("L13", "Local delivery error", "The dyno's log shipper could not deliver lines to Logplex and they were lost.",
       ("a transient network problem inside the platform",), "Usually transient; check Heroku status if it repeats."),
    _l("L14", "Certificate validation error", "A TLS syslog drain presented a certificate that could not be validated, so nothing was delivered to it.",
       ("an expired or self-signed certificate on the drain host", "a hostname mismatch"),
       "Fix the drain host's certificate or the drain URL.", ("heroku drains",)),
    _l("L15", "Tail buffer temporarily unavailable",
       "The recent-lines buffer (up to 1500 lines) was not available when logs were requested.",
       ("a transient Logplex condition",), "Retry, or read a live tail instead of history."),
)

CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _TABLE}


def normalise_code(text: str) -> str:
    """'h12 ' -> 'H12'; leaves unknown shapes as upper-cased, stripped text."""
    return text.strip().upper().replace(" ", "")


def lookup(code: str) -> ErrorCode | None:
    return CODES.get(normalise_code(code))


def nearest_codes(code: str, limit: int = 3) -> list[str]:
    """Known codes closest to an unknown one: same letter first, then numerically nearest."""
    text = normalise_code(code)
    letter = text[:1] if text[:1] in ("H", "R", "L") else None
    digits = "".join(ch for ch in text if ch.isdigit())
    number = int(digits) if digits else None

    def distance(entry: ErrorCode) -> tuple[int, int, str]:
        same_letter = 0 if letter is None or entry.code[0] == letter else 1
        gap = abs(int(entry.code[1:]) - number) if number is not None else 0
        return same_letter, gap, entry.code

    return [entry.code for entry in sorted(_TABLE, key=distance)[:limit]]
