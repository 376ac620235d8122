"""The Funding & Tenders Portal's search API over HTTP: pages of topics, and topics by id.

What the portal wants (see tests/fixtures for its exact shapes): ``POST {base}?apiKey=SEDIA&text=...
&pageSize=N&pageNumber=K`` with a multipart body whose parts ``query``, ``languages`` and
``sort`` are JSON *file* parts (filename ``blob``, ``Content-Type: application/json``). It
answers 500 to plain form fields and ignores a query put in the URL. Results are sorted
by ``identifier``, the one order that pages stably; paging stops at the first empty page
(or, looking up identifiers, at the first page that is not full), and never goes past a
cap. Every page is parsed by ``portal.parse_search_page`` and all rows are merged once
(``portal.merge``): one topic can come as several rows, on different pages.

Retries (connection errors, 429, 5xx) and the User-Agent come from ``net.client``; every
failure that remains is one FundwatchError naming the portal's host. httpx and rich are
imported inside the functions that use them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from fundwatch import net
from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.portal.topics import (
    PROGRAMMES,
    STATUS_CODES,
    Topic,
    identifier_query,
    merge,
    parse_search_page,
)

if TYPE_CHECKING:
    import httpx

API_KEY = "SEDIA"
EVERYTHING = "***"  # the API's "any text"; it refuses a request without text
PAGE_SIZE = 100
MAX_PAGES = 50  # 5,000 rows: the open and forthcoming calls of every programme fit twice
LOOKUP_MAX_PAGES = 10  # per batch of identifiers: a few rows per topic at most
BATCH = 99  # one short of a page: with one row a topic, no second page is needed
TIMEOUT = 30.0  # seconds for each whole request; FUNDWATCH_PORTAL_TIMEOUT overrides it
PAGE_CAP = 20 * 1024 * 1024  # bytes of a page, decoded: 100 rows are about 1 MiB
RETRIES = 3
BACKOFF = 0.5
PROGRESS_AFTER = 1.0  # seconds before a progress line appears on a terminal
CALL_TYPES = ("1", "2", "8")  # grant topics, external-action calls, cascade calls (§1.4)
LANGUAGES = ("en",)
SORT = {"field": "identifier", "order": "ASC"}

# The portal's status goes stale (§1.9): a topic can still say Forthcoming on the day it
# opens, or Open after its deadline. To find the topics whose status (worked out from
# their dates) is S, ask for the portal statuses that can hide S, and filter locally.
# A closed topic can hide behind any of them (legacy 2024 rows still say Forthcoming),
# or none: None asks for every status.
_MAY_BE: dict[str, tuple[str, ...] | None] = {
    "forthcoming": ("forthcoming",),
    "open": ("forthcoming", "open"),
    "closed": None,
}

# The portal's own programme abbreviations (bulk file, §2) for the codes of PROGRAMMES.
ABBREVIATIONS = {
    "horizon": "43108390",
    "h2020": "31045243",
    "digital": "43152860",
    "edf": "44181033",
    "erasmus2027": "43353764",
    "crea2027": "43251814",
    "smp": "43252476",
    "life2027": "43252405",
    "eu4h": "43332642",
    "euratom2027": "43298916",
    "cef2027": "43251567",
    "innovfund": "43089234",
    "ndici": "111111",
}


MAX_RESULTS = 300  # a saved search's bound: more is "too broad"


class Bounded(NamedTuple):
    """What one bounded search found: the topics (merged), the portal's count of results
    (``totalResults``, None when it gave none), and whether that passed the bound."""

    topics: list[Topic]
    total: int | None
    too_broad: bool


class TooManyPages(FundwatchError):
    """The portal still had results after ``max_pages`` pages; ``topics`` holds those read
    (merged), so that a caller may show them with a warning instead of failing."""

    def __init__(self, message: str, hint: str | None, topics: list[Topic]) -> None:
        super().__init__(message, hint)
        self.topics = topics


# --- the two requests fundwatch makes ------------------------------------------------------


def search_pages(
    base_url: str,
    text: str = EVERYTHING,
    query: dict[str, Any] | None = None,
    *,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
    timeout: float | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    progress: bool = True,
    enough: Callable[[list[Topic]], bool] | None = None,
) -> list[Topic]:
    """Every topic the portal finds for ``text`` and ``query``, merged, in identifier order.

    ``query`` is the search API's query DSL (``{"bool": {"must": [...]}}``); None asks for
    calls of every kind (``CALL_TYPES``). Pages are read until one is empty, or until
    ``enough`` (given the topics read so far, merged) says so. Raises TooManyPages when
    page ``max_pages`` still had results, FundwatchError for anything else that failed.
    """
    if query is None:
        query = search_query()
    doing = "Searching the Funding & Tenders Portal"
    with _Session(base_url, timeout, retries, backoff, progress, doing) as session:
        rows = session.pages(text or EVERYTHING, query, page_size, max_pages, enough=enough)
    return merge(rows)


def fetch_topics(
    base_url: str,
    identifiers: Iterable[str],
    *,
    batch: int = BATCH,
    page_size: int = PAGE_SIZE,
    max_pages: int = LOOKUP_MAX_PAGES,
    timeout: float | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    progress: bool = True,
) -> dict[str, Topic]:
    """The topics of ``identifiers`` that the portal knows, keyed by the identifier as
    given (matched without regard to case), in the order given; unknown ones are absent.

    One ``terms`` filter on ``identifier`` per batch of ``batch`` identifiers; a batch's
    next page is asked for only when its page was full. A topic has one row or a few
    (legacy copies), so 200 identifiers take 3 requests when every batch has fewer than
    ``page_size`` rows. Identifiers not found are asked for once more as the call
    identifier of cascade and external-action calls.
    """
    wanted = list(dict.fromkeys(i.strip() for i in identifiers if i and i.strip()))
    if not wanted:
        return {}
    if batch < 1:
        raise BadValue("the batch size must be at least 1")
    doing = f"Looking up {len(wanted)} topic{'s' * (len(wanted) > 1)} on the portal"
    hint = "the portal sent far more rows than topics asked for: try a smaller batch"
    given = {i.casefold(): i for i in wanted}
    found: dict[str, Topic] = {}

    def keep(rows: list[Topic]) -> None:
        for topic in merge(rows):
            key = given.get(topic.identifier.casefold())
            if key is not None and key not in found:
                found[key] = topic

    with _Session(base_url, timeout, retries, backoff, progress, doing) as session:
        rows: list[Topic] = []
        for start in range(0, len(wanted), batch):
            query = identifier_query(wanted[start : start + batch])
            rows += session.pages(
                EVERYTHING, query, page_size, max_pages, full_only=True, cap_hint=hint
            )
        keep(rows)
        # cascade and external-action calls have no identifier field: their call
        # identifier stands for it (topics.parse_search_page); one more request, only
        # when some identifier was not found
        missing = [i for i in wanted if i not in found]
        rows = []
        for start in range(0, len(missing), batch):
            query = {"bool": {"must": [
                {"terms": {"callIdentifier": missing[start : start + batch]}},
                {"terms": {"type": ["2", "8"]}},
            ]}}  # fmt: skip
            rows += session.pages(
                EVERYTHING, query, page_size, max_pages, full_only=True, cap_hint=hint
            )
        keep(rows)
    return {i: found[i] for i in wanted if i in found}


def bounded_searches(
    base_url: str,
    searches: Sequence[tuple[str, dict[str, Any]]],
    *,
    limit: int = MAX_RESULTS,
    page_size: int = PAGE_SIZE,
    timeout: float | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    progress: bool = True,
) -> list[Bounded]:
    """Each ``(text, query)`` search, read to its end when it has at most ``limit``
    results, over one connection.

    A search takes at most ``limit // page_size + 1`` requests (4 for 300 results in
    pages of 100): page 1 says how many results there are (``totalResults``); more than
    ``limit`` stops there, as too broad. Otherwise pages are read until one is empty or
    short, or the rows read reach the count. Without a count, a search still giving rows
    after ``limit`` is too broad, counted by the rows read.
    """
    if limit < 1 or page_size < 1:
        raise BadValue("the result bound and page size must be at least 1")
    max_pages = limit // page_size + 1
    found: list[Bounded] = []
    doing = "Running saved searches on the Funding & Tenders Portal"
    with _Session(base_url, timeout, retries, backoff, progress, doing) as session:
        for text, query in searches:
            rows: list[Topic] = []
            total: int | None = None
            for number in range(1, max_pages + 1):
                page = session.page(text or EVERYTHING, query, page_size, number)
                if number == 1:
                    total = session.total
                    if total is not None and total > limit:
                        break
                rows += page
                if len(page) < page_size or (total is not None and len(rows) >= total):
                    break
            broad = (total if total is not None else len(rows)) > limit
            count = total if total is not None else len(rows)
            found.append(Bounded([] if broad else merge(rows), count, broad))
    return found


# --- building queries ---------------------------------------------------------------------


def search_query(
    statuses: Sequence[str] = (),
    programme_codes: Sequence[str] = (),
    types: Sequence[str] = CALL_TYPES,
) -> dict[str, Any]:
    """The ``query`` part: calls of ``types``, with a portal status that may stand for one
    of ``statuses`` (forthcoming, open, closed; see _MAY_BE), of these programmes."""
    must: list[dict[str, Any]] = [{"terms": {"type": list(types)}}]
    codes = _status_codes(statuses)
    if codes:
        must.append({"terms": {"status": codes}})
    if programme_codes:
        must.append({"terms": {"frameworkProgramme": list(dict.fromkeys(programme_codes))}})
    return {"bool": {"must": must}}


def _status_codes(statuses: Sequence[str]) -> list[str]:
    """The portal status codes that may stand for ``statuses``; none (ask for every
    status) when nothing is asked or one of them may hide behind any status."""
    codes: list[str] = []
    for status in statuses:
        if status not in _MAY_BE:
            raise BadValue(f"unknown status '{status}'", hint="forthcoming, open or closed")
    for status in statuses:
        names = _MAY_BE[status]
        if names is None:
            return []
        codes += [STATUS_CODES[n] for n in names if STATUS_CODES[n] not in codes]
    return codes


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def programme_codes(names: Iterable[str]) -> dict[str, str]:
    """``["horizon", "LIFE"]`` -> ``{"43108390": "Horizon Europe", "43252405": "LIFE"}``.

    Each name is matched without regard to case, spaces or punctuation: a code, then
    a programme's whole name, then the portal's abbreviation (HORIZON, EDF, SMP...),
    then part of a name ("erasmus"). A name that matches nothing is a BadValue. A code
    fundwatch has no name for (the portal has 64) stands for itself.
    """
    chosen: dict[str, str] = {}
    for name in names:
        key = _squash(name)
        if not key:
            raise BadValue("--programme is empty", hint="such as 'Horizon Europe' or LIFE")
        if name.strip() in PROGRAMMES:
            codes = [name.strip()]
        elif name.strip().isdigit() and name.strip().isascii():
            chosen[name.strip()] = name.strip()
            continue
        else:
            codes = [c for c, p in PROGRAMMES.items() if _squash(p) == key]
            codes = codes or ([ABBREVIATIONS[key]] if key in ABBREVIATIONS else [])
            codes = codes or [c for c, p in PROGRAMMES.items() if key in _squash(p)]
        if not codes:
            known = ", ".join(sorted(set(PROGRAMMES.values())))
            raise BadValue(f"--programme: no portal programme matches '{name}'", hint=known)
        chosen.update((c, PROGRAMMES[c]) for c in codes)
    return chosen


# --- one conversation with the portal --------------------------------------------------------


def timeout_from_env(default: float = TIMEOUT) -> float:
    """``FUNDWATCH_PORTAL_TIMEOUT`` (seconds) or ``default``."""
    raw = os.environ.get("FUNDWATCH_PORTAL_TIMEOUT", "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise BadValue(
            f"FUNDWATCH_PORTAL_TIMEOUT: '{raw}' is not a number of seconds",
            hint="such as 30 or 2.5",
        )
    return value


class _Session:
    """The HTTP client, the portal's host for messages, and the progress line."""

    def __init__(
        self,
        base_url: str,
        timeout: float | None,
        retries: int,
        backoff: float,
        progress: bool,
        doing: str,
    ) -> None:
        self.base = base_url.strip()
        net.check_url(self.base, "portal URL")
        self.where = f"portal at {net.host(self.base)}"
        self.timeout = timeout if timeout is not None else timeout_from_env()
        self.http = net.client(timeout=self.timeout, retries=retries, backoff=backoff)
        self.doing = doing
        self.progress = net.Progress(f"{doing}…", progress, after=PROGRESS_AFTER)
        self.requests = 0
        self.rows = 0
        self.total: int | None = None  # the last page's totalResults

    def __enter__(self) -> _Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.close()
        self.http.close()

    def pages(
        self,
        text: str,
        query: dict[str, Any],
        page_size: int,
        max_pages: int,
        *,
        full_only: bool = False,
        enough: Callable[[list[Topic]], bool] | None = None,
        cap_hint: str = "narrow the search with TEXT, --status or --programme",
    ) -> list[Topic]:
        """The rows of pages 1, 2, ... until an empty page (or, with ``full_only``, one
        that is not full), or ``enough`` of them; TooManyPages past ``max_pages``."""
        if page_size < 1 or max_pages < 1:
            raise BadValue("page size and page cap must be at least 1")
        rows: list[Topic] = []
        for number in range(1, max_pages + 1):
            page = self.page(text, query, page_size, number)
            if not page:
                return rows
            rows += page
            if full_only and len(page) < page_size:
                return rows
            # the last identifier may go on over the next page: judge without it
            if enough is not None:
                settled = [r for r in rows if r.identifier != rows[-1].identifier]
                if enough(merge(settled)):
                    return rows
        raise TooManyPages(
            f"the {self.where} still had results after {max_pages} pages of {page_size}",
            hint=cap_hint,
            topics=merge(rows),
        )

    def page(self, text: str, query: dict[str, Any], size: int, number: int) -> list[Topic]:
        import httpx

        url = httpx.URL(self.base).copy_merge_params(
            {"apiKey": API_KEY, "text": text, "pageSize": str(size), "pageNumber": str(number)}
        )
        files = [
            (name, ("blob", json.dumps(value, ensure_ascii=False), "application/json"))
            for name, value in (("query", query), ("languages", list(LANGUAGES)), ("sort", SORT))
        ]
        try:
            response = net.fetch(self.http, "POST", url, what="portal", limit=PAGE_CAP,
                                 budget=self.timeout, shown_url=self.base, files=files)  # fmt: skip
        except net.TimedOut as exc:
            slow = "the portal is slow or down: try again later, or set FUNDWATCH_PORTAL_TIMEOUT"
            raise FundwatchError(exc.message, hint=slow) from None
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise _failure(net.failure(exc, self.base, what="portal"), exc) from exc
        if not response.is_success:
            raise _failure(net.failure(response, self.base, what="portal"), response)
        data = _json(response, self.where)
        topics = parse_search_page(data, where=f"{self.where}, page {number}")
        total = data.get("totalResults") if isinstance(data, dict) else None
        ok = isinstance(total, int) and not isinstance(total, bool) and total >= 0
        self.total = total if ok else None
        self.requests += 1
        self.rows += len(topics)
        self.progress.update(f"{self.doing}… page {number}, {self.rows} rows")
        return topics


def _failure(error: FundwatchError, cause: BaseException | httpx.Response) -> FundwatchError:
    """net.failure's line with a hint about the portal (its own speak of webhooks)."""
    import httpx

    hint = error.hint
    if isinstance(cause, httpx.Response):
        status = cause.status_code
        if status in (404, 405, 410) or 300 <= status < 400:
            hint = (
                "check portal_url or FUNDWATCH_PORTAL_URL: it should be the search API, "
                "such as https://api.tech.ec.europa.eu/search-api/prod/rest/search"
            )
        elif status in (401, 403):
            hint = "the portal refused the request: check portal_url or FUNDWATCH_PORTAL_URL"
        elif status == 400:
            hint = "the portal did not accept the query"
        elif status == 429:
            hint = "the portal asks to slow down: try again in a while"
        elif status >= 500:
            hint = "the portal has a problem: try again later"
    elif isinstance(cause, httpx.ReadTimeout):
        hint = "the portal is slow or down: try again later, or set FUNDWATCH_PORTAL_TIMEOUT"
    return FundwatchError(error.message, hint)


def _json(response: httpx.Response, where: str) -> Any:
    """The answer's JSON; an HTML page or anything else is an error saying what came back."""
    body = response.content
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    start = body.lstrip()[:1]
    retry = "try again later; if it persists, check portal_url or FUNDWATCH_PORTAL_URL"
    if kind in ("text/html", "application/xhtml+xml") or start == b"<":
        title = _html_title(body)
        what = f" ({title})" if title else ""
        raise FundwatchError(f"{where} answered an HTML page{what}, not JSON", hint=retry)
    if not body.strip():
        raise FundwatchError(f"{where} answered with an empty body, not JSON", hint=retry)
    try:
        data = json.loads(body)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # no lone surrogate ("\ud800")
        return data
    except UnicodeEncodeError:
        said = "a lone surrogate, half of a character"
    except json.JSONDecodeError as exc:
        said = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError as exc:  # not UTF-8 or -16 or -32
        said = str(exc).split(":")[0]
    except RecursionError:
        said = "nested too deeply"
    shown = kind or "no content type"
    raise FundwatchError(
        f"{where} answered invalid JSON ({shown}: {said}; it begins {_snippet(body)})", hint=retry
    )


def _html_title(body: bytes) -> str:
    found = re.search(rb"<title[^>]*>(.*?)</title", body[:4096], re.IGNORECASE | re.DOTALL)
    if not found:
        return ""
    text = " ".join(found[1].decode("utf-8", "replace").split())
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return f"'{text}'" if len(text) <= 60 else f"'{text[:59]}…'"


def _snippet(body: bytes) -> str:
    text = " ".join(body[:200].decode("utf-8", "replace").split())
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:39]}…'"
