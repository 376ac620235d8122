"""A real HTTP server on 127.0.0.1 for tests of what fundwatch sends over the network.

It records every request and answers from the test's script (the last answer
repeats), or, when ``respond`` is set, from that function (``Portal`` is one: a
stand-in for the Funding & Tenders search API over the rows of tests/fixtures).
Tests get one from the ``server`` fixture (conftest.py).
"""

from __future__ import annotations

import copy
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

SECRET = "SECRET123"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class Answer(NamedTuple):
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b"ok"
    delay: float = 0.0


class Seen(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def route(self) -> str:
        """The path without the query string."""
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (the last value of each)."""
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    @property
    def parts(self) -> dict[str, Part]:
        """The parts of a multipart/form-data body by name, in the order sent."""
        kind = self.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            return {}
        head = f"Content-Type: {kind}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        found: dict[str, Part] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            found[str(name)] = Part(
                part.get_filename(), part["Content-Type"], part.get_payload(decode=True) or b""
            )
        return found


class Part(NamedTuple):
    filename: str | None  # None for a plain form field
    content_type: str | None  # None when the part has no Content-Type header
    content: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.content)


class Server:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.script: list[Answer] = [Answer()]
        self.respond: Callable[[Seen], Answer] | None = None
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one write: no delayed-ACK stalls

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                )
                with recorder.lock:
                    recorder.requests.append(seen)
                    if recorder.respond is not None:
                        answer = recorder.respond(seen)
                    else:
                        answer = (
                            recorder.script.pop(0)
                            if len(recorder.script) > 1
                            else recorder.script[0]
                        )
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    headers = dict(answer.headers)
                    headers.setdefault("Content-Type", "text/plain")
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client gave up waiting
                    pass

            do_GET = do_POST  # the same recording and answering, for downloads

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = f"/hooks/T000/{SECRET}") -> str:
        return f"http://{self.host}{path}"

    def answers(self, *script: Answer | int) -> None:
        self.script = [a if isinstance(a, Answer) else Answer(a) for a in script]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def json_answer(data: Any, status: int = 200, delay: float = 0.0) -> Answer:
    return Answer(status, (("Content-Type", "application/json"),), json.dumps(data).encode(), delay)


# --- a stand-in for the portal's search API -------------------------------------------------


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def search_rows() -> list[dict[str, Any]]:
    """The result rows of tests/fixtures/sedia-search-page.json (a fresh copy)."""
    return copy.deepcopy(fixture("sedia-search-page.json")["results"])


def search_page(rows: list[dict[str, Any]], number: int = 1, size: int = 100) -> dict[str, Any]:
    """A search API answer around ``rows``, in the fixture's envelope."""
    page = fixture("sedia-search-page.json")
    page.update(results=rows, totalResults=len(rows), pageNumber=number, pageSize=size)
    return page


def _values(row: dict[str, Any], field: str) -> list[str]:
    value = row.get("metadata", row).get(field)
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if v is not None]


class Portal:
    """``server.respond = Portal(rows)``: answers like the search API (§1.3 of
    portal-format.md): 500 ``{"type":"throwable"}`` unless query, languages and sort are
    JSON file parts; the ``text`` parameter (every word in the title, identifiers, call
    title, keywords, tags or description; ``***`` everything); ``terms``/``term`` filters
    on metadata (type, status, frameworkProgramme, identifier...; dates are not
    filtered, as on the portal); sorted; paged by pageSize and pageNumber, with
    ``totalResults``. ``delay`` seconds per request. ``add(row)`` publishes a topic
    between two requests."""

    def __init__(self, rows: list[dict[str, Any]] | None = None, delay: float = 0.0) -> None:
        self.rows = rows if rows is not None else search_rows()
        self.delay = delay

    def __call__(self, seen: Seen) -> Answer:
        params, parts = seen.query, seen.parts
        if seen.query.get("apiKey") != "SEDIA" or "text" not in params:
            return json_answer({"type": "businessError", "message": "bad parameters"}, 400)
        for name in ("query", "languages", "sort"):
            part = parts.get(name)
            if part is None or part.filename is None or part.content_type != "application/json":
                return json_answer({"type": "throwable"}, 500)
        query, sort = parts["query"].json, parts["sort"].json
        words = _words(params["text"])
        rows = [r for r in self.rows if self._matches(r, query) and _has_words(r, words)]
        rows.sort(
            key=lambda r: (_values(r, sort["field"]) or [""])[0],
            reverse=sort.get("order") == "DESC",
        )
        size, number = int(params["pageSize"]), int(params["pageNumber"])
        page = search_page(rows[(number - 1) * size : number * size], number, size)
        page["totalResults"] = len(rows)
        return json_answer(page, delay=self.delay)

    def add(self, *rows: dict[str, Any]) -> None:
        """Rows the portal publishes from now on (a test adds one between two syncs)."""
        self.rows = [*self.rows, *rows]  # one assignment: a request sees all or none

    @staticmethod
    def _matches(row: dict[str, Any], query: dict[str, Any]) -> bool:
        for clause in query.get("bool", {}).get("must", []):
            ((kind, condition),) = clause.items()
            ((field, wanted),) = condition.items()
            wanted = wanted if kind == "terms" else [wanted]
            if not set(_values(row, field)) & {str(w) for w in wanted}:
                return False
        return True


_TEXT_FIELDS = ("identifier", "callIdentifier", "title", "callTitle", "keywords", "tags",
                "descriptionByte", "description", "projectAcronym", "projectName")  # fmt: skip


def _words(text: str) -> list[str]:
    """The words of the ``text`` parameter; none for ``***`` (everything)."""
    return [] if text.strip() in ("", "***") else re.findall(r"\w+", text.casefold())


def _has_words(row: dict[str, Any], words: list[str]) -> bool:
    if not words:
        return True
    parts = [row.get("summary") or ""]
    for field in _TEXT_FIELDS:
        parts += _values(row, field)
    haystack = "\n".join(parts).casefold()
    return all(w in haystack for w in words)


def _when(day: str, at: str = "00:00") -> str:
    return f"{day}T{at}:00.000+0000"


def topic_row(
    identifier: str,
    title: str,
    opens: str,
    deadlines: list[str],
    *,
    status: str = "31094502",
    programme: str = "43108390",
    keywords: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A current grant topic (type 1) in the shape of the fixture's rows; dates
    ``YYYY-MM-DD`` (the portal's midnight +0000)."""
    return {
        "reference": f"{zlib.crc32(identifier.encode()) % 10**8}TOPICSen",
        "url": f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen"
        f"/opportunities/topic-details/{identifier}",
        "title": None,
        "summary": title,
        "databaseLabel": "SEDIA",
        "metadata": {
            "identifier": [identifier],
            "callIdentifier": [identifier.rsplit("-", 1)[0]],
            "title": [title],
            "type": ["1"],
            "status": [status],
            "frameworkProgramme": [programme],
            "startDate": [_when(opens)],
            "deadlineDate": [_when(d) for d in deadlines],
            "deadlineModel": ["single-stage" if len(deadlines) == 1 else "multiple cut-off"],
            "keywords": list(keywords),
            "descriptionByte": [f"<p>{title}</p>"],
            "DATASOURCE": ["SEDIA"],
        },
    }


def cascade_row(
    call_identifier: str,
    title: str,
    opens: str,
    deadline: str,
    *,
    status: str = "31094502",
    project: str = "SMARTFACT",
) -> dict[str, Any]:
    """A cascade-funding call (type 8, "competitive call") as the portal sends it: no
    ``identifier`` (the call's own id stands for it), a deadline as a real UTC instant
    (``deadline`` is ``YYYY-MM-DDTHH:MM`` in UTC), a budget as a plain number."""
    ccm = str(zlib.crc32(call_identifier.encode()) % 10**8)
    day, at = deadline.split("T")
    return {
        "reference": f"{ccm}COMPETITIVE_CALLen",
        "url": f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen"
        f"/opportunities/competitive-calls-cs/{ccm}",
        "summary": title,
        "databaseLabel": "SEDIA",
        "metadata": {
            "callIdentifier": [call_identifier],
            "callccm2Id": [ccm],
            "title": [title],
            "type": ["8"],
            "status": [status],
            "startDate": [_when(opens)],
            "deadlineDate": [_when(day, at)],
            "projectAcronym": [project],
            "projectName": [f"{project} project"],
            "budget": ["60000"],
            "currency": ["EUR"],
            "description": [f"<p>{title}</p>"],
            "DATASOURCE": ["SEDIA"],
        },
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
