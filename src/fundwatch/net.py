"""HTTP in one place: a client with timeouts, bounded retries and our User-Agent, and
the one-line error for whatever went wrong.

Importing httpx costs ~150 ms, so this module imports it only inside its functions;
commands import this module inside their bodies too.

URLs of chat webhooks carry their secret in the path or the query: messages name the
host only (``host()``), and text that comes back from a server is scrubbed of the
URL's parts before it is shown.
"""

from __future__ import annotations

import sys
import threading
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from fundwatch import __version__
from fundwatch.domain.errors import BadValue, FundwatchError

if TYPE_CHECKING:
    import httpx
    from httpx_retries import Retry

USER_AGENT = f"fundwatch/{__version__}"

# The longest single wait, for a server's Retry-After or our back-off: a cron job must
# end, so one request takes at most retries * (MAX_WAIT + timeout) + timeout seconds.
MAX_WAIT = 60.0

# 429 and every 5xx but those that will not change on a second try (501, 505). Only
# statuses that http.HTTPStatus names: httpx-retries before 0.5 takes no others.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 506, 507, 508, 510, 511})


def client(timeout: float = 10.0, retries: int = 3, backoff: float = 0.5) -> httpx.Client:
    """An ``httpx.Client`` that retries, POST included, at most ``retries`` times.

    Retried: 429 and 5xx answers (after the server's Retry-After, capped at
    MAX_WAIT, else after an exponential back-off of ``backoff`` * 2**n seconds,
    jittered), and failures that happen before the request reached the server
    (cannot connect, connection dropped while sending). Not retried: a server that
    took the request but did not answer within ``timeout``: it may have acted on it,
    and a second try would post the message twice.

    Proxies from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY apply, retried alike.
    """
    import httpx
    from httpx_retries import RetryTransport

    retry = _retry_class()(
        total=max(0, retries),
        allowed_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        status_forcelist=RETRY_STATUSES,
        retry_on_exceptions=[
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.WriteError,
            httpx.WriteTimeout,
            httpx.PoolTimeout,
            httpx.RemoteProtocolError,  # e.g. a kept-alive connection the server had closed
        ],
        backoff_factor=max(0.0, backoff),
        backoff_jitter=0.5,
        max_backoff_wait=MAX_WAIT,
    )

    def transport(proxy: str | None = None) -> RetryTransport:
        return RetryTransport(httpx.HTTPTransport(proxy=proxy), retry=retry)

    # httpx ignores the proxy variables once it is given a transport: mount them here.
    mounts: dict[str, httpx.BaseTransport | None] = {
        pattern: transport(proxy) if proxy else None
        for pattern, proxy in _environment_proxies().items()
    }
    return httpx.Client(
        transport=transport(),
        mounts=mounts,
        timeout=httpx.Timeout(connect=timeout, read=timeout, write=timeout, pool=timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def _environment_proxies() -> dict[str, str | None]:
    try:
        from httpx._utils import get_environment_proxies
    except ImportError:  # a private helper of httpx; without it, no proxy
        return {}
    return get_environment_proxies()


@cache
def _retry_class() -> type[Retry]:
    from httpx_retries import Retry

    class _Retry(Retry):
        """Also reads ``Retry-After: 1.5`` (Discord sends fractions); a value that is not
        understood falls back to the back-off quietly instead of logging a warning."""

        def increment(self) -> Retry:
            # httpx-retries before 0.5 makes the next attempt a plain Retry
            following = super().increment()
            following.__class__ = type(self)
            return following

        def parse_retry_after(self, retry_after: str) -> float:
            try:
                return max(0.0, float(retry_after.strip()))
            except ValueError:
                pass
            try:
                return super().parse_retry_after(retry_after)
            except ValueError:
                return 0.0

    return _Retry


# --- naming a server without its secrets ---------------------------------------------------


def host(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XYZ`` -> ``hooks.slack.com``; a port is kept
    (``127.0.0.1:8080``), the user, password, path and query never. "" when there is none."""
    try:
        parts = urlsplit(url.strip())
        name = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    if ":" in name:  # IPv6
        name = f"[{name}]"
    return f"{name}:{port}" if name and port is not None else name


def check_url(url: str, what: str = "URL") -> None:
    """An http(s) URL with a host, or BadValue (which does not show the URL)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise BadValue(f"the {what} is not a valid URL", hint="it starts with https://") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadValue(
            f"the {what} is not an http(s) URL with a host", hint="it starts with https://"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in url.strip()):
        raise BadValue(f"the {what} contains spaces or control characters", hint="quote it whole")


def redact(text: str, url: str) -> str:
    """``text`` without the URL or any longer piece of its path, query or user info."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return text.replace(url, "…") if url else text
    pieces = {url, url.strip(), parts.path, parts.query, parts.netloc}
    pieces.update(p for p in parts.path.split("/"))
    pieces.update(v for pair in parse_qsl(parts.query, keep_blank_values=True) for v in pair)
    pieces.update(p for p in (parts.username, parts.password, parts.fragment) if p)
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 6 and piece != parts.hostname and piece != host(url):
            text = text.replace(piece, "…")
    return text


# --- failures as one line ---------------------------------------------------------------------


def failure(
    exc_or_response: BaseException | httpx.Response, url: str, *, what: str = "server"
) -> FundwatchError:
    """One clear line for a request to ``url`` that failed, naming its host only.

    ``what`` names the other side: ``chat webhook at hooks.slack.com answered 404 Not
    Found: no_service``; ``chat webhook at example.org did not answer within 10 s``;
    ``cannot connect to chat webhook at example.org: connection refused``.
    """
    where = f"{what} at {host(url) or 'the given URL'}"
    if isinstance(exc_or_response, BaseException):
        return _exception_failure(exc_or_response, url, where)
    return _response_failure(exc_or_response, url, where)


def _response_failure(response: httpx.Response, url: str, where: str) -> FundwatchError:
    status = response.status_code
    message = f"{where} answered {status} {response.reason_phrase or ''}".rstrip()
    detail = _detail(response, url)
    if detail:
        message += f": {detail}"
    if status in (404, 410):
        hint = "check the URL; the webhook may have been removed"
    elif status in (401, 403):
        hint = "the URL's token is not accepted: check it, or create a new webhook"
    elif status == 429:
        hint = "too many requests: try again later"
    elif status >= 500:
        hint = "the service has a problem: try again later"
    elif 300 <= status < 400:
        hint = "the address has moved: use the new URL"
    elif status in (400, 413, 422):
        hint = "the service refused the message"
    else:
        hint = None
    return FundwatchError(message, hint=hint)


def _detail(response: httpx.Response, url: str) -> str:
    """What the server said, when it is a short text or a JSON message (Slack's
    ``no_service``, Discord's ``Unknown Webhook``), on one line, without secrets."""
    try:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        text = response.text
    except Exception:  # not read, or not decodable
        return ""
    said: Any = None
    if kind == "application/json" or kind.endswith("+json"):
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return ""
        if isinstance(data, dict):
            said = data.get("message") or data.get("error") or data.get("text")
            if isinstance(said, dict):
                said = said.get("message") or said.get("code")
        elif isinstance(data, str):
            said = data
    elif kind in ("text/plain", "") or (kind == "text/html" and "<" not in text):
        said = text  # Slack says "no_service" as text/html
    if not isinstance(said, str):
        return ""
    line = " ".join(said.split())
    line = "".join(ch if ch.isprintable() else "\ufffd" for ch in line)
    line = redact(line, url)
    return line if len(line) <= 120 else line[:119] + "…"


def _seconds(value: float | None) -> str:
    return f"{value:g} s" if value is not None else "the time allowed"


def _method_of(exc: BaseException) -> str:
    try:
        return str(exc.request.method)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError when it has none
        return ""


def _timeout_of(exc: BaseException, kind: str) -> float | None:
    try:
        value = exc.request.extensions["timeout"][kind]  # type: ignore[attr-defined]
    except (AttributeError, KeyError, RuntimeError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _exception_failure(exc: BaseException, url: str, where: str) -> FundwatchError:
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return FundwatchError(
            f"cannot connect to {where}: no answer within {_seconds(_timeout_of(exc, 'connect'))}",
            hint="check your network or proxy, or try again later",
        )
    if isinstance(exc, httpx.ReadTimeout):
        # a GET changes nothing on the server; a POST (a chat message) may have landed
        safe = _method_of(exc) in ("GET", "HEAD")
        return FundwatchError(
            f"{where} did not answer within {_seconds(_timeout_of(exc, 'read'))}",
            hint="try again later"
            if safe
            else "the message may or may not have arrived; try again later",
        )
    if isinstance(exc, httpx.WriteTimeout):
        return FundwatchError(
            f"{where} did not take the request within {_seconds(_timeout_of(exc, 'write'))}",
            hint="try again later",
        )
    if isinstance(exc, httpx.TimeoutException):
        return FundwatchError(f"{where} timed out", hint="try again later")
    if isinstance(exc, httpx.ProxyError):
        return FundwatchError(
            f"the proxy refused the request to {where}: {_reason(exc, url)}",
            hint="check HTTPS_PROXY / HTTP_PROXY",
        )
    if isinstance(exc, httpx.ConnectError):
        reason = _reason(exc, url)
        hint = "check the URL and your network"
        if "certificate" in reason.lower() or "ssl" in reason.lower():
            hint = "if your network's own CA signs it, point SSL_CERT_FILE at that CA's bundle"
        return FundwatchError(f"cannot connect to {where}: {reason}", hint=hint)
    if isinstance(exc, httpx.RemoteProtocolError):
        return FundwatchError(
            f"{where} closed the connection without a proper answer", hint="try again later"
        )
    if isinstance(exc, httpx.TransportError):
        return FundwatchError(f"request to {where} failed: {_reason(exc, url)}")
    if isinstance(exc, httpx.InvalidURL):
        return FundwatchError(f"the URL for {where} is not valid", hint="check it")
    return FundwatchError(f"request to {where} failed: {_reason(exc, url)}")


def _reason(exc: BaseException, url: str) -> str:
    """The cause in words: ``connection refused``, ``unknown host``, the OS's text."""
    import errno
    import socket
    import ssl

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, "verify_message", None)
            return f"certificate not trusted ({detail})" if detail else "certificate not trusted"
        if isinstance(cause, socket.gaierror):
            return "unknown host (the name does not resolve)"
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    lowered = text.lower()
    if "connection refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host (the name does not resolve)"
    if text.startswith("[Errno"):
        text = text.split("]", 1)[-1].strip()
    text = " ".join(text.split()) or type(exc).__name__
    return redact(text, url)


# --- the progress line ----------------------------------------------------------------------


class Progress:
    """A spinner and a line of text on stderr, transient, shown only when stderr is a
    terminal and the work has taken more than ``after`` seconds (a timer starts it, so
    that it turns while a slow request is waiting). rich is imported only then."""

    def __init__(
        self, text: str, enabled: bool, after: float = 1.0, stream: TextIO | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.text = text
        self.shown: Any = None  # a rich Status once started
        self.lock = threading.Lock()
        self.closed = False
        self.timer: threading.Timer | None = None
        from fundwatch.output.terminal import is_terminal

        if enabled and is_terminal(self.stream):
            self.timer = threading.Timer(after, self._start)
            self.timer.daemon = True
            self.timer.start()

    def _start(self) -> None:
        from rich.console import Console

        console = Console(file=self.stream, highlight=False)
        with self.lock:
            if self.closed:
                return
            self.shown = console.status(self.text)
            self.shown.start()

    def update(self, text: str) -> None:
        with self.lock:
            self.text = text
            if self.shown is not None:
                self.shown.update(text)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.shown is not None:
                self.shown.stop()
                self.shown = None
