"""`fundwatch sync` end to end, against the stand-in portal on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from localserver import Answer

SSRI04 = "HORIZON-CL3-2025-01-SSRI-04"
EIE = "HORIZON-EIE-2026-01-CONNECT-02"
ACC = "HORIZON-EIC-2026-ACCELERATOR-01"
AS_OF = ("--as-of", "2025-10-08")


@pytest.fixture
def watched(fw, portal, watchlist):
    """SSRI-04 and EIE watched from the portal, with the user's own tags, notes, state."""
    assert fw("watch", SSRI04, EIE, *AS_OF).code == 0
    ok = fw("edit", SSRI04.lower(), "--tag", "ours", "--notes", "Partner: X", "--state",
            "preparing", *AS_OF)  # fmt: skip
    assert ok.code == 0, ok.err
    portal.requests.clear()
    return watchlist


def move_deadline(portal, identifier: str, *values: str) -> None:
    for row in portal.respond.rows:
        meta = row.get("metadata", row)
        if meta.get("identifier") == [identifier]:
            meta["deadlineDate"] = list(values)


def portal_meta(portal, identifier: str) -> list[dict]:
    """The metadata of the stand-in portal's rows of ``identifier`` (to change them)."""
    return [
        r.get("metadata", r)
        for r in portal.respond.rows
        if r.get("metadata", r).get("identifier") == [identifier]
    ]


def calls(fw) -> dict:
    return {c["id"]: c for c in json.loads(fw("list", "--format", "json", *AS_OF).out)}


def test_nothing_changed_says_nothing_in_one_request(fw, watched, portal):
    r = fw("sync", *AS_OF)
    assert (r.code, r.out, r.err) == (0, "", "")
    assert len(portal.requests) == 1


def test_a_moved_deadline_is_reported_updated_and_recorded(fw, watched, portal):
    move_deadline(portal, SSRI04, "2025-11-19T00:00:00.000+0000")
    r = fw("sync", "--as-of", "2025-10-09")
    assert r.code == 0, r.err
    assert r.out == (
        f"{SSRI04}: deadline moved from 12 Nov 2025 17:00 to 19 Nov 2025 17:00 (Brussels)\n"
    )
    call = calls(fw)[SSRI04.lower()]
    assert call["deadlines"][0]["at"] == "2025-11-19T17:00:00+01:00"
    # the user's fields are the user's
    assert (call["tags"], call["notes"], call["state"]) == (["ours"], "Partner: X", "preparing")
    # remind shows it (the sync is younger than the window)
    text = fw("remind", "--as-of", "2025-10-10", "--within", "60d").out
    assert "Changed at the last portal sync" in text
    assert f"{SSRI04.lower()}: deadline moved from 12 Nov 2025 17:00" in text


def test_dry_run_writes_nothing(fw, watched, portal):
    move_deadline(portal, SSRI04, "2025-11-19T00:00:00.000+0000")
    before = watched.read_bytes()
    r = fw("sync", "--dry-run", *AS_OF)
    assert r.code == 0 and "deadline moved" in r.out
    assert watched.read_bytes() == before


def test_a_topic_gone_from_the_portal_is_said_and_kept(fw, watched, portal):
    portal.respond.rows = [
        r for r in portal.respond.rows if r.get("metadata", r).get("identifier") != [EIE]
    ]
    r = fw("sync", *AS_OF)
    assert r.out == f"{EIE}: topic no longer on the portal\n"
    assert EIE.lower() in calls(fw)


def test_a_network_failure_writes_nothing(fw, watched, portal):
    move_deadline(portal, SSRI04, "2025-11-19T00:00:00.000+0000")
    before = watched.read_bytes()
    portal.respond = None
    portal.answers(Answer(404, body=b"gone"))
    r = fw("sync", *AS_OF)
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith("error: ") and portal.host in line
    assert watched.read_bytes() == before


def test_no_identifiers_no_request(fw, portal, watchlist):
    assert fw("add", "Mine", "--deadline", "2025-12-01").code == 0
    r = fw("sync", *AS_OF)
    assert (r.code, r.out) == (0, "")
    assert portal.requests == []


def test_a_cut_off_list_rolling_forward_is_said_as_gone_and_new(fw, portal, watchlist):
    assert fw("watch", ACC, *AS_OF).code == 0
    [meta] = portal_meta(portal, ACC)
    dates = meta["deadlineDate"]
    move_deadline(portal, ACC, *dates[1:], "2027-01-06T00:00:00.000+0000")
    r = fw("sync", "--as-of", "2025-10-09")
    assert (r.code, r.err) == (0, "")
    assert r.out == (
        f"{ACC}: deadline of 7 Jan 2026 17:00 (Brussels) no longer on the portal\n"
        f"{ACC}: new cut-off 6: 6 Jan 2027 17:00 (Brussels)\n"
    )
    [call] = calls(fw).values()
    assert [d["at"][:10] for d in call["deadlines"]] == [
        "2026-03-04", "2026-05-06", "2026-07-08", "2026-09-02", "2026-11-04", "2027-01-06"
    ]  # fmt: skip
    # one cut-off of the six moving is a move
    move_deadline(portal, ACC, *dates[1:3], "2026-07-15T00:00:00.000+0000", *dates[4:],
                  "2027-01-06T00:00:00.000+0000")  # fmt: skip
    r = fw("sync", "--as-of", "2025-10-10")
    assert r.out == (
        f"{ACC}: Cut-off 3 deadline moved from 8 Jul 2026 17:00 to 15 Jul 2026 17:00 (Brussels)\n"
    )


def test_the_same_instant_in_another_zone_is_no_move(fw, portal, watchlist):
    ok = fw("add", "Uptake", "--deadline", "2025-11-12 11:00", "--timezone", "America/New_York",
            "--identifier", SSRI04, *AS_OF)  # fmt: skip
    assert ok.code == 0, ok.err
    before = calls(fw)["uptake"]["deadlines"]
    r = fw("sync", *AS_OF)
    assert (r.code, r.err) == (0, "")
    # what the call lacked is set, never "from None"; the deadline is the portal's instant
    assert r.out == (
        f"{SSRI04}: title changed from 'Uptake' to 'Accelerating uptake through open proposals "
        "for advanced SME innovation'\n"
        f"{SSRI04}: opening date set to 12 Jun 2025\n"
        f"{SSRI04}: link added\n"
        f"{SSRI04}: budget set to 3000000\n"
        f"{SSRI04}: programme now 'Horizon Europe'\n"
    )
    assert calls(fw)["uptake"]["deadlines"] == before
    assert "deadline = 2025-11-12 11:00:00" in watchlist.read_text(encoding="utf-8")
    assert fw("sync", *AS_OF).out == ""


def test_a_quiet_sync_keeps_the_changes_for_the_weekly_remind(fw, watched, portal):
    move_deadline(portal, SSRI04, "2025-11-19T00:00:00.000+0000")
    moved = "deadline moved from 12 Nov 2025 17:00 to 19 Nov 2025 17:00 (Brussels)"
    assert fw("sync", "--as-of", "2025-10-09").out == f"{SSRI04}: {moved}\n"
    for day in ("2025-10-10", "2025-10-11"):  # daily syncs with nothing new
        assert fw("sync", "--as-of", day).out == ""
    text = fw("remind", "--as-of", "2025-10-13", "--within", "14d").out
    assert text.endswith(
        f"Changed at portal syncs since Thu 9 Oct 2025 00:00\n- {SSRI04.lower()}: {moved}\n"
    )
    # seen again later: said once, counted from then
    move_deadline(portal, SSRI04, "2025-11-12T00:00:00.000+0000")
    fw("sync", "--as-of", "2025-10-12")
    move_deadline(portal, SSRI04, "2025-11-19T00:00:00.000+0000")
    fw("sync", "--as-of", "2025-10-13")
    doc = json.loads(fw("remind", "--as-of", "2025-10-13", "--format", "json").out)
    assert [(c["text"], c["seen"]) for c in doc["changes"]["items"]] == [
        ("deadline moved from 19 Nov 2025 17:00 to 12 Nov 2025 17:00 (Brussels)",
         "2025-10-11T22:00:00+00:00"),
        (moved, "2025-10-12T22:00:00+00:00"),
    ]  # fmt: skip
    # a change seen before the window is not said again
    text = fw("remind", "--as-of", "2025-11-30", "--within", "14d").out
    assert "Changed" not in text


def test_portal_text_in_a_change_line_is_one_printable_line(fw, watched, portal):
    for meta in portal_meta(portal, SSRI04):
        meta["title"] = ["Uptake\x1b[2J\x07 now\nwith a new line"]
    r = fw("sync", *AS_OF)
    assert (r.code, r.err) == (0, "")
    [line] = r.out.splitlines()
    assert line.endswith("to 'Uptake\ufffd[2J\ufffd now with a new line'")
    assert "\x1b" not in r.out and "\x07" not in r.out


def test_watch_and_sync_in_real_processes(fw_proc, fw, portal, watchlist):
    """As cron runs them, in a real `python -m fundwatch` (the others run in-process)."""
    r = fw_proc("watch", SSRI04, EIE, *AS_OF)
    assert (r.code, r.err) == (0, ""), r.err
    assert set(calls(fw)) == {SSRI04.lower(), EIE.lower()}
    move_deadline(portal, SSRI04, "2025-11-19T00:00:00.000+0000")
    r = fw_proc("sync", "--as-of", "2025-10-09")
    assert (r.code, r.err) == (0, ""), r.err
    assert r.out == (
        f"{SSRI04}: deadline moved from 12 Nov 2025 17:00 to 19 Nov 2025 17:00 (Brussels)\n"
    )
    assert calls(fw)[SSRI04.lower()]["deadlines"][0]["at"] == "2025-11-19T17:00:00+01:00"


def test_a_topic_without_a_date_yet_is_watched_tbc_and_sync_fills_it_in(fw, portal, watchlist):
    move_deadline(portal, EIE)  # forthcoming: no deadline on the portal yet
    for meta in portal_meta(portal, EIE):
        meta.pop("actions", None)
    r = fw("watch", EIE, *AS_OF)
    assert (r.code, r.out) == (0, f"{EIE.lower()}\n"), r.err
    assert calls(fw)[EIE.lower()]["deadlines"] == []
    move_deadline(portal, EIE, "2026-01-20T16:00:00.000+0000")
    r = fw("sync", *AS_OF)
    assert r.code == 0, r.err
    assert [d["at"] for d in calls(fw)[EIE.lower()]["deadlines"]] == ["2026-01-20T17:00:00+01:00"]
