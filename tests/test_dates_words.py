"""Issue 11: dates as the portal and Europe write them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime

import pytest

from fundwatch.domain.errors import BadValue
from fundwatch.domain.timeutil import parse_when

BXL = "Europe/Brussels"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16 September 2027 17:00:00 Brussels time", datetime(2027, 9, 16, 17, 0)),
        ("16 September 2027 17:00 (Brussels time)", datetime(2027, 9, 16, 17, 0)),
        ("16/09/2027 17:00 CEST", datetime(2027, 9, 16, 17, 0)),
        ("16/01/2027 17:00 CET", datetime(2027, 1, 16, 17, 0)),
        ("2027-01-16 17:00 CET", datetime(2027, 1, 16, 17, 0)),
        # month names of eight languages (CLDR), with their abbreviations
        ("12 novembre 2025", date(2025, 11, 12)),  # French, Italian
        ("20. Januar 2026", date(2026, 1, 20)),  # German
        ("20 Januar 2026, 17.00 Uhr", datetime(2026, 1, 20, 17, 0)),
        ("12 de noviembre de 2025 17:00", datetime(2025, 11, 12, 17, 0)),  # Spanish
        ("20 febbraio 2026 ore 17:00", datetime(2026, 2, 20, 17, 0)),  # Italian
        ("5 mrt 2026", date(2026, 3, 5)),  # Dutch
        ("5 maart 2026", date(2026, 3, 5)),
        ("12 listopada 2025", date(2025, 11, 12)),  # Polish, genitive
        ("3 paź 2025", date(2025, 10, 3)),
        ("1 de março de 2026", date(2026, 3, 1)),  # Portuguese
        ("1 set. 2026", date(2026, 9, 1)),
        ("12 févr. 2026 à 17h00", datetime(2026, 2, 12, 17, 0)),
        ("12 fevrier 2026", date(2026, 2, 12)),  # typed without the accent
        ("1er décembre 2025", date(2025, 12, 1)),
        ("mercredi 12 novembre 2025", date(2025, 11, 12)),
        ("26 November 2025", date(2025, 11, 26)),
        ("Wed 26 Nov 2025 17:00", datetime(2025, 11, 26, 17, 0)),
        # ISO first and day-first as before
        ("2025-11-12", date(2025, 11, 12)),
        ("12/11/2025 17:00", datetime(2025, 11, 12, 17, 0)),
        ("November 26, 2025", date(2025, 11, 26)),
    ],
)
def test_dates_as_people_write_them(text, expected):
    assert parse_when(text, BXL) == expected


def test_brussels_time_is_restated_in_the_calls_zone():
    assert parse_when("16 September 2027 17:00:00 Brussels time", "Europe/Kyiv") == datetime(
        2027, 9, 16, 18, 0
    )


def test_cet_is_read_in_a_zone_that_keeps_central_european_time():
    assert parse_when("16/09/2027 17:00 CEST", "Europe/Madrid") == datetime(2027, 9, 16, 17, 0)
    for tz in ("Europe/Kyiv", "Europe/London", "America/New_York"):
        with pytest.raises(BadValue, match=f"the call's zone {tz} is not"):
            parse_when("16/09/2027 17:00 CET", tz)


@pytest.mark.parametrize("text", ["31 février 2026", "12 Brumaire 2026", "CET", "12 nov"])
def test_not_dates(text):
    with pytest.raises(BadValue):
        parse_when(text, BXL)


def test_the_month_table_is_read_only_for_a_word_date():
    code = (
        "import sys; from fundwatch.domain.timeutil import parse_when as p; "
        "p('12/11/2025'); p('2025-11-12 17:00'); a = 'fundwatch.domain.monthnames' in sys.modules; "
        "p('12 novembre 2025'); print(a, 'fundwatch.domain.monthnames' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_add_and_edit_read_them(fw):
    r = fw("add", "Soil living labs", "--deadline", "Stage 1: 08/04/2027",
           "--deadline", "Stage 2: 16 September 2027 17:00:00 Brussels time",
           "--opens", "12 novembre 2026")  # fmt: skip
    assert r.code == 0, r.err
    r = fw("edit", "soil", "--set-deadline", "Stage 1: 20. April 2027 17:00 CEST")
    assert r.code == 0, r.err
    call = json.loads(fw("show", "soil", "--format", "json", "--as-of", "2026-12-01").out)
    assert [(d["at"], d["label"]) for d in call["deadlines"]] == [
        ("2027-04-20T17:00:00+02:00", "Stage 1"),
        ("2027-09-16T17:00:00+02:00", "Stage 2"),
    ]
    assert call["opens"] == "2026-11-12"
    r = fw("add", "Kyiv call", "--timezone", "Europe/Kyiv", "--deadline", "16/09/2027 17:00 CET")
    assert r.code == 1
    assert r.err == (
        "error: --deadline: '16/09/2027 17:00 CET' is in Central European Time, but the call's "
        "zone Europe/Kyiv is not (write the time as it is in Europe/Kyiv, or with an offset "
        "such as +01:00)\n"
    )


@pytest.mark.parametrize("text", ["1" + " " * 3000 + "x", "1" + " ," * 3000 + "CET)",
                                  "x" + " brussels" * 1000 + " time",
                                  "12 novembre 2025" + " " * 3000 + "x"])  # fmt: skip
def test_long_runs_of_blanks_are_read_in_linear_time(text):
    """The zone words are searched for without a run of blanks before them, which made a
    search of '1', 500 spaces and 'x' take 30 seconds."""
    import time

    start = time.perf_counter()
    with pytest.raises(BadValue):
        parse_when(text, BXL)
    assert time.perf_counter() - start < 2.0
