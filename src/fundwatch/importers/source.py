"""The bytes of an import source (a path, a URL, standard input) and their format."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from fundwatch.domain.errors import FundwatchError

MAX_BYTES = 50 * 1024 * 1024
EXTENSIONS = {
    ".ics": "ics", ".ical": "ics", ".ifb": "ics", ".icalendar": "ics",
    ".csv": "csv", ".tsv": "csv", ".tab": "csv",
    ".json": "json",
    ".toml": "toml",
}  # fmt: skip
CONTENT_TYPES = {
    "text/calendar": "ics",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/json": "json",
    "application/toml": "toml",
}


class Source(NamedTuple):
    name: str  # for messages: the file's name, the URL's host, "standard input"
    data: bytes
    format: str


# --- reading the source ------------------------------------------------------------------


def read_source(source: str, fmt: str | None, timeout: float) -> Source:
    """The bytes of a path, an http(s) URL or ``-`` (standard input), and their format."""
    import sys

    kind = None
    if source == "-":
        name, data = "standard input", sys.stdin.buffer.read(MAX_BYTES + 1)
    elif source.lower().startswith(("http://", "https://", "webcal://")):
        name, data, kind = _fetch(source, timeout)
    else:
        name, data = Path(source).name, _read_file(Path(source))
    if len(data) > MAX_BYTES:
        raise FundwatchError(f"{name} is larger than {MAX_BYTES // 2**20} MiB")
    if fmt is None:
        fmt = _format_of(source if source != "-" else "", kind, data, name)
    return Source(name, data, fmt)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise FundwatchError(f"no file {path}") from None
    except IsADirectoryError:
        raise FundwatchError(f"{path} is a folder, not a file to import") from None
    except OSError as exc:
        raise FundwatchError(f"cannot read {path}: {exc.strerror}") from None


def _fetch(url: str, timeout: float) -> tuple[str, bytes, str | None]:
    """GET ``url`` (webcal:// is https://); errors name the host only, as URLs of
    private calendar feeds carry a secret."""
    import httpx

    from fundwatch import net

    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    net.check_url(url, "import URL")
    line = net.Progress(f"Fetching from {net.host(url)}…", enabled=True)
    try:
        # a URL that moves is followed: calendar feeds do
        with net.client(timeout=timeout) as http:
            response = net.fetch(http, "GET", url, what="server", limit=MAX_BYTES,
                                 budget=timeout, follow_redirects=True)  # fmt: skip
        # what a server says may quote the URL it was asked, the last of a redirect
        seen = [url, *(str(r.url) for r in response.history), str(response.url)]
        if response.status_code >= 300:
            message = net.failure(response, url).message
            for each in seen:
                message = net.redact(message, each)
            raise FundwatchError(message, hint="check the URL") from None
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except net.TooBig:
        raise FundwatchError(f"{net.host(url)} is larger than {MAX_BYTES // 2**20} MiB") from None
    except httpx.HTTPError as exc:
        raise net.failure(exc, url) from None
    finally:
        line.close()
    data = response.content
    if kind in ("text/html", "application/xhtml+xml") or data.lstrip()[:14].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        raise FundwatchError(
            f"server at {net.host(url)} answered a web page, not a file to import",
            hint="a login page? use the calendar's or the file's own address (its export link)",
        )
    return net.host(url), data, kind or None


def _format_of(path: str, content_type: str | None, data: bytes, name: str) -> str:
    """From the extension, else the content type, else the content itself."""
    from urllib.parse import urlsplit

    suffix = Path(urlsplit(path).path if "://" in path else path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if content_type in CONTENT_TYPES:
        return CONTENT_TYPES[content_type]
    _check_text(data, name)  # the whole is decoded once, when it is read
    head = data[:8192].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if head.upper().startswith("BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(("[", "{")):
        return "json"
    first = head.split("\n", 1)[0].strip()
    if first.startswith("[") or (
        "=" in first and first.split("=", 1)[0].strip().replace("_", "").isalnum()
    ):
        return "toml"
    return "csv"


def _check_text(data: bytes, name: str) -> None:
    """A workbook or a binary file is an error; UTF-16 (with its BOM) is text."""
    if data.startswith(b"PK\x03\x04"):
        raise FundwatchError(
            f"{name} is a spreadsheet workbook (.xlsx or .ods), not text",
            hint="save it as CSV from your spreadsheet (File > Save as > CSV), then import that",
        )
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FundwatchError(f"{name} is not a text file", hint="import a CSV, ICS, JSON or TOML")


def decode(data: bytes, name: str) -> str:
    """Text from bytes as spreadsheets and calendars save it: UTF-8 (with or without a
    BOM), UTF-16 with a BOM (Excel's "Unicode text"), else Windows-1252 (Excel's
    "CSV" on a European Windows). A binary file is an error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    _check_text(data, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FundwatchError(
            f"{name} is neither UTF-8 nor Windows-1252 text", hint="save it as UTF-8"
        ) from None
