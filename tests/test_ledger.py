"""The calendar bookkeeping (output.ledger, calendar.build): stable UIDs, SEQUENCE, and
cancellations for 90 days. In-process, on domain objects, except the last test."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import icalendar
import pytest

from fundwatch.domain.fields import CallInput, edited_call
from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.query import NO_FILTERS, Filters
from fundwatch.domain.timeutil import Clock, parse_duration
from fundwatch.output import calendar
from fundwatch.output.ledger import Entry, Ledger
from fundwatch.storage.codec import dumps, parse_or_raise


def clock(day: str) -> Clock:
    return Clock.at("Europe/Brussels", day)


def alpha(*deadlines: Deadline, **changes: object) -> Call:
    call = Call("alpha", "Alpha call", deadlines or (Deadline(datetime(2026, 3, 4, 17)),))
    return call.replace(**changes) if changes else call


def run(
    calls: list[Call],
    ledger: Ledger,
    day: str = "2026-01-05",
    options: calendar.Options | None = None,
    filters: Filters = NO_FILTERS,
) -> dict[str, icalendar.Event]:
    """The events one export carries, by UID."""
    c = clock(day)
    items = calendar.build(
        [x for x in calls if filters.matches(x, c)],
        c,
        options or calendar.Options(),
        ledger,
        everything=calls,
        matches=lambda x: filters.matches(x, c),
    )
    cal = icalendar.Calendar.from_ical(calendar.document(items, options or calendar.Options()))
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_a_new_label_keeps_the_uid_and_raises_the_sequence():
    ledger = Ledger()
    one = run([alpha(Deadline(datetime(2026, 3, 4, 17), label="Stage 1"))], ledger)
    assert list(one) == ["alpha/stage-1@fundwatch"]
    renamed = alpha(Deadline(datetime(2026, 3, 4, 17), label="Full proposal"))
    two = run([renamed], ledger)
    assert list(two) == ["alpha/stage-1@fundwatch"]
    assert int(two["alpha/stage-1@fundwatch"]["SEQUENCE"]) == 1
    assert "Full proposal" in str(two["alpha/stage-1@fundwatch"]["SUMMARY"])
    # again: the same, nothing new
    assert int(run([renamed], ledger)["alpha/stage-1@fundwatch"]["SEQUENCE"]) == 1
    # renamed and moved at once (`edit --deadline` with a new label): still one event
    moved = alpha(Deadline(datetime(2026, 3, 11, 17), label="Final"))
    three = run([moved], ledger)
    assert list(three) == ["alpha/stage-1@fundwatch"]
    assert int(three["alpha/stage-1@fundwatch"]["SEQUENCE"]) == 2
    # a second deadline added: a UID of its own; nothing cancelled
    both = alpha(moved.deadlines[0], Deadline(datetime(2026, 6, 4, 17), label="Stage 2"))
    four = run([both], ledger)
    assert set(four) == {"alpha/stage-1@fundwatch", "alpha/stage-2@fundwatch"}
    assert all("STATUS" not in e for e in four.values())


def test_edit_id_keeps_the_uids_and_the_file_says_so(tmp_path: Path):
    call = alpha()
    renamed, changed = edited_call(call, CallInput(id="alpha-2026"), set(), None)
    assert changed == ["id"] and renamed.uid == "alpha" and renamed.stem == "alpha"
    assert list(run([renamed], Ledger())) == ["alpha/deadline-1@fundwatch"]
    back, _ = edited_call(renamed, CallInput(id="alpha"), set(), None)
    assert back.uid is None  # its own id again
    path = tmp_path / "calls.toml"
    from fundwatch.storage.codec import Watchlist

    # a new call cannot take the old id: its events would have the same UIDs
    assert Watchlist([renamed]).ids() == {"alpha-2026", "alpha"}
    text = dumps(Watchlist([renamed]))
    assert 'uid = "alpha"' in text
    assert parse_or_raise(text, path).calls == [renamed]


def test_alarms_that_change_raise_the_sequence_of_those_events_only():
    ledger = Ledger()
    calls = [alpha(), Call("beta", "Beta", (Deadline(date(2026, 2, 1)),))]
    fortnight = calendar.Options((parse_duration("14d"),))
    first = run(calls, ledger, options=fortnight)
    assert {int(e["SEQUENCE"]) for e in first.values()} == {0}
    # 2w is 14 days: the same alarm, no new sequence
    same = run(calls, ledger, options=calendar.Options((parse_duration("2w"),)))
    assert {int(e["SEQUENCE"]) for e in same.values()} == {0}
    more = calendar.Options((parse_duration("14d"), parse_duration("1d")))
    assert {int(e["SEQUENCE"]) for e in run(calls, ledger, options=more).values()} == {1}
    # a milestone: new events; the deadlines' own events are unchanged
    ms = more._replace(milestones=(calendar.parse_milestone("Letters=21d"),))
    got = run(calls, ledger, options=ms)
    assert int(got["alpha/deadline-1/letters@fundwatch"]["SEQUENCE"]) == 0
    assert int(got["alpha/deadline-1@fundwatch"]["SEQUENCE"]) == 1
    # the milestone setting dropped: its events are cancelled
    back = run(calls, ledger, options=more)
    assert str(back["alpha/deadline-1/letters@fundwatch"]["STATUS"]) == "CANCELLED"


def test_cancelled_for_90_days_then_forgotten_and_back_with_a_higher_sequence():
    ledger = Ledger()
    beta = Call("beta", "Beta <call>", (Deadline(date(2026, 2, 1)),), tags=("x",))
    run([alpha(), beta], ledger)
    gone = run([alpha()], ledger, "2026-01-06")
    event = gone["beta/deadline-1@fundwatch"]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]) == "Deadline: Beta <call>"
    assert event.decoded("DTSTART") == date(2026, 2, 1)
    # a removed call's cancellation goes to every calendar, whatever the filters
    assert "beta/deadline-1@fundwatch" in run([alpha()], ledger, filters=Filters(tag=("y",)))
    # brought back: live again, SEQUENCE raised again
    back = run([alpha(), beta], ledger, "2026-01-07")
    assert "STATUS" not in back["beta/deadline-1@fundwatch"]
    assert int(back["beta/deadline-1@fundwatch"]["SEQUENCE"]) == 2
    # dropped: cancelled (a filtered export leaves it out only when the call does not match)
    dropped = beta.replace(state="dropped")
    c = clock("2026-01-08")

    def export(filters: Filters) -> list[calendar.Item]:
        return calendar.build(
            [alpha()], c, calendar.Options(), ledger, everything=[alpha(), dropped],
            live=lambda x: x.state != "dropped", matches=lambda x: filters.matches(x, c),
        )  # fmt: skip

    assert [i.uid for i in export(Filters(tag=("y",))) if i.cancelled] == []
    assert [(i.uid, i.cancelled) for i in export(Filters(tag=("x",)))] == [
        ("alpha/deadline-1@fundwatch", False), ("beta/deadline-1@fundwatch", True),
    ]  # fmt: skip
    assert ledger.entries["beta/deadline-1@fundwatch"].gone == "20260108"
    assert "beta/deadline-1@fundwatch" in run([alpha()], ledger, "2026-04-08")  # day 90
    assert "beta/deadline-1@fundwatch" not in run([alpha()], ledger, "2026-04-09")
    assert "beta/deadline-1@fundwatch" not in ledger.entries


def test_the_ledger_reads_back_and_skips_what_it_cannot_read():
    ledger = Ledger()
    run([alpha(Deadline(datetime(2026, 3, 4, 17), label="Stage 1"))], ledger)
    extra: dict[str, object] = {"calendar": {"other": 1}}
    ledger.store(extra)
    again = Ledger.of(extra)
    assert again.entries == ledger.entries and not again.changed
    assert extra["calendar"]["other"] == 1  # type: ignore[index]
    text = ledger.entries["alpha/stage-1@fundwatch"].dumps()
    assert Entry.loads(text) == ledger.entries["alpha/stage-1@fundwatch"]
    for junk in [None, 3, "", "20260304 x y z - - s", "2026 1 d 20260101T000000Z - - s"]:
        assert Entry.loads(junk) is None
    broken = {"calendar": {"events": {"a@fundwatch": "junk", "b@fundwatch": text}}}
    assert list(Ledger.of(broken).entries) == ["b@fundwatch"]


def test_export_ics_carries_the_cancellation(fw, watchlist):
    profile = "outlook"
    watchlist.write_text(
        'version = 1\n[[calls]]\nid = "a"\ntitle = "A"\ndeadline = 2026-03-04T17:00:00\n'
        '[[calls]]\nid = "b"\ntitle = "B"\ndeadline = 2026-03-05\n',
        encoding="utf-8",
    )
    assert fw("export", "ics", "--as-of", "2026-01-05", "--profile", profile).code == 0
    assert fw("edit", "b", "--state", "submitted").code == 0
    r = fw("export", "ics", "--as-of", "2026-01-06", "--profile", profile)
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(r.out).walk("VEVENT")}
    assert str(events["b/deadline-1@fundwatch"]["STATUS"]) == "CANCELLED"
    assert int(events["b/deadline-1@fundwatch"]["SEQUENCE"]) == 1
    assert "STATUS" not in events["a/deadline-1@fundwatch"]
    assert "[calendar.events]" in watchlist.read_text(encoding="utf-8")


def test_caldav_answers_are_read_safely_and_names_map_back():
    from fundwatch.domain.errors import FundwatchError
    from fundwatch.publishing import caldav

    url = "https://cloud.example/remote.php/dav/calendars/alice/funding/"
    listing = (
        b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
        b'xmlns:c="urn:ietf:params:xml:ns:caldav">'
        b"<d:response><d:href>/remote.php/dav/calendars/alice/funding/</d:href><d:propstat>"
        b"<d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop>"
        b"<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        b"<d:response><d:href>/remote.php/dav/calendars/alice/funding/a~deadline-1%40fundwatch.ics"
        b'</d:href><d:propstat><d:prop><d:getetag>"e1"</d:getetag><d:resourcetype/></d:prop>'
        b"<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
    )
    found = caldav.parse_listing(listing, url, "cloud.example")
    assert found == {"a~deadline-1@fundwatch.ics": '"e1"'}
    assert caldav.uid_of("a~deadline-1%40fundwatch.ics") == "a/deadline-1@fundwatch"
    assert caldav.resource_name("a/deadline-1/letters@fundwatch") == (
        "a~deadline-1~letters@fundwatch.ics"
    )
    assert caldav.uid_of("team-lunch.ics") is None  # not ours
    not_a_calendar = listing.replace(b"<c:calendar/>", b"")
    with pytest.raises(FundwatchError, match="not a CalDAV calendar collection"):
        caldav.parse_listing(not_a_calendar, url, "cloud.example")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d:multistatus xmlns:d="DAV:">'
        b"&b;</d:multistatus>"
    )
    with pytest.raises(FundwatchError, match="DOCTYPE"):
        caldav.parse_listing(laughs, url, "cloud.example")
    with pytest.raises(FundwatchError, match="not XML"):
        caldav.parse_listing(b"<html><body>Login</body>", url, "cloud.example")
    with pytest.raises(FundwatchError):
        caldav.collection_url("https://u:p@cloud.example/dav/")
    assert (
        caldav.collection_url("https://cloud.example/dav/cal") == "https://cloud.example/dav/cal/"
    )


def test_the_cache_keeps_the_uid_stem_and_the_ledger(tmp_path: Path, monkeypatch):
    from fundwatch.storage import cache, store
    from fundwatch.storage.codec import Watchlist

    monkeypatch.setenv("FUNDWATCH_CACHE_DIR", str(tmp_path / "cache"))
    renamed = alpha().replace(id="alpha-2026", uid="alpha")
    ledger = Ledger()
    run([renamed], ledger)
    watchlist = Watchlist([renamed])
    ledger.store(watchlist.extra)
    path = tmp_path / "calls.toml"
    path.write_text(dumps(watchlist), encoding="utf-8")
    first = store.load(path)
    assert cache.get(path, path.stat()) is not None  # cached
    again = store.load(path)
    assert again.calls == first.calls == [renamed]
    assert Ledger.of(again.extra).entries == ledger.entries
