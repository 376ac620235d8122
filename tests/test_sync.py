"""sync.py: what the portal owns is refreshed, what the user owns is kept, and each
change is said in words."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.reminder import sync_changes
from fundwatch.domain.timeutil import Clock, zone
from fundwatch.portal import topics as portal
from fundwatch.portal.sync import Change, refresh, sync_calls, sync_table

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLOCK = Clock(datetime(2025, 10, 8, tzinfo=zone("Europe/Brussels")), "Europe/Brussels")


def topics() -> dict[str, portal.Topic]:
    data = json.loads((FIXTURES / "sedia-search-page.json").read_text(encoding="utf-8"))
    return {t.identifier: t for t in portal.merge(portal.parse_search_page(data))}


def mine(identifier: str, **fields: object) -> Call:
    """A call as the user keeps it: their id, tags, notes and state."""
    base = portal.topic_to_call(topics()[identifier], "my-call")
    return base.replace(tags=("mine",), notes="our notes", state="preparing", **fields)


def test_nothing_changed_says_nothing():
    call = mine("HORIZON-CL3-2025-01-SSRI-04")
    new, texts = refresh(call, topics()["HORIZON-CL3-2025-01-SSRI-04"])
    assert texts == []
    assert new == call


def test_a_moved_deadline_in_words_and_the_users_fields_kept():
    moved = (Deadline(datetime(2025, 11, 19, 17, 0)),)
    call = mine("HORIZON-CL3-2025-01-SSRI-04", deadlines=moved)
    new, texts = refresh(call, topics()["HORIZON-CL3-2025-01-SSRI-04"])
    assert texts == ["deadline moved from 19 Nov 2025 17:00 to 12 Nov 2025 17:00 (Brussels)"]
    assert [d.at for d in new.deadlines] == [datetime(2025, 11, 12, 17, 0)]
    assert (new.id, new.tags, new.notes, new.state) == (
        "my-call",
        ("mine",),
        "our notes",
        "preparing",
    )


def test_new_and_gone_cut_offs():
    topic = topics()["HORIZON-EIC-2026-ACCELERATOR-01"]
    five = tuple(topic.deadlines[:5])
    call = mine("HORIZON-EIC-2026-ACCELERATOR-01", deadlines=five)
    _, texts = refresh(call, topic)
    assert texts == ["new cut-off 6: 4 Nov 2026 17:00 (Brussels)"]
    extra = (*topic.deadlines, Deadline(datetime(2027, 1, 6, 17, 0), label="Cut-off 7"))
    _, texts = refresh(mine("HORIZON-EIC-2026-ACCELERATOR-01", deadlines=extra), topic)
    assert texts == ["deadline of 6 Jan 2027 17:00 (Brussels) no longer on the portal"]


def test_title_opening_and_budget_changes():
    topic = topics()["HORIZON-EIE-2026-01-CONNECT-02"]
    call = mine(
        "HORIZON-EIE-2026-01-CONNECT-02", title="Old title", opens=date(2025, 9, 1), budget=1
    )
    new, texts = refresh(call, topic)
    assert texts[0] == f"title changed from 'Old title' to '{topic.title}'"
    assert "opening moved from 1 Sep 2025 to 10 Sep 2025" in texts
    assert f"budget changed from 1 to {topic.budget}" in texts
    assert (new.title, new.opens) == (topic.title, date(2025, 9, 10))


def test_sync_calls_raises_the_calendar_sequence_and_records_changes():
    from fundwatch.domain.fields import restamp

    gone = Call("gone", "Gone", (Deadline(date(2025, 1, 1)),), identifier="HORIZON-NOT-THERE")
    plain = Call("plain", "Mine only", (Deadline(date(2026, 1, 1)),))
    moved = restamp(
        mine("HORIZON-CL3-2025-01-SSRI-04", deadlines=(Deadline(datetime(2025, 11, 19, 17)),)),
        CLOCK.now,
    )
    calls, changes = sync_calls([gone, plain, moved], topics(), CLOCK)
    assert [c.line() for c in changes] == [
        "HORIZON-NOT-THERE: topic no longer on the portal",
        "HORIZON-CL3-2025-01-SSRI-04: deadline moved from 19 Nov 2025 17:00 to "
        "12 Nov 2025 17:00 (Brussels)",
    ]
    assert calls[0] == gone and calls[1] == plain
    assert calls[2].sequence == moved.sequence + 1
    table = sync_table(changes, CLOCK)
    at, items = sync_changes(table)
    assert at == CLOCK.now_utc
    assert [(c.call_id, c.text) for c in items] == [
        ("gone", "topic no longer on the portal"),
        ("my-call", "deadline moved from 19 Nov 2025 17:00 to 12 Nov 2025 17:00 (Brussels)"),
    ]


def test_the_users_own_deadlines_survive_a_sync():
    topic = topics()["HORIZON-CL3-2025-01-SSRI-04"]
    review = Deadline(datetime(2025, 11, 1, 12, 0), label="Internal review")
    call = mine("HORIZON-CL3-2025-01-SSRI-04")
    call = call.replace(deadlines=(review, *call.deadlines))
    new, texts = refresh(call, topic)
    assert texts == []
    assert review in new.deadlines
    moved = call.replace(deadlines=(review, Deadline(datetime(2025, 11, 19, 17, 0))))
    new, texts = refresh(moved, topic)
    assert texts == ["deadline moved from 19 Nov 2025 17:00 to 12 Nov 2025 17:00 (Brussels)"]
    assert [d.label for d in new.deadlines] == ["Internal review", None]


def test_a_move_between_zones_names_both():
    topic = topics()["HORIZON-CL3-2025-01-SSRI-04"]
    ny = Deadline(datetime(2025, 11, 12, 17, 0), "America/New_York")
    _, texts = refresh(mine("HORIZON-CL3-2025-01-SSRI-04", deadlines=(ny,)), topic)
    assert texts == [
        "deadline moved from 12 Nov 2025 17:00 (New York) to 12 Nov 2025 17:00 (Brussels)"
    ]


ACC = "HORIZON-EIC-2026-ACCELERATOR-01"


def test_a_cut_off_list_rolling_forward_is_one_gone_and_one_new():
    topic = topics()[ACC]
    rolled = [d.at for d in topic.deadlines[1:]] + [datetime(2027, 1, 6, 17, 0)]
    new_topic = topic._replace(deadlines=portal._labelled(
        [Deadline(at, "Europe/Brussels") for at in rolled], "multiple cut-off", ACC
    ))  # fmt: skip
    new, texts = refresh(mine(ACC), new_topic)
    assert texts == [
        "deadline of 7 Jan 2026 17:00 (Brussels) no longer on the portal",
        "new cut-off 6: 6 Jan 2027 17:00 (Brussels)",
    ]
    assert [(d.at, d.label) for d in new.deadlines] == [
        (at, f"Cut-off {n}") for n, at in enumerate(rolled, 1)
    ]


def test_one_moved_cut_off_among_six_is_a_move():
    topic = topics()[ACC]
    ds = list(topic.deadlines)
    ds[2] = ds[2].replace(at=datetime(2026, 5, 13, 17, 0))
    _, texts = refresh(mine(ACC), topic._replace(deadlines=tuple(ds)))
    assert texts == [
        "Cut-off 3 deadline moved from 6 May 2026 17:00 to 13 May 2026 17:00 (Brussels)"
    ]


def test_the_same_instant_in_another_zone_is_no_change_and_stays_as_written():
    topic = topics()["HORIZON-CL3-2025-01-SSRI-04"]
    ny = Deadline(datetime(2025, 11, 12, 11, 0), "America/New_York")  # 17:00 in Brussels
    call = mine("HORIZON-CL3-2025-01-SSRI-04", deadlines=(ny,), timezone="America/New_York")
    new, texts = refresh(call, topic)
    assert texts == []
    assert new == call
    # a real move is still one, said in both zones
    _, texts = refresh(call.replace(deadlines=(ny.replace(at=datetime(2025, 11, 5, 11)),)), topic)
    assert texts == [
        "deadline moved from 5 Nov 2025 11:00 (New York) to 12 Nov 2025 17:00 (Brussels)"
    ]


def test_a_field_the_call_did_not_have_is_set_not_changed_from_none():
    topic = topics()["HORIZON-CL3-2025-01-SSRI-04"]
    call = mine("HORIZON-CL3-2025-01-SSRI-04", budget=None, opens=None)
    _, texts = refresh(call, topic)
    assert texts == ["opening date set to 12 Jun 2025", "budget set to 3000000"]
    assert not any("None" in t or "none" in t for t in texts)


def test_portal_text_in_a_change_line_is_one_printable_line():
    topic = topics()["HORIZON-CL3-2025-01-SSRI-04"]
    evil = topic._replace(title="New\x1b]0;pwned\x07 title\nsecond line")
    calls, changes = sync_calls([mine("HORIZON-CL3-2025-01-SSRI-04")], {topic.identifier: evil},
                                CLOCK)  # fmt: skip
    [line] = [c.line() for c in changes]
    assert line == (
        "HORIZON-CL3-2025-01-SSRI-04: title changed from 'Accelerating uptake through open "
        "proposals for advanced SME innovation' to 'New\ufffd]0;pwned\ufffd title second line'"
    )
    assert calls[0].title == evil.title  # the watchlist keeps what the portal says


def test_the_sync_table_keeps_recent_changes_once_each():
    day = timedelta(days=1)
    now = CLOCK.now_utc
    old_shape = {"at": now - 3 * day, "changes": [{"call": "a", "text": "moved"}], "mine": 1}
    quiet = sync_table([], CLOCK, old_shape)
    assert quiet == {
        "at": now, "mine": 1, "changes": [{"call": "a", "text": "moved", "seen": now - 3 * day}]
    }  # fmt: skip
    kept = {"at": now - day, "changes": [
        {"call": "a", "text": "moved", "seen": now - 10 * day},
        {"call": "b", "text": "link added", "seen": now - 93 * day},  # older than KEEP_CHANGES
        {"call": "c", "text": "budget set to 1", "seen": now - 5 * day},
    ]}  # fmt: skip
    table = sync_table([Change("a", "moved", "X"), Change("d", "link added", "Y")], CLOCK, kept)
    assert table["changes"] == [
        {"call": "c", "text": "budget set to 1", "seen": now - 5 * day},
        {"call": "a", "text": "moved", "seen": now},  # seen again: once, at the last time
        {"call": "d", "text": "link added", "seen": now},
    ]
    at, items = sync_changes(table)
    assert at == now and [c.seen for c in items] == [now - 5 * day, now, now]
