"""`fundwatch sync` end to end, against the stand-in portal on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from localserver import Answer, Portal

SSRI04 = "HORIZON-CL3-2025-01-SSRI-04"
EIE = "HORIZON-EIE-2026-01-CONNECT-02"
AS_OF = ("--as-of", "2025-10-08")


@pytest.fixture
def portal(server, fw_env, monkeypatch):
    server.respond = Portal()
    url = f"http://{server.host}/search-api/prod/rest/search"
    fw_env["FUNDWATCH_PORTAL_URL"] = url
    monkeypatch.setenv("FUNDWATCH_PORTAL_URL", url)
    return server


@pytest.fixture
def watched(fw, portal, watchlist):
    """SSRI-04 and EIE watched from the portal, with the user's own tags, notes, state."""
    assert fw("watch", SSRI04, EIE, *AS_OF).code == 0
    ok = fw("edit", SSRI04.lower(), "--tag", "ours", "--notes", "Partner: X", "--state",
            "preparing", *AS_OF)  # fmt: skip
    assert ok.code == 0, ok.err
    portal.requests.clear()
    return watchlist


def move_deadline(portal, identifier: str, value: str) -> None:
    for row in portal.respond.rows:
        meta = row.get("metadata", row)
        if meta.get("identifier") == [identifier]:
            meta["deadlineDate"] = [value]


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
