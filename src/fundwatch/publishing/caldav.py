"""`publish URL`: a CalDAV calendar collection kept in step with the watchlist.

httpx and three WebDAV verbs (PROPFIND, PUT, DELETE), no CalDAV library: the `caldav`
package (3.6) brings 15 more packages (lxml, niquests, dnspython, PyYAML...), 44 MB
and 0.2 s of imports, and its own HTTP stack beside net.py's timeouts, retries and
one-line errors; what fundwatch needs is one listing and one request per change.

- One resource per event, named after its UID (``alpha/stage-1@fundwatch`` ->
  ``alpha~stage-1@fundwatch.ics``: a slash cannot be in a name, a tilde is in no id).
- Created with ``If-None-Match: *``, changed with ``If-Match: <the ETag we wrote>``:
  an event someone changed on the server answers 412 and is reported, not
  overwritten (unless ``force``). Cancelled events are updated to STATUS:CANCELLED;
  once their record is gone (90 days), the resource is deleted.
- Only resources of our UIDs are touched (those of the calendar bookkeeping and of
  this run): a colleague's events in the same calendar stay as they are.
- What was written (ETag and digest per UID) is kept in the watchlist's calendar
  bookkeeping for this collection, so that a run with nothing changed sends one
  PROPFIND and nothing else.
- XML answers are read with ElementTree after refusing any DOCTYPE (no entity
  expansion, nothing fetched).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from fundwatch.domain.errors import BadValue, FundwatchError, UsageProblem

if TYPE_CHECKING:
    import httpx

USER_ENV = "FUNDWATCH_CALDAV_USER"
PASSWORD_ENV = "FUNDWATCH_CALDAV_PASSWORD"
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
MAX_LISTING = 64 * 1024 * 1024  # a listing of 100,000 events is ~30 MB
PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getetag/></d:prop></d:propfind>\n'
)
WHAT = "CalDAV server"
BUDGET = 120.0  # seconds for one request, retries included (a listing of 100,000 events)


class Written(NamedTuple):
    """What we last wrote to one resource."""

    etag: str  # as the server gave it ("" when it gave none)
    digest: str  # of the bytes we sent

    def dumps(self) -> str:
        return f"{self.digest} {self.etag}"

    @classmethod
    def loads(cls, text: Any) -> Written | None:
        if not isinstance(text, str) or " " not in text:
            return None
        digest, etag = text.split(" ", 1)
        return cls(etag, digest)


class Outcome:
    """What a run did (or, dry, would do)."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.updated: list[str] = []
        self.cancelled: list[str] = []
        self.unchanged: list[str] = []
        self.deleted: list[str] = []
        self.conflicts: list[str] = []
        self.foreign: list[str] = []  # on the server with our UID, not written from here
        self.requests = 0

    def line(self) -> str:
        text = (
            f"created {len(self.created)}, updated {len(self.updated)}, "
            f"cancelled {len(self.cancelled)}, unchanged {len(self.unchanged)}"
        )
        if self.deleted:
            text += f", deleted {len(self.deleted)}"
        if self.conflicts:
            text += f", changed on the server {len(self.conflicts)}"
        if self.foreign:
            text += f", not ours {len(self.foreign)}"
        return text

    def record(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "cancelled": len(self.cancelled),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "conflicts": sorted(self.conflicts),
            "foreign": sorted(self.foreign),
            "requests": self.requests,
        }


# --- addresses and credentials ---------------------------------------------------------------


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def collection_url(target: str) -> str:
    """The collection's address, with its final slash; credentials in it are refused."""
    from fundwatch.net import check_url

    check_url(target, "CalDAV URL")
    parts = urlsplit(target.strip())
    if parts.username is not None or parts.password is not None:
        raise UsageProblem(
            "the CalDAV URL must not carry a user or password",
            hint=f"set {USER_ENV} and {PASSWORD_ENV}, or put them in ~/.netrc",
        )
    if parts.query or parts.fragment:
        raise BadValue("the CalDAV URL has a query or fragment", hint="give the calendar's address")
    # one spelling per collection: its bookkeeping is kept under this address
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def credentials(url: str) -> tuple[str, str] | None:
    """``FUNDWATCH_CALDAV_USER``/``FUNDWATCH_CALDAV_PASSWORD``, else ~/.netrc's entry for
    the host (``machine cloud.example login ... password ...``), else none."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user and password is not None:
        return user, password
    if user or password:
        raise FundwatchError(
            f"{USER_ENV} and {PASSWORD_ENV} go together", hint="set both, or neither"
        )
    import netrc

    try:
        found = netrc.netrc().authenticators(urlsplit(url).hostname or "")
    except FileNotFoundError:
        return None
    except (netrc.NetrcParseError, OSError) as exc:
        where = getattr(exc, "filename", None) or "~/.netrc"
        raise FundwatchError(f"{where} cannot be read", hint="check its syntax") from None
    if found is None:
        return None
    login, _, password = found
    return (login or "", password or "")


def login(user: str, password: str) -> httpx.Auth:
    """Basic, sent at once (Nextcloud, Radicale, SOGo, iCloud); for a server that asks
    for Digest instead (Baïkal by default), httpx's Digest from its first 401 on."""
    import httpx

    class BasicOrDigest(httpx.Auth):
        def __init__(self) -> None:
            self.digest: httpx.DigestAuth | None = None

        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
            if self.digest is None:
                request = next(httpx.BasicAuth(user, password).auth_flow(request))
                response = yield request
                challenges = response.headers.get_list("www-authenticate")
                if response.status_code != 401 or not any(
                    c.lower().startswith("digest ") for c in challenges
                ):
                    return
                self.digest = httpx.DigestAuth(user, password)
                del request.headers["Authorization"]
            yield from self.digest.auth_flow(request)

    return BasicOrDigest()


def resource_name(uid: str) -> str:
    return quote(uid.replace("/", "~"), safe="@~-._") + ".ics"


def uid_of(name: str) -> str | None:
    name = unquote(name)
    if not name.endswith("@fundwatch.ics"):
        return None
    return name[: -len(".ics")].replace("~", "/")


# --- talking to the server -------------------------------------------------------------------


class Server:
    """One collection on one server: the requests, counted, and their failures as one
    line naming the host only."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client = client
        self.url = url
        self.requests = 0

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        cap: int = 1024 * 1024,
    ) -> httpx.Response:
        """The answer, read up to ``cap`` bytes (a bigger one is an error), within
        ``BUDGET`` seconds (net.fetch)."""
        from fundwatch import net

        self.requests += 1
        try:
            return net.fetch(
                self.client, method, url, what=WHAT, limit=cap, budget=BUDGET,
                headers=dict(headers), content=body,
            )  # fmt: skip
        except Exception as exc:
            import httpx

            if isinstance(exc, httpx.HTTPError | httpx.InvalidURL):
                raise net.failure(exc, url, what=WHAT) from None
            raise

    def fail(self, response: httpx.Response, doing: str) -> FundwatchError:
        from fundwatch import net

        where = f"{WHAT} at {net.host(self.url)}"
        status = response.status_code
        if status == 401:
            return FundwatchError(
                f"{where} did not accept the user name or password (401) {doing}",
                hint=f"set {USER_ENV} and {PASSWORD_ENV}, or an entry in ~/.netrc",
            )
        if status == 403:
            return FundwatchError(
                f"{where} does not let this user write the calendar (403) {doing}",
                hint="check the calendar's sharing, or use its owner's account",
            )
        if status == 404:
            return FundwatchError(
                f"{where} has no calendar at that address (404) {doing}",
                hint="give the calendar collection's URL, ending with the calendar's name and /",
            )
        failure = net.failure(response, self.url, what=WHAT)
        return FundwatchError(f"{failure.message} {doing}", hint=None)

    def listing(self) -> dict[str, str]:
        """The collection's resources: name -> ETag; an error unless it is a calendar."""
        from fundwatch import net

        response = self.request(
            "PROPFIND",
            self.url,
            {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            PROPFIND_BODY,
            cap=MAX_LISTING,
        )
        where = f"{net.host(self.url)}"
        if response.status_code in (401, 403, 404):
            raise self.fail(response, "when listing the calendar")
        if 300 <= response.status_code < 400:
            raise FundwatchError(
                f"{WHAT} at {where} redirects that address ({response.status_code})",
                hint="give the calendar's final URL (https, and the full path ending with /)",
            )
        if response.status_code != 207:
            if response.status_code in (200, 405, 501):
                raise FundwatchError(
                    f"{where} is not a CalDAV server: PROPFIND answered "
                    f"{response.status_code} {response.reason_phrase}".rstrip(),
                    hint="give the calendar collection's URL (Nextcloud: "
                    "https://HOST/remote.php/dav/calendars/USER/CALENDAR/)",
                )
            raise self.fail(response, "when listing the calendar")
        return parse_listing(response.content, self.url, where)

    def put(self, name: str, body: bytes, match: str | None) -> tuple[int, str]:
        """PUT a resource, creating (``match`` None) or replacing the version ``match``;
        the status, and the new ETag ("" when the server gives none)."""
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if match is None:
            headers["If-None-Match"] = "*"
        elif match != "*":
            headers["If-Match"] = match
        response = self.request("PUT", self.url + name, headers, body)
        if response.status_code == 412:
            return 412, ""
        if response.status_code not in (200, 201, 204):
            raise self.fail(response, "when writing an event")
        return response.status_code, response.headers.get("ETag", "")

    def delete(self, name: str, match: str | None) -> int:
        headers = {"If-Match": match} if match else {}
        response = self.request("DELETE", self.url + name, headers)
        if response.status_code in (404, 410, 412):
            return response.status_code
        if response.status_code not in (200, 204):
            raise self.fail(response, "when deleting an event")
        return response.status_code


def safe_xml(data: bytes, where: str) -> Any:
    """The document's root; a DOCTYPE (and so any entity) is refused, not expanded."""
    import xml.etree.ElementTree as ET

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise FundwatchError(f"{where} answered XML with a DOCTYPE, which fundwatch refuses")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise FundwatchError(
            f"{where} is not a CalDAV server: its answer is not XML ({exc})"
        ) from None


def parse_listing(data: bytes, url: str, where: str) -> dict[str, str]:
    root = safe_xml(data, where)
    base = unquote(urlsplit(url).path).rstrip("/")
    found: dict[str, str] = {}
    calendar = False
    for response in root.iter(f"{DAV}response"):
        href = response.findtext(f"{DAV}href") or ""
        path = unquote(urlsplit(href.strip()).path).rstrip("/")
        etag = ""
        collection = False
        for propstat in response.iter(f"{DAV}propstat"):
            status = propstat.findtext(f"{DAV}status") or ""
            if " 200 " not in f"{status} ":
                continue
            for prop in propstat.iter(f"{DAV}prop"):
                etag = prop.findtext(f"{DAV}getetag") or etag
                kind = prop.find(f"{DAV}resourcetype")
                if kind is not None and kind.find(f"{DAV}collection") is not None:
                    collection = True
                    calendar = calendar or (
                        path == base and kind.find(f"{CALDAV}calendar") is not None
                    )
        if path == base or collection:
            continue
        parent, _, name = path.rpartition("/")
        if parent == base and name:
            found[name] = etag.strip()
    if not calendar:
        raise FundwatchError(
            f"{where}: that address is not a CalDAV calendar collection",
            hint="give a calendar's URL (Nextcloud: "
            "https://HOST/remote.php/dav/calendars/USER/CALENDAR/; Radicale: "
            "http://HOST:5232/USER/CALENDAR/)",
        )
    return found


# --- keeping the collection in step ----------------------------------------------------------


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.blake2b(data, digest_size=8).hexdigest()


def sync(
    server: Server,
    resources: Mapping[str, tuple[bytes, bool]],
    state: dict[str, Written],
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Bring the collection in step with ``resources`` (UID -> calendar bytes, whether
    cancelled); ``state`` (UID -> what we wrote) is brought up to date as we go, so
    that a run that fails half way still records what it did."""
    outcome = Outcome()
    listing = server.listing()
    done = 0
    for uid, (body, cancelled) in resources.items():
        name = resource_name(uid)
        mark = digest(body)
        there = listing.get(name)
        was = state.get(uid)
        if there is None:
            if cancelled:  # nothing to cancel there: never written, or deleted by someone
                state.pop(uid, None)
                continue
            if not dry_run:
                status, etag = server.put(name, body, None)
                if status == 412:  # made meanwhile by someone else
                    outcome.conflicts.append(uid)
                    continue
                state[uid] = Written(etag, mark)
            outcome.created.append(uid)
        elif was is None and not force:
            # there, but not written from this watchlist: another watchlist publishing
            # the same call to this calendar (or a bookkeeping lost): left alone
            if not cancelled:
                outcome.foreign.append(uid)
            continue
        elif was is not None and was.digest == mark and (was.etag in (there, "") or not force):
            # nothing new from us; one someone changed on the server stays theirs until
            # we change it too (then 412, reported) or ``force``: no PUT bound to fail
            if not was.etag and not dry_run:
                state[uid] = Written(there, mark)  # the server gave no ETag when we wrote
            outcome.unchanged.append(uid)
        else:
            # ours, changed by us: replace the version we wrote; with ``force``, one we
            # never wrote (another watchlist's, a bookkeeping lost) is taken over
            match = there if (force or was is None or not was.etag) else was.etag
            if not dry_run:
                status, etag = server.put(name, body, match)
                if status == 412:
                    outcome.conflicts.append(uid)
                    continue
                state[uid] = Written(etag, mark)
            (outcome.cancelled if cancelled else outcome.updated).append(uid)
        done += 1
        if progress is not None:
            progress(done)
    for uid in sorted(set(state) - set(resources)):
        name = resource_name(uid)
        there = listing.get(name)
        if there is None:
            if not dry_run:
                del state[uid]
            continue
        if not dry_run:
            was = state[uid]
            match = there if (force or not was.etag) else was.etag
            if server.delete(name, match) == 412:
                outcome.conflicts.append(uid)
                continue
            del state[uid]
        outcome.deleted.append(uid)
    outcome.requests = server.requests
    return outcome


# --- the state in the watchlist's bookkeeping --------------------------------------------------


def state_of(extra: Mapping[str, Any], url: str) -> dict[str, Written]:
    """What this watchlist wrote to the collection at ``url`` (``[calendar.caldav."URL"]``)."""
    from fundwatch.output.ledger import TABLE, records

    return records(extra, (TABLE, "caldav", url), Written.loads)


def store_state(extra: dict[str, Any], url: str, state: Mapping[str, Written]) -> None:
    from fundwatch.output.ledger import TABLE, store_records

    store_records(extra, (TABLE, "caldav", url), state)
