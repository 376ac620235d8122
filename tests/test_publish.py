"""`fundwatch publish`: a folder served to a real subscriber (vdirsyncer), and a CalDAV
calendar on a real Radicale server, read back by an independent client (plain HTTP
REPORT parsed with icalendar) and counted in Radicale's own log."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree as ET

import httpx
import icalendar
import pytest

USER, PASSWORD = "alice", "s3cret-Pa55"
OTHER = "bob"

WATCHLIST = """\
version = 1

[[calls]]
id = "alpha"
title = "Alpha call"
url = "https://example.org/alpha?a=1&b=<2>"
timezone = "Europe/Brussels"
deadlines = [
  { at = 2026-03-04T17:00:00, label = "Stage 1" },
  { at = 2026-06-04T17:00:00, label = "Stage 2" },
]

[[calls]]
id = "beta"
title = "Beta <b>call</b>"
timezone = "Europe/Brussels"
deadline = 2026-02-01
"""

DAY0 = "2026-01-05"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], limit: float = 20.0) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server ended with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)  # a readiness poll, not a wait for time to pass
    raise RuntimeError("the server did not start")


class Radicale(NamedTuple):
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calendar(self, owner: str = USER) -> str:
        """A new, empty calendar collection of its own for one test."""
        url = f"{self.base}/{owner}/{uuid.uuid4().hex[:8]}/"
        r = httpx.request("MKCALENDAR", url, auth=(owner, PASSWORD))
        assert r.status_code == 201, r.text
        return url

    def counts(self) -> dict[str, int]:
        """Requests by method, as Radicale logged them."""
        found: dict[str, int] = {}
        for method in re.findall(r"\b([A-Z]+) request for ", self.log.read_text()):
            found[method] = found.get(method, 0) + 1
        return found


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """Radicale on 127.0.0.1 (free port, temporary storage, plain htpasswd users)."""
    pytest.importorskip("radicale")
    folder = tmp_path_factory.mktemp("radicale")
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n{OTHER}:{PASSWORD}\n")
    port = free_port()
    (folder / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {folder / 'users'}\n"
        "htpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n"
        "[rights]\ntype = owner_only\n[web]\ntype = none\n[logging]\nlevel = info\n"
    )
    log = folder / "log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(folder / "config")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("RADICALE")},
        )
    try:
        wait_for_port(port, proc)
        yield Radicale(port, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def report(url: str, user: str = USER) -> dict[str, icalendar.Event]:
    """Every event in the collection, by UID, read with a plain REPORT calendar-query."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/>'
        "</c:comp-filter></c:filter></c:calendar-query>"
    )
    r = httpx.request(
        "REPORT", url, content=body, auth=(user, PASSWORD),
        headers={"Depth": "1", "Content-Type": "application/xml"},
    )  # fmt: skip
    assert r.status_code == 207, r.text
    events = {}
    for data in ET.fromstring(r.content).iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
        cal = icalendar.Calendar.from_ical(data.text or "")
        assert "METHOD" not in cal  # RFC 4791 4.1
        (event,) = cal.walk("VEVENT")
        events[str(event["UID"])] = event
    return events


def start(event: icalendar.Event) -> date | datetime:
    return event.decoded("DTSTART")  # type: ignore[no-any-return]


def publish_json(fw: Any, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    r = fw("publish", *args, "--format", "json", env=env)
    assert r.code == 0, r.err
    return json.loads(r.out)  # type: ignore[no-any-return]


FOREIGN = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//colleague//EN\r\nBEGIN:VEVENT\r\n"
    "UID:team-lunch-42@example.org\r\nDTSTAMP:20251201T120000Z\r\n"
    "DTSTART:20260303T110000Z\r\nSUMMARY:Team lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


# --- CalDAV ---------------------------------------------------------------------------------


def test_caldav_publish_edit_remove_expire(fw, fw_env, watchlist, radicale):
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    url = radicale.calendar()
    auth = {"FUNDWATCH_CALDAV_USER": USER, "FUNDWATCH_CALDAV_PASSWORD": PASSWORD}
    r = httpx.put(url + "lunch.ics", content=FOREIGN, auth=(USER, PASSWORD))
    assert r.status_code == 201  # a colleague's event, in the same calendar
    lunch = r.headers["ETag"]

    first = publish_json(fw, url, "--as-of", DAY0, env=auth)
    assert first | {"requests": 0} == {
        "dry_run": False, "created": 3, "updated": 0, "cancelled": 0, "unchanged": 0,
        "deleted": 0, "conflicts": [], "foreign": [], "requests": 0,
    }  # fmt: skip
    assert first["requests"] == 4  # one listing, three PUTs
    events = report(url)
    assert set(events) == {
        "alpha/stage-1@fundwatch", "alpha/stage-2@fundwatch", "beta/deadline-1@fundwatch",
        "team-lunch-42@example.org",
    }  # fmt: skip
    assert start(events["alpha/stage-1@fundwatch"]) == utc(2026, 3, 4, 16)  # 17:00 Brussels
    assert start(events["alpha/stage-2@fundwatch"]) == utc(2026, 6, 4, 15)  # summer time
    assert start(events["beta/deadline-1@fundwatch"]) == date(2026, 2, 1)
    assert str(events["beta/deadline-1@fundwatch"]["SUMMARY"]) == "Deadline: Beta <b>call</b>"

    # a second run with nothing changed: one PROPFIND, nothing else (Radicale's own count)
    before = radicale.counts()
    again = publish_json(fw, url, "--as-of", DAY0, env=auth)
    assert (again["unchanged"], again["requests"]) == (3, 1)
    after = radicale.counts()
    assert {k: after.get(k, 0) - before.get(k, 0) for k in after} == {
        **dict.fromkeys(after, 0), "PROPFIND": 1,
    }  # fmt: skip

    # move a deadline (and rename the call): the same UIDs, the new instant, SEQUENCE up
    r = fw("edit", "alpha", "--id", "alpha-2026", "-d", "Stage 1=11/03/2026 17:00",
           "-d", "Stage 2=04/06/2026 17:00", "--as-of", DAY0)  # fmt: skip
    assert r.code == 0, r.err
    moved = publish_json(fw, url, "--as-of", DAY0, env=auth)
    assert (moved["created"], moved["updated"], moved["unchanged"]) == (0, 2, 1)
    events = report(url)
    stage1 = events["alpha/stage-1@fundwatch"]
    assert start(stage1) == utc(2026, 3, 11, 16)
    assert int(stage1["SEQUENCE"]) > 0

    # remove a call: its event is cancelled, SEQUENCE raised; the colleague's stays
    assert fw("remove", "beta", "--yes").code == 0
    dry = fw("publish", url, "--as-of", "2026-01-06", "--dry-run", env=auth)
    assert dry.code == 0 and dry.out.startswith("dry run, nothing sent: would have ")
    assert "cancelled 1" in dry.out
    assert report(url)["beta/deadline-1@fundwatch"].get("STATUS") is None  # nothing sent
    gone = publish_json(fw, url, "--as-of", "2026-01-06", env=auth)
    assert (gone["cancelled"], gone["unchanged"]) == (1, 2)
    events = report(url)
    beta = events["beta/deadline-1@fundwatch"]
    assert str(beta["STATUS"]) == "CANCELLED"
    assert int(beta["SEQUENCE"]) == 1 and start(beta) == date(2026, 2, 1)
    assert str(events["team-lunch-42@example.org"]["SUMMARY"]) == "Team lunch"

    # 90 days later the cancellation is still there; on day 91 it is deleted
    kept = publish_json(fw, url, "--as-of", "2026-04-06", env=auth)
    assert (kept["deleted"], kept["unchanged"]) == (0, 3)
    expired = publish_json(fw, url, "--as-of", "2026-04-07", env=auth)
    assert (expired["deleted"], expired["unchanged"]) == (1, 2)
    events = report(url)
    assert set(events) == {
        "alpha/stage-1@fundwatch", "alpha/stage-2@fundwatch", "team-lunch-42@example.org",
    }  # fmt: skip
    assert httpx.get(url + "lunch.ics", auth=(USER, PASSWORD)).headers["ETag"] == lunch


def test_caldav_conflicts_errors_and_netrc(fw, fw_env, watchlist, radicale):
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    url = radicale.calendar()
    home = Path(fw_env["HOME"])
    home.mkdir(exist_ok=True)
    netrc = home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    first = fw("publish", url, "--as-of", DAY0)
    assert first.code == 0, first.err
    assert first.out == "created 3, updated 0, cancelled 0, unchanged 0\n"

    # someone changes our event on the server, and we change it too: 412, not overwritten
    name = url + "alpha~stage-1@fundwatch.ics"
    theirs = httpx.get(name, auth=(USER, PASSWORD)).text.replace(
        "SUMMARY:Deadline: Alpha call (Stage 1)", "SUMMARY:Moved by Bob"
    )
    assert httpx.put(name, content=theirs, auth=(USER, PASSWORD)).status_code in (201, 204)
    assert fw("edit", "alpha", "--title", "Alpha call, new title").code == 0
    r = fw("publish", url, "--as-of", DAY0)
    assert r.code == 1
    assert r.out == "created 0, updated 1, cancelled 0, unchanged 1, changed on the server 1\n"
    assert r.err.count("\n") == 1 and "(412)" in r.err and "--force" in r.err
    assert "alpha/stage-1@fundwatch" in r.err
    assert str(report(url)["alpha/stage-1@fundwatch"]["SUMMARY"]) == "Moved by Bob"
    forced = fw("publish", url, "--as-of", DAY0, "--force")
    assert forced.out == "created 0, updated 1, cancelled 0, unchanged 2\n", forced.err
    summary = str(report(url)["alpha/stage-1@fundwatch"]["SUMMARY"])
    assert summary == "Deadline: Alpha call, new title (Stage 1)"

    # each failure one line, exit 1, the host only
    wrong = {"FUNDWATCH_CALDAV_USER": USER, "FUNDWATCH_CALDAV_PASSWORD": "nope-Nope"}
    for target, env, expected in [
        (url, wrong, "did not accept the user name or password (401)"),
        (radicale.base + f"/{USER}/no-such-calendar/", {}, "(404)"),
        (radicale.calendar(OTHER), {}, "(403)"),
        (radicale.base + f"/{USER}/", {}, "not a CalDAV calendar collection"),
    ]:
        r = fw("publish", target, "--as-of", DAY0, env=env)
        assert r.code == 1 and r.out == "", r.out
        assert r.err.count("\n") == 1 and expected in r.err, r.err
        assert f"at 127.0.0.1:{radicale.port} " in r.err or r.err.startswith(
            f"error: 127.0.0.1:{radicale.port}: "
        )
        assert f"/{USER}/" not in r.err and f"/{OTHER}/" not in r.err  # the host only
        assert PASSWORD not in r.err and "Nope" not in r.err and "no-such" not in r.err
    r = fw("publish", f"http://{USER}:{PASSWORD}@127.0.0.1:{radicale.port}/{USER}/x/")
    assert r.code == 2 and PASSWORD not in r.err + r.out


def test_caldav_two_watchlists_leave_each_others_events_alone(fw, fw_env, watchlist, radicale):
    """Bob publishes the same call (the same UIDs) from his own watchlist into Alice's
    calendar: he neither overwrites her event nor, removing the call, cancels it."""
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    bob = watchlist.with_name("bob.toml")
    bob.write_text(WATCHLIST.replace('title = "Alpha call"', 'title = "Bob alpha"'))
    url = radicale.calendar()
    auth = {"FUNDWATCH_CALDAV_USER": USER, "FUNDWATCH_CALDAV_PASSWORD": PASSWORD}
    assert publish_json(fw, url, "--as-of", DAY0, env=auth)["created"] == 3
    theirs = fw("-f", str(bob), "publish", url, "--as-of", DAY0, "--format", "json", env=auth)
    assert theirs.code == 1 and "not written from this watchlist" in theirs.err, theirs
    assert "--force" in theirs.err and theirs.err.count("\n") == 1
    assert json.loads(theirs.out)["foreign"] == [
        "alpha/stage-1@fundwatch", "alpha/stage-2@fundwatch", "beta/deadline-1@fundwatch",
    ]  # fmt: skip
    assert str(report(url)["alpha/stage-1@fundwatch"]["SUMMARY"]).endswith("Alpha call (Stage 1)")
    assert fw("-f", str(bob), "remove", "alpha", "--yes").code == 0
    fw("-f", str(bob), "publish", url, "--as-of", DAY0, env=auth)
    events = report(url)
    assert events["alpha/stage-1@fundwatch"].get("STATUS") is None  # Alice's, untouched
    again = publish_json(fw, url, "--as-of", DAY0, env=auth)
    assert (again["unchanged"], again["conflicts"]) == (3, [])
    # the same collection spelled otherwise is still ours
    spelled = "HTTP://" + url.split("://", 1)[1].rstrip("/")
    assert publish_json(fw, spelled, "--as-of", DAY0, env=auth)["unchanged"] == 3


def test_caldav_a_run_failing_half_way_records_what_it_wrote(fw, fw_env, watchlist, radicale):
    """The third PUT fails (Radicale refuses a second resource with beta's UID): the two
    events written before are recorded, so the next run finds them its own."""
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    url = radicale.calendar()
    auth = {"FUNDWATCH_CALDAV_USER": USER, "FUNDWATCH_CALDAV_PASSWORD": PASSWORD}
    squatter = FOREIGN.replace("team-lunch-42@example.org", "beta/deadline-1@fundwatch")
    assert httpx.put(url + "squat.ics", content=squatter, auth=(USER, PASSWORD)).is_success
    failed = fw("publish", url, "--as-of", DAY0, env=auth)
    assert failed.code == 1 and failed.err.count("\n") == 1, failed
    assert set(report(url)) == {
        "alpha/stage-1@fundwatch", "alpha/stage-2@fundwatch", "beta/deadline-1@fundwatch",
    }  # fmt: skip
    assert httpx.delete(url + "squat.ics", auth=(USER, PASSWORD)).is_success
    again = publish_json(fw, url, "--as-of", DAY0, env=auth)
    assert (again["created"], again["unchanged"], again["foreign"]) == (1, 2, [])


def test_caldav_an_event_a_colleague_edited_stays_theirs_while_ours_is_unchanged(
    fw, fw_env, watchlist, radicale
):
    """A colleague edits our event on the server; we changed nothing: no PUT (bound to
    412), exit 0, their version stays; --force puts ours back."""
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    url = radicale.calendar()
    auth = {"FUNDWATCH_CALDAV_USER": USER, "FUNDWATCH_CALDAV_PASSWORD": PASSWORD}
    assert publish_json(fw, url, "--as-of", DAY0, env=auth)["created"] == 3
    name = url + "alpha~stage-1@fundwatch.ics"
    theirs = httpx.get(name, auth=(USER, PASSWORD)).text.replace(
        "SUMMARY:Deadline: Alpha call (Stage 1)", "SUMMARY:Alpha with Bob's note"
    )
    assert httpx.put(name, content=theirs, auth=(USER, PASSWORD)).status_code in (201, 204)
    before = radicale.counts()
    again = publish_json(fw, url, "--as-of", DAY0, env=auth)
    assert (again["unchanged"], again["conflicts"], again["requests"]) == (3, [], 1)
    assert radicale.counts().get("PUT", 0) == before.get("PUT", 0)
    assert str(report(url)["alpha/stage-1@fundwatch"]["SUMMARY"]) == "Alpha with Bob's note"
    forced = publish_json(fw, url, "--as-of", DAY0, "--force", env=auth)
    assert (forced["updated"], forced["unchanged"]) == (1, 2)
    assert str(report(url)["alpha/stage-1@fundwatch"]["SUMMARY"]).endswith("(Stage 1)")


# --- a folder and its subscriber -----------------------------------------------------------


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The folder served over HTTP on 127.0.0.1, as any static web server would."""
    folder = tmp_path / "site"
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder
    finally:
        httpd.shutdown()
        httpd.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_PROPFIND(self) -> None:
        if self.path.startswith("/moved/"):  # as a server that moved its calendars would
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.example/dav/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:  # a plain web server knows no PROPFIND
            self.send_error(501)


def subscriber_events(folder: Path) -> dict[str, icalendar.Event]:
    """What vdirsyncer's copy holds, by SUMMARY (its http storage replaces UIDs with a
    hash of each event's content)."""
    found = {}
    for path in folder.glob("*.ics"):
        for event in icalendar.Calendar.from_ical(path.read_text()).walk("VEVENT"):
            found[str(event["SUMMARY"])] = event
    return found


def test_folder_feed_page_and_a_subscriber(fw, fw_env, watchlist, web, tmp_path):
    base, folder = web
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text('calendar_name = "Cluster <deadlines>"\n')
    r = fw("publish", str(folder), "--base-url", base, "--as-of", DAY0)
    assert r.code == 0, r.err
    webcal = f"webcal://{base.split('://')[1]}deadlines.ics"
    assert r.out.splitlines() == [
        f"Published 3 events to {folder} (deadlines.ics, deadlines.json, index.html).",
        f"Subscribe: {webcal}",
    ]
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    again = fw("publish", str(folder), "--base-url", base, "--as-of", DAY0)
    assert again.out.startswith("Published 3 events to") and "(nothing changed)" in again.out
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == files

    feed = icalendar.Calendar.from_ical(httpx.get(base + "deadlines.ics").content)
    assert str(feed["X-WR-CALNAME"]) == "Cluster <deadlines>"
    assert feed["REFRESH-INTERVAL"].to_ical() == b"PT12H"
    assert feed["X-PUBLISHED-TTL"].to_ical() == b"PT12H"
    upcoming = fw("upcoming", "--within", "365d", "--format", "json", "--as-of", DAY0)
    assert json.loads(httpx.get(base + "deadlines.json").content) == json.loads(upcoming.out)
    page = httpx.get(base + "index.html").text
    assert "<script" not in page and "src=" not in page
    assert re.findall("<link[^>]*>", page) == ['<link rel="icon" href="data:,">']  # no favicon.ico
    # the sections in order: heading, the timeline picture (inline SVG), months, footer
    order = [page.index(f'<section id="{n}">') for n in ("heading", "timeline", "months")]
    assert order == sorted(order) and "<svg" in page
    assert "Beta &lt;b&gt;call&lt;/b&gt;" in page and "<b>call" not in page
    assert f'href="{webcal}"' in page
    assert 'href="https://example.org/alpha?a=1&amp;b=%3C2%3E"' in page
    assert page.index("February 2026") < page.index("March 2026") < page.index("June 2026")
    assert "in 27 days" in page  # beta, 1 February, seen on 5 January

    # a real subscriber: vdirsyncer's http storage into a folder
    vdirsyncer = shutil.which("vdirsyncer", path=os.path.dirname(sys.executable))
    if vdirsyncer is None:
        pytest.skip("vdirsyncer is not installed (pip install -e '.[test]')")
    copy = tmp_path / "subscriber"
    copy.mkdir()
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(
        f'[general]\nstatus_path = "{tmp_path / "status"}/"\n'
        '[pair feed]\na = "remote"\nb = "local"\ncollections = null\n'
        'conflict_resolution = "a wins"\n'
        f'[storage remote]\ntype = "http"\nurl = "{base}deadlines.ics"\n'
        f'[storage local]\ntype = "filesystem"\npath = "{copy}/"\nfileext = ".ics"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_PROXY", "_proxy"))}

    def sync(*args: str) -> None:
        done = subprocess.run(
            [vdirsyncer, "-c", str(config), *args], capture_output=True, text=True, env=env,
            timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    sync("discover", "feed")
    sync("sync", "feed")
    seen = subscriber_events(copy)
    assert start(seen["Deadline: Alpha call (Stage 1)"]) == utc(2026, 3, 4, 16)
    assert seen["Deadline: Beta <b>call</b>"].get("STATUS") is None

    # the deadline moves, the call goes (by hand in the file); publish; the subscriber follows
    text = watchlist.read_text(encoding="utf-8")
    text, n = re.subn("2026-03-04[T ]17:00:00", "2026-03-18T17:00:00", text)
    assert n == 1
    beta = text.index("[[calls]]", text.index('id = "beta"') - 20)
    watchlist.write_text(text[:beta] + text[text.index("[calendar.events]") :])
    r = fw("publish", str(folder), "--as-of", "2026-01-06")
    assert r.out.startswith(f"Published 2 events and 1 cancelled to {folder} ("), r.err
    sync("sync", "feed")
    seen = subscriber_events(copy)
    assert start(seen["Deadline: Alpha call (Stage 1)"]) == utc(2026, 3, 18, 16)
    assert str(seen["Deadline: Beta <b>call</b>"]["STATUS"]) == "CANCELLED"
    # the feed itself keeps the UIDs, with SEQUENCE raised
    feed = icalendar.Calendar.from_ical(httpx.get(base + "deadlines.ics").content)
    by_uid = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(by_uid) == {
        "alpha/stage-1@fundwatch", "alpha/stage-2@fundwatch", "beta/deadline-1@fundwatch",
    }  # fmt: skip
    assert int(by_uid["alpha/stage-1@fundwatch"]["SEQUENCE"]) == 1
    assert int(by_uid["beta/deadline-1@fundwatch"]["SEQUENCE"]) == 1

    # a web server that is not CalDAV, a moved address: one line each
    r = fw("publish", base)
    assert r.code == 1 and "is not a CalDAV server" in r.err and r.err.count("\n") == 1
    r = fw("publish", base + "moved/")
    assert r.code == 1 and "redirects that address (301)" in r.err, r.err
    assert r.err.count("\n") == 1 and "elsewhere" not in r.err


def test_folder_base_url_with_a_query_is_refused(fw, fw_env, watchlist, tmp_path):
    """The feed's name goes after the folder's path: a query or fragment would make
    ``https://x/p?q=1/deadlines.ics``, a subscription address that is not the feed."""
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    for base in ("https://x.example/p?q=1", "https://x.example/p/#top"):
        r = fw("publish", str(tmp_path / "site"), "--base-url", base, "--as-of", DAY0)
        assert r.code == 2 and "query or fragment" in r.err and r.out == "", r
        assert not (tmp_path / "site").exists()


def test_publish_to_an_empty_name_is_refused(fw, fw_env, watchlist, tmp_path, monkeypatch):
    """``publish "$DIR"`` with DIR unset wrote the three files into the current folder."""
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for target in ("", "  "):
        r = fw("publish", target, "--as-of", DAY0)
        assert r.code == 2 and "empty" in r.err and r.out == "", r
    assert not (tmp_path / "index.html").exists() and not (tmp_path / "deadlines.ics").exists()


class DigestCalDAV(BaseHTTPRequestHandler):
    """A calendar collection behind Digest authentication (as Baïkal's default): an
    empty listing, and PUTs taken; any other Authorization is answered 401."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def authorised(self) -> bool:
        import hashlib

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        header = self.headers.get("Authorization", "")
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header))
        if not header.startswith("Digest ") or fields.get("username") != USER:
            return False
        ha1 = md5(f"{USER}:cal:{PASSWORD}")
        ha2 = md5(f"{self.command}:{fields.get('uri')}")
        expected = md5(f"{ha1}:n0nce:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
        return fields.get("response") == expected

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append((self.command, self.headers.get("Authorization", "")))  # type: ignore[attr-defined]
        if not self.authorised():
            self.answer(401, WWW_Authenticate='Digest realm="cal", nonce="n0nce", qop="auth"')
        elif self.command == "PROPFIND":
            self.answer(207, (
                b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
                b'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/</d:href>'
                b"<d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/>"
                b"</d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                b"</d:response></d:multistatus>"
            ))  # fmt: skip
        else:
            self.answer(201, ETag=f'"{len(self.server.seen)}"')  # type: ignore[attr-defined]

    do_PROPFIND = do_PUT = handle_any


def test_caldav_a_server_asking_for_digest(fw, fw_env, watchlist):
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), DigestCalDAV)
    httpd.seen = []  # type: ignore[attr-defined]
    serve = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    serve.daemon = True
    serve.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/cal/"
        auth = {"FUNDWATCH_CALDAV_USER": USER, "FUNDWATCH_CALDAV_PASSWORD": PASSWORD}
        r = fw("publish", url, "--as-of", DAY0, env=auth)
        assert (r.code, r.out) == (0, "created 3, updated 0, cancelled 0, unchanged 0\n"), r.err
        puts = [a for m, a in httpd.seen if m == "PUT"]
        assert len(puts) == 3 and all(a.startswith("Digest ") for a in puts)  # one try each
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_folder_calendar_name_escaped_as_text(fw, fw_env, watchlist, tmp_path):
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text('calendar_name = "Fonds; a, b \\\\ c"\n')
    r = fw("publish", str(tmp_path / "site"), "--as-of", DAY0)
    assert r.code == 0, r.err
    lines = (tmp_path / "site" / "deadlines.ics").read_text(encoding="utf-8").splitlines()
    assert "X-WR-CALNAME:Fonds\\; a\\, b \\\\ c" in lines and "NAME:Fonds\\; a\\, b \\\\ c" in lines
