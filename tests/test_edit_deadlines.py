"""Issue 11: one deadline at a time, and calls found by id, identifier or id prefix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ACCELERATOR_2027

AS_OF = ("--as-of", "2026-12-01")

WATCHLIST = (
    ACCELERATOR_2027
    + """
[[calls]]
id = "eic-pathfinder-2027"
title = "EIC Pathfinder 2027"
deadline = 2027-05-05
"""
)


@pytest.fixture
def watchlist(fw_env) -> Path:
    path = Path(fw_env["FUNDWATCH_FILE"])
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def deadlines(fw, call_id="eic-accelerator-2027"):
    r = fw("show", call_id, "--format", "json", *AS_OF)
    assert r.code == 0, r.err
    return [(d["at"], d["label"]) for d in json.loads(r.out)["deadlines"]]


C1 = ("2027-01-07T17:00:00+01:00", "Cut-off 1")
C2 = ("2027-03-04T17:00:00+01:00", "Cut-off 2")
C3 = ("2027-09-02T17:00:00+02:00", "Cut-off 3")
C2_MOVED = ("2027-03-11T17:00:00+01:00", "Cut-off 2")


def test_deadline_replaces_all_and_says_each_change(fw, watchlist):
    """The issue's case 2: the output says what became of every deadline."""
    r = fw("edit", "eic-accelerator-2027", "--deadline", "Cut-off 2=11/03/2027 17:00", *AS_OF)
    assert r.code == 0, r.err
    assert r.out == (
        "Updated eic-accelerator-2027: deadlines.\n"
        "  removed Cut-off 1: 7 Jan 2027 17:00 (Brussels)\n"
        "  moved Cut-off 2: 4 Mar 2027 17:00 to 11 Mar 2027 17:00 (Brussels)\n"
        "  removed Cut-off 3: 2 Sep 2027 17:00 (Brussels)\n"
    )
    assert "--set-deadline" in r.err  # the way to change one
    assert deadlines(fw) == [C2_MOVED]


def test_set_deadline_changes_one_and_adds_another(fw, watchlist):
    r = fw("edit", "eic-accelerator-2027", "--set-deadline", "Cut-off 2=11/03/2027 17:00",
           "--set-deadline", "Cut-off 4: 06/10/2027 17:00", *AS_OF)  # fmt: skip
    assert r.code == 0, r.err
    assert r.out == (
        "Updated eic-accelerator-2027: deadlines.\n"
        "  moved Cut-off 2: 4 Mar 2027 17:00 to 11 Mar 2027 17:00 (Brussels)\n"
        "  added Cut-off 4: 6 Oct 2027 17:00 (Brussels)\n"
    )
    assert r.err == ""
    assert deadlines(fw) == [C1, C2_MOVED, C3, ("2027-10-06T17:00:00+02:00", "Cut-off 4")]
    # the label in any case; the same date again is nothing to change
    r = fw("edit", "eic-accelerator-2027", "--set-deadline", "cut-off 2=11/03/2027 17:00")
    assert r.out == "Nothing to change in eic-accelerator-2027.\n"


def test_drop_deadline_removes_one(fw, watchlist):
    before = watchlist.read_bytes()
    r = fw("edit", "eic-accelerator-2027", "--drop-deadline", "Cut-off 9")
    assert (r.code, r.out) == (1, "")
    assert r.err == (
        "error: --drop-deadline: eic-accelerator-2027 has no deadline labelled 'Cut-off 9' "
        "(its labels: Cut-off 1, Cut-off 2, Cut-off 3)\n"
    )
    assert watchlist.read_bytes() == before
    r = fw("edit", "eic-accelerator-2027", "--drop-deadline", "Cut-off 1",
           "--drop-deadline", "cut-off 3")  # fmt: skip
    assert r.code == 0, r.err
    assert r.out == (
        "Updated eic-accelerator-2027: deadlines.\n"
        "  removed Cut-off 1: 7 Jan 2027 17:00 (Brussels)\n"
        "  removed Cut-off 3: 2 Sep 2027 17:00 (Brussels)\n"
    )
    assert deadlines(fw) == [C2]
    # by its date, for a deadline without a label
    r = fw("edit", "eic-pathfinder-2027", "--set-deadline", "Jury=2027-06-01",
           "--drop-deadline", "05/05/2027")  # fmt: skip
    assert r.code == 0, r.err
    assert deadlines(fw, "eic-pathfinder-2027") == [("2027-06-01", "Jury")]


def test_dropping_the_last_deadline_leaves_a_call_without_a_date_yet(fw, watchlist):
    r = fw("edit", "eic-pathfinder-2027", "--drop-deadline", "2027-05-05")
    assert r.code == 0, r.err
    assert r.out == (
        "Updated eic-pathfinder-2027: deadlines.\n"
        "  removed deadline: 5 May 2027, all day (Brussels)\n"
    )
    assert deadlines(fw, "eic-pathfinder-2027") == []  # TBC


@pytest.mark.parametrize(
    "key", ["eic-accelerator-2027", "HORIZON-EIC-2027-ACCELERATOR-01",
            "horizon-eic-2027-accelerator-01", "eic-acc", "EIC-ACC"],
)  # fmt: skip
def test_show_and_edit_find_a_call_by_id_identifier_or_prefix(fw, watchlist, key):
    r = fw("show", key, "--format", "json", *AS_OF)
    assert r.code == 0, r.err
    assert json.loads(r.out)["id"] == "eic-accelerator-2027"
    r = fw("edit", key, "--notes", f"found by {key}")
    assert r.out == "Updated eic-accelerator-2027: notes.\n"


def test_an_ambiguous_prefix_lists_the_candidates(fw, watchlist):
    before = watchlist.read_bytes()
    for command in (("show", "eic"), ("edit", "eic", "--notes", "x"), ("remove", "eic", "--yes")):
        r = fw(*command)
        assert (r.code, r.out) == (1, "")
        assert r.err == (
            "error: 'eic' could be any of 2 calls: eic-accelerator-2027, eic-pathfinder-2027 "
            "(give more of the id)\n"
        )
    assert watchlist.read_bytes() == before


def test_remove_takes_several_ids(fw, watchlist):
    r = fw("remove", "eic-acc", "no-such-call", "--yes")
    assert (r.code, r.out) == (1, "")
    assert "no-such-call" in r.err
    r = fw("remove", "eic-acc", "eic-pathfinder-2027")
    assert r.code == 2 and "without --yes" in r.err
    r = fw("remove", "HORIZON-EIC-2027-ACCELERATOR-01", "eic-path", "--yes")
    assert r.code == 0, r.err
    assert r.out == "Removed eic-accelerator-2027.\nRemoved eic-pathfinder-2027.\n"
    assert json.loads(fw("list", "--format", "json").out) == []


def test_drop_then_set_the_same_label_replaces_it(fw, watchlist):
    # drops go first whatever the order typed: the pair is never a silent no-op
    r = fw("edit", "eic-acc", "--set-deadline", "Cut-off 2=11/03/2027 17:00",
           "--drop-deadline", "Cut-off 2", *AS_OF)  # fmt: skip
    assert r.code == 0, r.err
    assert deadlines(fw) == [C1, C2_MOVED, C3]
    assert r.out.splitlines()[1:] == [
        "  moved Cut-off 2: 4 Mar 2027 17:00 to 11 Mar 2027 17:00 (Brussels)"
    ]


def test_an_id_in_odd_case_is_that_call_not_a_prefix(fw, watchlist):
    text = watchlist.read_text(encoding="utf-8")
    watchlist.write_text(
        text + '\n[[calls]]\nid = "eic"\ntitle = "EIC"\ndeadline = 2027-06-01\n', encoding="utf-8"
    )
    r = fw("show", "EIC", "--format", "json", *AS_OF)
    assert r.code == 0, r.err
    assert json.loads(r.out)["id"] == "eic"


def test_set_deadline_on_a_label_two_deadlines_share_is_refused(fw, watchlist):
    assert fw("add", "Dup", "--id", "dup", "-d", "S1=01/02/2027", "-d", "s1=01/03/2027").code == 0
    before = watchlist.read_bytes()
    r = fw("edit", "dup", "--set-deadline", "S1=05/03/2027", *AS_OF)
    assert r.code == 1 and "dup has 2 deadlines labelled 'S1'" in r.err, r.err
    assert watchlist.read_bytes() == before


def test_an_id_and_another_calls_identifier_alike_are_both_named(fw, watchlist):
    assert fw("add", "By hand", "--id", "horizon-x").code == 0
    assert fw("add", "Watched", "--id", "w", "--identifier", "HORIZON-X").code == 0
    r = fw("show", "HORIZON-X", *AS_OF)
    assert r.code == 1 and "could be any of 2 calls: horizon-x, w" in r.err, r.err
    assert json.loads(fw("show", "horizon-x", "--format", "json", *AS_OF).out)["id"] == "horizon-x"
