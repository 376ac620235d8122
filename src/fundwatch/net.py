"""HTTP in one place: a client with timeouts, bounded retries and our User-Agent, and
the one-line error for whatever went wrong.

Importing httpx costs ~150 ms, so this module imports it only inside its functions;
commands import this module inside their bodies too.

URLs of chat webhooks carry their secret in the path or the query: messages name the
host only (``host()``), and text that comes back from a server is scrubbed of the
URL's parts before it is shown.

Against hostile servers, every request goes through ``fetch``: the answer is streamed
and its size *after decoding* (gzip, deflate) capped, and the whole request (connect,
retries, every read) must end within its time budget: a watchdog shuts the socket
down when it runs out, so that a server dripping a byte every few seconds cannot keep
a cron job running. A Retry-After longer than what is left of the budget fails at
once, saying when to try again.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
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

# 429 and every 5xx but those that will not change on a second try (501, 505).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 506, 507, 508, 510, 511})

# What is read of an answer at most, decoded: a server's error page or a chat's reply
# is a line of text; portal pages and import files have their own caps.
ERROR_BODY_CAP = 64 * 1024
REPLY_CAP = 64 * 1024
CHUNK = 64 * 1024  # decompressed at a time: a gzip bomb never grows past the cap
MAX_REDIRECTS = 10  # hops fetch(follow_redirects=True) follows

# The monotonic time by which the request under way must be done (for _Retry.sleep).
_DEADLINE: ContextVar[float | None] = ContextVar("fundwatch_deadline", default=None)


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
        for pattern, proxy in environment_proxies().items()
    }
    return httpx.Client(
        transport=transport(),
        mounts=mounts,
        timeout=httpx.Timeout(connect=timeout, read=timeout, write=timeout, pool=timeout),
        # what fetch() decodes itself, a bounded piece at a time
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=False,
    )


def environment_proxies() -> dict[str, str | None]:
    """The mounts httpx makes of HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY when it
    builds its own transport (``{"https://": proxy, "all://*.example.org": None}``):
    fundwatch gives it one, with retries, so it makes them here the same way."""
    from urllib.request import getproxies

    proxies = getproxies()
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        proxy = proxies.get(scheme, "").strip()
        if proxy:
            mounts[f"{scheme}://"] = proxy if "://" in proxy else f"http://{proxy}"
    for name in (n.strip() for n in proxies.get("no", "").split(",")):
        if not name:
            continue
        if name == "*":
            return {}
        if "://" in name:
            mounts[name] = None
        elif _address(name) == 4 or name.lower() == "localhost":
            mounts[f"all://{name}"] = None
        elif _address(name) == 6:
            mounts[f"all://[{name.strip('[]')}]"] = None
        else:
            mounts[f"all://*{name}"] = None
    return mounts


def _address(name: str) -> int:
    """4 or 6 for an IP address (or network), else 0."""
    import ipaddress

    try:
        return ipaddress.ip_network(name.strip("[]"), strict=False).version
    except ValueError:
        return 0


@cache
def _retry_class() -> type[Retry]:
    from httpx_retries import Retry

    class _Retry(Retry):
        """Waits for a server's Retry-After (``1.5`` too: Discord sends fractions; a date
        without a zone is UTC; one not understood falls back to the back-off, all without
        logging), else the back-off; within the request's time budget, or not at all."""

        def sleep(self, response: httpx.Response | Exception) -> None:
            import httpx

            asked = None
            if isinstance(response, httpx.Response):
                asked = retry_after(response.headers.get("Retry-After", ""))
            wait = asked if asked is not None and asked > 0 else None
            if wait is None:
                wait = self.backoff_strategy() if self.attempts_made > 0 else 0.0
            deadline = _DEADLINE.get()
            if deadline is not None:
                left = deadline - time.monotonic()
                if asked is not None and asked > left and isinstance(response, httpx.Response):
                    raise RetryLater(response, asked)
                if wait >= left:
                    if isinstance(response, httpx.Response):
                        raise GaveUp(response)  # it did answer: say what
                    raise OutOfTime()
            wait = min(wait, MAX_WAIT)
            time.sleep(wait)
            self.elapsed_sleep += wait

    return _Retry


def retry_after(value: str) -> float | None:
    """Seconds from a Retry-After value (``120``, ``1.5`` or an HTTP date; a date
    without a zone is taken as UTC); None when there is none or it is not understood."""
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryLater(Exception):
    """The server asked to wait longer than the request's time budget allows."""

    def __init__(self, response: httpx.Response, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.response = response
        self.seconds = seconds


class GaveUp(Exception):
    """No time is left to try again after this answer (a 5xx or a 429)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"gave up after {response.status_code}")
        self.response = response


class OutOfTime(Exception):
    """The request's time budget ran out (between tries, or while reading)."""


# --- one request, bounded in size and time --------------------------------------------------


class TooBig(FundwatchError):
    """The answer was larger than allowed (decoded)."""


class TimedOut(FundwatchError):
    """The request's time budget ran out."""


# the network streams each client has used: a kept-alive one is used again without a
# new connect, and must be shut down too when a later request runs out of time
_STREAMS: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


class _Watchdog:
    """Shuts down the sockets of a request when its time budget runs out: a read that
    is waiting then ends at once, however slowly the server drips."""

    def __init__(self, http: httpx.Client, deadline: float) -> None:
        self.streams = _STREAMS.setdefault(http, [])
        self.lock = threading.Lock()
        self.fired = False
        self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self.fire)
        self.timer.daemon = True
        self.timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith((".connect_tcp.complete", ".connect_unix_socket.complete")):
            self.add(info.get("return_value"))

    def add(self, stream: Any) -> None:
        if stream is None:
            return
        with self.lock:
            if all(s is not stream for s in self.streams):
                self.streams.append(stream)
                del self.streams[:-8]  # a client keeps few connections
            if self.fired:
                _shut(stream)

    def fire(self) -> None:
        with self.lock:
            self.fired = True
            for stream in self.streams:
                _shut(stream)

    def cancel(self) -> None:
        self.timer.cancel()


def _shut(stream: Any) -> None:
    import socket

    try:
        sock = stream.get_extra_info("socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):
        pass


class _Decoder:
    """Content-Encoding gzip or deflate (or none), decoded at most ``CHUNK`` bytes at a
    time, so that what is held never much passes what has been asked for."""

    def __init__(self, encoding: str, where: str) -> None:
        import zlib

        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FundwatchError(
                f"{where} answered in an encoding fundwatch does not read ({encoding.strip()})"
            )
        self.kind = codings[0] if codings else None
        self.zlib = zlib
        self.obj: Any = self._new()
        self.first = True

    def _new(self) -> Any:
        if self.kind in ("gzip", "x-gzip"):
            return self.zlib.decompressobj(16 + self.zlib.MAX_WBITS)
        if self.kind == "deflate":
            return self.zlib.decompressobj()
        return None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.obj is None:
            yield data
            return
        while data:
            try:
                out = self.obj.decompress(data, CHUNK)
            except self.zlib.error:
                if self.kind == "deflate" and self.first:  # raw deflate, no zlib header
                    self.obj = self.zlib.decompressobj(-self.zlib.MAX_WBITS)
                    self.first = False
                    continue
                raise
            self.first = False
            yield out
            if self.obj.unconsumed_tail:
                data = self.obj.unconsumed_tail
            elif self.obj.eof and self.obj.unused_data and self.kind != "deflate":
                data = self.obj.unused_data  # a further gzip member
                self.obj = self._new()
            else:
                data = b""


def fetch(
    http: httpx.Client,
    method: str,
    url: str | httpx.URL,
    *,
    what: str,
    limit: int,
    budget: float,
    shown_url: str | None = None,
    error_cap: int = ERROR_BODY_CAP,
    **options: Any,
) -> httpx.Response:
    """``http.request(method, url, **options)``, retries included, within ``budget``
    seconds in all, its answer read whole (decoded) into a plain Response.

    A successful answer larger than ``limit`` bytes is a TooBig; any other answer is
    read up to ``error_cap`` (what it says is only shown in a line). A Retry-After
    beyond the budget, or a budget that runs out, is a FundwatchError naming ``what``
    at the host of ``shown_url`` (``url`` by default); anything else that fails is
    httpx's own exception, for ``failure()``.
    """
    import httpx

    shown = shown_url if shown_url is not None else str(url)
    where = f"{what} at {host(shown) or 'the given URL'}"
    deadline = time.monotonic() + budget
    dog = _Watchdog(http, deadline)
    token = _DEADLINE.set(deadline)
    extensions = dict(options.pop("extensions", None) or {})
    extensions["trace"] = dog.trace
    # Redirects are followed here, not by httpx: it reads a redirect's body whole (and
    # decodes it), which a hostile server makes 1 GiB or a gzip bomb. Ours is not read.
    follow = bool(options.pop("follow_redirects", False))
    history: list[httpx.Response] = []
    try:
        while True:
            with http.stream(method, url, extensions=extensions, **options) as response:
                dog.add(response.extensions.get("network_stream"))
                if follow and response.has_redirect_location and len(history) < MAX_REDIRECTS:
                    url = _redirect_target(response, where)
                    history.append(response)
                    if response.status_code == 303 and method.upper() != "HEAD":
                        method = "GET"
                    continue
                cap = limit if response.is_success else error_cap
                body = _read(response, cap, where, truncate=not response.is_success)
                break
    except RetryLater as later:
        raise _later(later, where) from None
    except OutOfTime:
        raise _out_of_time(method, budget, where) from None
    except GaveUp as gave_up:  # (its body was not read: the line says its status)
        raise failure(gave_up.response, shown, what=what) from None
    except httpx.HTTPError:
        if dog.fired:
            raise _out_of_time(method, budget, where) from None
        raise
    finally:
        dog.cancel()
        _DEADLINE.reset(token)
    if dog.fired:  # the last read ended just as the time ran out
        raise _out_of_time(method, budget, where)
    skip = ("content-encoding", "content-length", "transfer-encoding")
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in skip]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        history=history,
        extensions={k: v for k, v in response.extensions.items() if k != "network_stream"},
    )


def _redirect_target(response: httpx.Response, where: str) -> httpx.URL:
    """Where a redirect leads: an http(s) URL (relative to the one asked), a user and
    password carried to the same server only; anything else (``file://``) is an error."""
    import httpx

    try:
        target = response.url.join(response.headers["location"])
    except (httpx.InvalidURL, KeyError, ValueError):
        raise FundwatchError(f"{where} redirects to an address that is not valid") from None
    if target.scheme not in ("http", "https") or not target.host:
        scheme = target.scheme or "relative"
        raise FundwatchError(
            f"{where} redirects to a {scheme}: address, which fundwatch does not follow"
        )
    here = response.url
    if (target.scheme, target.host, target.port) == (here.scheme, here.host, here.port):
        return target
    return target.copy_with(username=None, password=None)  # not to another server


def _read(response: httpx.Response, cap: int, where: str, truncate: bool) -> bytes:
    decoder = _Decoder(response.headers.get("content-encoding", ""), where)
    chunks: list[bytes] = []
    size = 0
    try:
        for raw in response.iter_raw():
            for piece in decoder.feed(raw):
                chunks.append(piece)
                size += len(piece)
                if size > cap:
                    if truncate:
                        return b"".join(chunks)[:cap]
                    raise TooBig(f"{where} answered more than {_size_text(cap)}: not read further")
    except FundwatchError:
        raise
    except Exception as exc:
        import zlib

        import httpx

        if isinstance(exc, zlib.error):
            if truncate:
                return b""
            raise FundwatchError(f"{where} answered with a damaged compressed body") from None
        if isinstance(exc, httpx.HTTPError):
            raise
        raise
    return b"".join(chunks)


def _size_text(n: int) -> str:
    if n >= 2**20 and n % 2**20 == 0:
        return f"{n // 2**20} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def _later(later: RetryLater, where: str) -> FundwatchError:
    from datetime import UTC, datetime, timedelta

    response = later.response
    status = f"{response.status_code} {response.reason_phrase or ''}".rstrip()
    try:
        when = datetime.now(UTC) + timedelta(seconds=later.seconds)
        at = "after " + when.strftime("%Y-%m-%d %H:%M UTC")
    except OverflowError:  # past the year 9999
        at = "much later"
    return FundwatchError(
        f"{where} answered {status} and asks to wait {later.seconds:g} s: try again {at}"
    )


def _out_of_time(method: str, budget: float, where: str) -> TimedOut:
    safe = method.upper() in ("GET", "HEAD")
    maybe = "the message may or may not have arrived; try again later"
    return TimedOut(
        f"{where} did not answer within {budget:g} s", hint="try again later" if safe else maybe
    )


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
    if not valid_host(url.strip()):
        raise BadValue(
            f"the {what}'s host name is not valid",
            hint="labels of 1 to 63 letters, digits or hyphens, joined by dots",
        )


def valid_host(url: str) -> bool:
    """Whether the host of ``url`` can be looked up at all: an IP address, or a name
    whose IDNA form (``xn--`` labels checked) has labels of 1 to 63 characters."""
    import httpx

    try:
        parsed = httpx.URL(url)
        raw = parsed.raw_host.decode("ascii")
        parsed.host  # noqa: B018 (decodes xn-- labels: raises for an invalid one)
    except Exception:  # httpx.InvalidURL, idna.IDNAError, UnicodeError
        return False
    if _address(raw) or not raw:
        return bool(raw)
    labels = raw[:-1].split(".") if raw.endswith(".") else raw.split(".")
    return len(raw) <= 253 and all(0 < len(label) <= 63 for label in labels)


def redact(text: str, url: str) -> str:
    """``text`` without the URL or any longer piece of its path, query or user info."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return text.replace(url, "…") if url else text
    import re
    from urllib.parse import unquote

    pieces = {url, url.strip(), parts.path, parts.query, parts.netloc}
    pieces.update(p for p in parts.path.split("/"))
    pieces.update(v for pair in parse_qsl(parts.query, keep_blank_values=True) for v in pair)
    pieces.update(p for p in (parts.username, parts.password, parts.fragment) if p)
    # as a server may quote them: percent-decoded (ab%2Fcd -> ab/cd), in other case
    decoded = {unquote(p) for p in pieces}
    pieces |= decoded | {w for d in decoded for w in re.split(r"[/\s]+", d)}
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 6 and piece != parts.hostname and piece != host(url):
            text = re.sub(re.escape(piece), "…", text, flags=re.IGNORECASE)
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
