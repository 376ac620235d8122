"""The hour that repeats when the clocks go back (25 Oct 2026 in Brussels): a deadline
at the second 02:30 stays there through the file and the cache."""

from __future__ import annotations

import json

import pytest

AS_OF = ("--as-of", "2026-10-01")


def ats(fw):
    r = fw("list", "--format", "json", *AS_OF)
    assert r.code == 0, r.err
    return [d["at"] for c in json.loads(r.out) for d in c["deadlines"]]


@pytest.mark.parametrize(
    ("typed", "at"),
    [
        ("2026-10-25T02:30+01:00", "2026-10-25T02:30:00+01:00"),
        ("2026-10-25T02:30+02:00", "2026-10-25T02:30:00+02:00"),
        ("25/10/2026 02:30 CET", "2026-10-25T02:30:00+01:00"),
        ("25/10/2026 02:30 CEST", "2026-10-25T02:30:00+02:00"),
    ],
)
def test_the_second_0230_is_kept(fw, fw_env, typed, at):
    r = fw("add", "Fold", "-d", typed, *AS_OF)
    assert r.code == 0, r.err
    assert ats(fw) == [at]
    assert ats(fw) == [at]  # read again (from the cache when there is one)


def test_labelled_deadlines_in_the_repeated_hour_keep_their_order(fw, fw_env):
    r = fw("add", "Two", "-d", "A=2026-10-25T02:30+01:00", "-d", "B=2026-10-25T02:30+02:00")
    assert r.code == 0, r.err
    assert ats(fw) == ["2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"]
