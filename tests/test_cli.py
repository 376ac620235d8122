"""End-to-end tests of every watchlist command, run as a user or cron would run them.

Each test drives the console script's entry in-process (the ``fw`` fixture of conftest.py:
isolated watchlist, settings and cache, TZ=Europe/Brussels, NO_COLOR=1), freezes
"today" with ``--as-of`` (or FUNDWATCH_AS_OF), and checks output exactly: JSON by
whole objects, CSV byte for byte.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from conftest import ok, one_error
from helpers import md_cells

import fundwatch

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "calls.toml"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
SAMPLE_RAW = {c["id"]: c for c in tomllib.loads(SAMPLE_TEXT)["calls"]}

AS_OF = "2025-10-08"  # the EU Clusters Talk the sample was made for
LATER = "2026-02-01"

CALL_KEYS = [
    "id", "title", "programme", "identifier", "url", "tags", "state", "status", "opens",
    "timezone", "deadlines", "next_deadline", "budget", "notes",
]  # fmt: skip
DEADLINE_KEYS = ["at", "label", "all_day", "days_left"]
UPCOMING_KEYS = [
    "call_id", "title", "programme", "identifier", "url", "at", "label", "all_day", "days_left",
]  # fmt: skip

# The sample's deadlines as `list --format json` states them (ISO 8601 with the offset
# of the call's own zone), and the opening dates.
SAMPLE_DEADLINES: dict[str, list[tuple[str, str | None]]] = {
    "eic-ukrainian-tech": [("2025-11-26T17:00:00+01:00", None)],
    "ssri-04-open-proposals": [("2025-11-12T17:00:00+01:00", None)],
    "ssri-02-uptake-services": [("2025-11-12T17:00:00+01:00", None)],
    "eie-investment-ecosystems": [("2026-01-20T17:00:00+01:00", None)],
    "soil-living-labs": [
        ("2027-04-08T17:00:00+02:00", "Stage 1"),
        ("2027-09-14T17:00:00+02:00", "Stage 2 (invited)"),
    ],
    "eic-accelerator-2026": [
        ("2026-01-07T17:00:00+01:00", "Cut-off 1"),
        ("2026-03-04T17:00:00+01:00", "Cut-off 2"),
        ("2026-05-06T17:00:00+02:00", "Cut-off 3"),
        ("2026-07-08T17:00:00+02:00", "Cut-off 4"),
        ("2026-09-02T17:00:00+02:00", "Cut-off 5"),
        ("2026-11-04T17:00:00+01:00", "Cut-off 6"),
    ],
}
SAMPLE_OPENS = {
    "ssri-04-open-proposals": "2025-06-12",
    "ssri-02-uptake-services": "2025-06-12",
    "eie-investment-ecosystems": "2025-09-10",
    "soil-living-labs": "2027-02-04",
}

BOX_DRAWING = re.compile("[\u2500-\u257f]")


def sample_record(call_id: str, as_of: str, status: str) -> dict:
    """The `list --format json` item of a sample call (all deadlines at 17:00 Brussels)."""
    raw = SAMPLE_RAW[call_id]
    today = date.fromisoformat(as_of)
    deadlines = [
        {
            "at": at,
            "label": label,
            "all_day": False,
            "days_left": (date.fromisoformat(at[:10]) - today).days,
        }
        for at, label in SAMPLE_DEADLINES[call_id]
    ]
    # "now" is 00:00 of the as-of day: a 17:00 deadline on that day has not passed
    ahead = [d for d in deadlines if d["days_left"] >= 0]
    return {
        "id": call_id,
        "title": raw["title"],
        "programme": raw["programme"],
        "identifier": raw["identifier"],
        "url": raw["url"],
        "tags": raw["tags"],
        "state": raw["state"],
        "status": status,
        "opens": SAMPLE_OPENS.get(call_id),
        "timezone": "Europe/Brussels",
        "deadlines": deadlines,
        "next_deadline": ahead[0]["at"] if ahead else None,
        "budget": raw.get("budget"),
        "notes": raw.get("notes"),
    }


def upcoming_record(call_id: str, at: str, label: str | None, days_left: int) -> dict:
    raw = SAMPLE_RAW[call_id]
    return {
        "call_id": call_id,
        "title": raw["title"],
        "programme": raw["programme"],
        "identifier": raw["identifier"],
        "url": raw["url"],
        "at": at,
        "label": label,
        "all_day": False,
        "days_left": days_left,
    }


UPCOMING_120D = [
    upcoming_record("ssri-02-uptake-services", "2025-11-12T17:00:00+01:00", None, 35),
    upcoming_record("ssri-04-open-proposals", "2025-11-12T17:00:00+01:00", None, 35),
    upcoming_record("eic-ukrainian-tech", "2025-11-26T17:00:00+01:00", None, 49),
    upcoming_record("eic-accelerator-2026", "2026-01-07T17:00:00+01:00", "Cut-off 1", 91),
    upcoming_record("eie-investment-ecosystems", "2026-01-20T17:00:00+01:00", None, 104),
]


def usage_error(r) -> None:
    """A command-line mistake: exit 2, no traceback, nothing on stdout."""
    assert r.code == 2, f"exit {r.code}\nstdout: {r.out}\nstderr: {r.err}"
    assert "Traceback" not in r.err
    assert r.out == ""


def as_json(r):
    ok(r)
    return json.loads(r.out)


def ids(records) -> list[str]:
    return [rec.get("id", rec.get("call_id")) for rec in records]


def set_state(path: Path, call_id: str, state: str) -> None:
    """Change one call's state in the watchlist text (no CLI run needed)."""
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition(f'id = "{call_id}"\n')
    assert sep, call_id
    rest = rest.replace('state = "watching"', f'state = "{state}"', 1)
    path.write_text(head + sep + rest, encoding="utf-8")


# --- init ----------------------------------------------------------------------------------


def test_init_empty_refuse_force_and_sample(fw, watchlist):
    r = ok(fw("init"))
    assert str(watchlist) in r.out
    empty = watchlist.read_bytes()
    assert tomllib.loads(empty.decode()) == {"version": 1}

    # an existing watchlist is not replaced without --force
    line = one_error(fw("init", "--sample"))
    assert str(watchlist) in line
    assert "--force" in line
    assert watchlist.read_bytes() == empty

    ok(fw("init", "--sample", "--force"))
    assert watchlist.read_text(encoding="utf-8") == SAMPLE_TEXT
    assert watchlist.with_name(watchlist.name + ".bak").read_bytes() == empty

    r = ok(fw("check"))
    assert r.out == f"{watchlist}: 6 calls, 12 deadlines, no problems.\n"


# --- add -----------------------------------------------------------------------------------


def test_add_prints_only_the_id_and_stores_every_field(fw, watchlist):
    assert not watchlist.exists()
    r = ok(fw(
        "add", "My Call",
        "--deadline", "Stage 1=16/09/2025 17:00", "--deadline", "Stage 2=2026-01-20",
        "--opens", "01/09/2025", "--programme", "Horizon Europe", "--identifier", "HE-X-01",
        "--url", "https://example.org/call", "--tag", "sme", "--tag", "eic",
        "--budget", "1000", "--notes", "two stages", "--state", "preparing",
    ))  # fmt: skip
    assert (r.out, r.err) == ("my-call\n", "")
    assert watchlist.exists()  # add creates the watchlist

    # the same title again gets -2; a date alone stays a date (all-day)
    r = ok(fw("add", "My Call", "--deadline", "26/11/2025"))
    assert (r.out, r.err) == ("my-call-2\n", "")
    r = ok(fw("add", "NY call", "-d", "26/11/2025 17:00", "--timezone", "America/New_York"))
    assert (r.out, r.err) == ("ny-call\n", "")

    calls = {c["id"]: c for c in as_json(fw("list", "--format", "json", "--as-of", AS_OF))}
    assert calls["my-call"] == {
        "id": "my-call",
        "title": "My Call",
        "programme": "Horizon Europe",
        "identifier": "HE-X-01",
        "url": "https://example.org/call",
        "tags": ["sme", "eic"],
        "state": "preparing",
        "status": "open",
        "opens": "2025-09-01",
        "timezone": "Europe/Brussels",
        "deadlines": [
            {
                "at": "2025-09-16T17:00:00+02:00",
                "label": "Stage 1",
                "all_day": False,
                "days_left": -22,
            },
            {"at": "2026-01-20", "label": "Stage 2", "all_day": True, "days_left": 104},
        ],
        "next_deadline": "2026-01-20",
        "budget": 1000,
        "notes": "two stages",
    }
    assert calls["my-call-2"]["deadlines"] == [
        {"at": "2025-11-26", "label": None, "all_day": True, "days_left": 49}
    ]
    assert calls["my-call-2"]["next_deadline"] == "2025-11-26"
    assert calls["ny-call"]["timezone"] == "America/New_York"
    assert calls["ny-call"]["deadlines"] == [
        {"at": "2025-11-26T17:00:00-05:00", "label": None, "all_day": False, "days_left": 49}
    ]


def test_add_date_gets_the_default_deadline_time_from_settings(fw, fw_env):
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text('deadline_time = "17:00"\n', encoding="utf-8")
    assert ok(fw("add", "Timed", "--deadline", "2026-01-20")).out == "timed\n"
    call = as_json(fw("show", "timed", "--format", "json", "--as-of", AS_OF))
    assert call["deadlines"] == [
        {"at": "2026-01-20T17:00:00+01:00", "label": None, "all_day": False, "days_left": 104}
    ]
    assert call["next_deadline"] == "2026-01-20T17:00:00+01:00"


def test_add_mistakes_change_nothing(fw, watchlist):
    # a bad date: exit 1, one line, and no watchlist is created
    line = one_error(fw("add", "X", "--deadline", "31/02/2026"))
    assert "31/02/2026" in line
    assert not watchlist.exists()

    watchlist.write_text(SAMPLE_TEXT, encoding="utf-8")
    before = watchlist.read_bytes()
    assert "not a date" in one_error(fw("add", "X", "--deadline", "someday"))
    assert "Mars/Base" in one_error(fw("add", "X", "-d", "2026-01-20", "--timezone", "Mars/Base"))
    assert "is not an http(s) address" in one_error(fw("add", "X", "--url", "javascript:x()"))
    r = fw("add", "X", "--deadline", "2026-01-20", "--state", "bogus")
    usage_error(r)
    assert "bogus" in r.err
    assert watchlist.read_bytes() == before


# --- show ----------------------------------------------------------------------------------


def test_show_json_is_the_list_item_and_table_lists_deadlines(fw, sample):
    listed = as_json(fw("list", "--format", "json", "--as-of", LATER))
    item = next(c for c in listed if c["id"] == "eic-accelerator-2026")
    shown = as_json(fw("show", "eic-accelerator-2026", "--format", "json", "--as-of", LATER))
    assert shown == item == sample_record("eic-accelerator-2026", LATER, "open")
    assert list(shown) == CALL_KEYS

    r = ok(fw("show", "eic-accelerator-2026", "--as-of", LATER))
    assert "\x1b" not in r.out and not BOX_DRAWING.search(r.out)
    assert "EIC Accelerator 2026 (full proposals)" in r.out
    assert SAMPLE_RAW["eic-accelerator-2026"]["url"] in r.out
    rows = [" ".join(line.split()) for line in r.out.splitlines()]
    for expected in [
        "Wed 7 Jan 2026 17:00 passed Cut-off 1",
        "Wed 4 Mar 2026 17:00 31d Cut-off 2",
        "Wed 6 May 2026 17:00 94d Cut-off 3",
        "Wed 8 Jul 2026 17:00 157d Cut-off 4",
        "Wed 2 Sep 2026 17:00 213d Cut-off 5",
        "Wed 4 Nov 2026 17:00 276d Cut-off 6",
    ]:
        assert expected in rows, r.out

    assert "nope" in one_error(fw("show", "nope"))


# --- edit ----------------------------------------------------------------------------------


def test_edit_replaces_deadlines_clears_notes_and_renames(fw, sample):
    old = "ssri-04-open-proposals"
    ok(fw(
        "edit", old, "--deadline", "Stage 1=01/02/2026 17:00", "--deadline", "2026-03-01",
        "--notes", "", "--id", "ssri-04",
    ))  # fmt: skip
    calls = {c["id"]: c for c in as_json(fw("list", "--format", "json", "--as-of", AS_OF))}
    assert old not in calls
    expected = sample_record(old, AS_OF, "open") | {
        "id": "ssri-04",
        "deadlines": [
            {
                "at": "2026-02-01T17:00:00+01:00",
                "label": "Stage 1",
                "all_day": False,
                "days_left": 116,
            },
            {"at": "2026-03-01", "label": None, "all_day": True, "days_left": 144},
        ],
        "next_deadline": "2026-02-01T17:00:00+01:00",
        "notes": None,
    }
    assert calls["ssri-04"] == expected
    assert len(calls) == 6

    before = sample.read_bytes()
    assert old in one_error(fw("edit", old, "--notes", "x"))
    assert sample.read_bytes() == before


# --- remove --------------------------------------------------------------------------------


def test_remove_needs_yes_without_a_terminal(fw, sample):
    before = sample.read_bytes()
    line = one_error(fw("remove", "eie-investment-ecosystems", input=""), code=2)
    assert "--yes" in line
    assert sample.read_bytes() == before

    ok(fw("remove", "eie-investment-ecosystems", "--yes"))
    left = as_json(fw("list", "--format", "json", "--as-of", AS_OF))
    assert ids(left) == [
        "ssri-02-uptake-services", "ssri-04-open-proposals", "eic-ukrainian-tech",
        "eic-accelerator-2026", "soil-living-labs",
    ]  # fmt: skip

    after = sample.read_bytes()
    assert "eie-investment-ecosystems" in one_error(
        fw("remove", "eie-investment-ecosystems", "--yes")
    )
    assert sample.read_bytes() == after


# --- list ----------------------------------------------------------------------------------


def test_list_json_as_of_the_talk(fw, sample):
    calls = as_json(fw("list", "--format", "json", "--as-of", AS_OF))
    assert calls == [
        sample_record("ssri-02-uptake-services", AS_OF, "open"),
        sample_record("ssri-04-open-proposals", AS_OF, "open"),
        sample_record("eic-ukrainian-tech", AS_OF, "open"),
        sample_record("eic-accelerator-2026", AS_OF, "open"),
        sample_record("eie-investment-ecosystems", AS_OF, "open"),
        sample_record("soil-living-labs", AS_OF, "forthcoming"),
    ]
    for call in calls:
        assert list(call) == CALL_KEYS
        for d in call["deadlines"]:
            assert list(d) == DEADLINE_KEYS


def test_list_json_after_most_deadlines(fw, sample):
    calls = as_json(fw("list", "--format", "json", "--as-of", LATER))
    # open and forthcoming by next deadline, then closed ones, most recently closed first
    assert calls == [
        sample_record("eic-accelerator-2026", LATER, "open"),
        sample_record("soil-living-labs", LATER, "forthcoming"),
        sample_record("eie-investment-ecosystems", LATER, "closed"),
        sample_record("eic-ukrainian-tech", LATER, "closed"),
        sample_record("ssri-02-uptake-services", LATER, "closed"),
        sample_record("ssri-04-open-proposals", LATER, "closed"),
    ]
    assert calls[2]["next_deadline"] is None  # closed: nothing next
    assert calls[2]["deadlines"][0]["days_left"] == -12


def test_list_table_piped(fw, sample):
    r = ok(fw("list", "--as-of", AS_OF))
    assert "\x1b" not in r.out and not BOX_DRAWING.search(r.out)
    rows = [line.split()[0] for line in r.out.splitlines()[1:]]
    assert rows == [
        "ssri-02-uptake-services", "ssri-04-open-proposals", "eic-ukrainian-tech",
        "eic-accelerator-2026", "eie-investment-ecosystems", "soil-living-labs",
    ]  # fmt: skip
    assert "Wed 7 Jan 2026 17:00 [Cut-off 1]   91d" in r.out
    assert "forthcoming  Thu 8 Apr 2027 17:00 [Stage 1]" in r.out


# --- upcoming ------------------------------------------------------------------------------


def test_upcoming_120d_json_csv_and_table(fw, fw_bytes, sample):
    rows = as_json(fw("upcoming", "--as-of", AS_OF, "--within", "120d", "--format", "json"))
    assert rows == UPCOMING_120D
    for row in rows:
        assert list(row) == UPCOMING_KEYS

    code, out, err = fw_bytes("upcoming", "--as-of", AS_OF, "--within", "120d", "--format", "csv")
    assert (code, err) == (0, "")
    url = (
        "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
        "topic-details/"
    )
    assert out.decode("utf-8") == (
        "call_id,title,programme,identifier,url,at,label,all_day,days_left\r\n"
        "ssri-02-uptake-services,Uptake Acceleration Services,"
        "Horizon Europe / Cluster 3: Civil Security for Society,HORIZON-CL3-2025-01-SSRI-02,"
        f"{url}HORIZON-CL3-2025-01-SSRI-02,2025-11-12T17:00:00+01:00,,false,35\r\n"
        "ssri-04-open-proposals,Accelerating uptake through open proposals for advanced SME "
        "innovation,Horizon Europe / Cluster 3: Civil Security for Society,"
        f"HORIZON-CL3-2025-01-SSRI-04,{url}HORIZON-CL3-2025-01-SSRI-04,"
        "2025-11-12T17:00:00+01:00,,false,35\r\n"
        "eic-ukrainian-tech,EIC call to support UA tech SMEs and start-ups,Horizon Europe / EIC,"
        f"HORIZON-EIC-2025-UKRAINIANTECH-01-01,{url}HORIZON-EIC-2025-UKRAINIANTECH-01-01,"
        "2025-11-26T17:00:00+01:00,,false,49\r\n"
        "eic-accelerator-2026,EIC Accelerator 2026 (full proposals),Horizon Europe / EIC,"
        f"HORIZON-EIC-2026-ACCELERATOR-01,{url}HORIZON-EIC-2026-ACCELERATOR-01,"
        "2026-01-07T17:00:00+01:00,Cut-off 1,false,91\r\n"
        "eie-investment-ecosystems,Expanding Investment Ecosystems,"
        "Horizon Europe / European Innovation Ecosystems,HORIZON-EIE-2026-01-CONNECT-02,"
        f"{url}HORIZON-EIE-2026-01-CONNECT-02,2026-01-20T17:00:00+01:00,,false,104\r\n"
    )

    r = ok(fw("upcoming", "--as-of", AS_OF, "--within", "120d"))
    assert "\x1b" not in r.out and not BOX_DRAWING.search(r.out)
    lines = [" ".join(line.split()) for line in r.out.splitlines()]
    assert lines[1:] == [
        "Wed 12 Nov 2025 17:00 35d Uptake Acceleration Services "
        "Horizon Europe / Cluster 3: Civil Security for Society ssri-02-uptake-services",
        "Wed 12 Nov 2025 17:00 35d Accelerating uptake through open proposals for advanced SME "
        "innovation Horizon Europe / Cluster 3: Civil Security for Society ssri-04-open-proposals",
        "Wed 26 Nov 2025 17:00 49d EIC call to support UA tech SMEs and start-ups "
        "Horizon Europe / EIC eic-ukrainian-tech",
        "Wed 7 Jan 2026 17:00 91d EIC Accelerator 2026 (full proposals) Cut-off 1 "
        "Horizon Europe / EIC eic-accelerator-2026",
        "Tue 20 Jan 2026 17:00 104d Expanding Investment Ecosystems "
        "Horizon Europe / European Innovation Ecosystems eie-investment-ecosystems",
    ]


def test_upcoming_default_window_is_30_days(fw, sample):
    # as of 12 Oct the 12 Nov deadlines are 31 days away: outside. Piped, an empty
    # result prints nothing at all, so that cron mails nothing.
    r = ok(fw("upcoming", "--as-of", "2025-10-12"))
    assert (r.out, r.err) == ("", "")
    assert as_json(fw("upcoming", "--as-of", "2025-10-12", "--format", "json")) == []
    # as of 13 Oct they are 30 days away: the window holds the whole 30th day
    rows = as_json(fw("upcoming", "--as-of", "2025-10-13", "--format", "json"))
    assert rows == [
        upcoming_record("ssri-02-uptake-services", "2025-11-12T17:00:00+01:00", None, 30),
        upcoming_record("ssri-04-open-proposals", "2025-11-12T17:00:00+01:00", None, 30),
    ]


def test_upcoming_hides_submitted_and_dropped_unless_asked(fw, sample):
    set_state(sample, "ssri-04-open-proposals", "submitted")
    set_state(sample, "eic-ukrainian-tech", "dropped")
    base = ("upcoming", "--as-of", AS_OF, "--within", "120d", "--format", "json")
    assert ids(as_json(fw(*base))) == [
        "ssri-02-uptake-services", "eic-accelerator-2026", "eie-investment-ecosystems",
    ]  # fmt: skip
    assert as_json(fw(*base, "--all")) == UPCOMING_120D
    assert ids(as_json(fw(*base, "--state", "submitted"))) == ["ssri-04-open-proposals"]
    assert ids(as_json(fw(*base, "--state", "submitted", "--state", "dropped"))) == [
        "ssri-04-open-proposals", "eic-ukrainian-tech",
    ]  # fmt: skip
    # list shows every call whatever its state
    assert len(as_json(fw("list", "--format", "json", "--as-of", AS_OF))) == 6


# --- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # one filter repeated: alternatives
        (["--tag", "eic", "--tag", "security"], [
            "ssri-02-uptake-services", "ssri-04-open-proposals", "eic-ukrainian-tech",
            "eic-accelerator-2026",
        ]),
        # different filters: all must hold
        (["--tag", "SME", "--programme", "eic"],
         ["eic-ukrainian-tech", "eic-accelerator-2026"]),
        (["--status", "forthcoming", "--status", "closed"], ["soil-living-labs"]),
        (["--status", "open", "--search", "soil"], []),
        (["--programme", "cluster 3", "--search", "uptake", "--search", "investment"],
         ["ssri-02-uptake-services", "ssri-04-open-proposals"]),
        (["--search", "stage 2", "--search", "UKRAINIANTECH"],
         ["eic-ukrainian-tech", "soil-living-labs"]),
        (["--state", "watching", "--state", "preparing", "--tag", "two-stage"],
         ["soil-living-labs"]),
    ],
)  # fmt: skip
def test_list_filters(fw, sample, filters, expected):
    assert ids(as_json(fw("list", "--as-of", AS_OF, "--format", "json", *filters))) == expected


def test_upcoming_filters_and_empty_messages(fw, sample):
    rows = as_json(fw(
        "upcoming", "--as-of", AS_OF, "--within", "1y", "--format", "json",
        "--tag", "sme", "--tag", "ecosystems", "--status", "open", "--search", "cut-off",
        "--search", "investment",
    ))  # fmt: skip
    assert [(r["call_id"], r["label"]) for r in rows] == [
        ("eic-accelerator-2026", "Cut-off 1"),
        ("eie-investment-ecosystems", None),
        ("eic-accelerator-2026", "Cut-off 2"),
        ("eic-accelerator-2026", "Cut-off 3"),
        ("eic-accelerator-2026", "Cut-off 4"),
        ("eic-accelerator-2026", "Cut-off 5"),
    ]
    r = ok(fw("list", "--as-of", AS_OF, "--status", "closed"))
    assert (r.out, r.err) == ("", "")


# --- check and config ----------------------------------------------------------------------


def test_check_reports_problems_with_their_lines(fw, watchlist):
    watchlist.write_text(
        'version = 1\n'
        '\n'
        '[[calls]]\n'
        'id = "a"\n'
        'title = "A"\n'
        'state = "bogus"\n'
        'deadline = 2025-11-13\n'
        '\n'
        '[[calls]]\n'
        'id = "b"\n'
        'deadline = 2025-11-13\n',
        encoding="utf-8",
    )  # fmt: skip
    before = watchlist.read_bytes()
    r = fw("check")
    assert r.code == 1
    out = r.out.splitlines()
    assert len(out) == 2
    assert out[0].startswith(f"{watchlist} line 6: ") and "bogus" in out[0]
    assert out[1].startswith(f"{watchlist} line 9: ") and "title" in out[1]
    assert one_error(r) == f"error: {watchlist}: 2 problems"
    assert watchlist.read_bytes() == before


def test_check_warns_but_passes(fw, sample):
    text = SAMPLE_TEXT.replace(
        'identifier = "HORIZON-CL3-2025-01-SSRI-02"', 'identifier = "HORIZON-CL3-2025-01-SSRI-04"'
    )  # two calls now share an identifier
    assert text != SAMPLE_TEXT
    sample.write_text(text, encoding="utf-8")
    r = ok(fw("check"))
    assert r.out.splitlines() == [
        f"{sample}: warning: calls 'ssri-04-open-proposals' and 'ssri-02-uptake-services' "
        "share identifier HORIZON-CL3-2025-01-SSRI-04",
        f"{sample}: 6 calls, 12 deadlines, no problems.",
    ]


def test_config_shows_paths_and_only_the_webhook_host(fw, fw_env, tmp_path):
    secret = "T0000/B0000/XXXXsecretXXXX"
    config = Path(fw_env["FUNDWATCH_CONFIG"])
    config.write_text(
        f'deadline_time = "17:00"\nwebhook = "https://hooks.slack.com/services/{secret}"\n',
        encoding="utf-8",
    )
    from fundwatch.storage.settings import PORTAL_URL

    data = as_json(fw("config", "--format", "json", "--as-of", AS_OF))
    assert data == {
        "watchlist": fw_env["FUNDWATCH_FILE"],
        "settings": str(config),
        "cache": fw_env["FUNDWATCH_CACHE_DIR"],
        "display_timezone": "Europe/Brussels",
        "timezone": "Europe/Brussels",
        "deadline_time": "17:00",
        "portal_url": PORTAL_URL,
        "webhook": "hooks.slack.com",
        "alarms": ["14d", "3d", "1d"],
        "milestones": [],
        "calendar_name": "Funding deadlines",
        "mail_from": None,
        "smtp_host": None,
        "smtp_port": None,
        "smtp_security": "starttls",
        "smtp_user": None,
        "today": AS_OF,
        "version": fundwatch.__version__,
    }
    for fmt in ("table", "csv", "markdown"):
        r = ok(fw("config", "--format", fmt))
        assert "hooks.slack.com" in r.out
        assert secret not in r.out and "secret" not in r.err

    # the environment wins over the setting, and is shown the same way; --file wins too
    other = tmp_path / "other.toml"
    env = {"FUNDWATCH_WEBHOOK": f"https://chat.example.org/hook/{secret}"}
    data = as_json(fw("--file", str(other), "config", "--format", "json", env=env))
    assert data["webhook"] == "chat.example.org"
    assert data["watchlist"] == str(other)


# --- formats -------------------------------------------------------------------------------

FORMULAS = """\
version = 1

[[calls]]
id = "f1"
title = '=HYPERLINK("http://x")'
programme = "=cmd"
tags = ["-x", "ok"]
deadline = 2025-11-01

[[calls]]
id = "f2"
title = "+1"
budget = 250000
deadline = 2025-11-02T17:00:00

[[calls]]
id = "f3"
title = "-2"
budget = "-5"
deadline = 2025-11-03

[[calls]]
id = "f4"
title = "@SUM(A1)"
notes = "  =1+1"
deadline = 2025-09-01
"""


def test_csv_neutralises_formulas_and_keeps_numbers(fw_bytes, watchlist):
    watchlist.write_text(FORMULAS, encoding="utf-8")
    code, out, err = fw_bytes("list", "--as-of", AS_OF, "--format", "csv")
    assert (code, err) == (0, "")
    assert out.decode("utf-8") == (
        "id,title,programme,identifier,url,tags,state,status,opens,timezone,next_deadline,"
        "days_left,deadlines,budget,notes\r\n"
        'f1,"\'=HYPERLINK(""http://x"")",\'=cmd,,,"\'-x; ok",watching,open,,Europe/Brussels,'
        "2025-11-01,24,2025-11-01,,\r\n"
        "f2,'+1,,,,,watching,open,,Europe/Brussels,2025-11-02T17:00:00+01:00,25,"
        "2025-11-02T17:00:00+01:00,250000,\r\n"
        "f3,'-2,,,,,watching,open,,Europe/Brussels,2025-11-03,26,2025-11-03,'-5,\r\n"
        "f4,'@SUM(A1),,,,,watching,closed,,Europe/Brussels,,,2025-09-01,,'  =1+1\r\n"
    )
    code, out, err = fw_bytes("upcoming", "--as-of", AS_OF, "--format", "csv")
    assert (code, err) == (0, "")
    assert out.decode("utf-8") == (
        "call_id,title,programme,identifier,url,at,label,all_day,days_left\r\n"
        'f1,"\'=HYPERLINK(""http://x"")",\'=cmd,,,2025-11-01,,true,24\r\n'
        "f2,'+1,,,,2025-11-02T17:00:00+01:00,,false,25\r\n"
        "f3,'-2,,,,2025-11-03,,true,26\r\n"
    )


def test_markdown_escapes_pipes(fw, watchlist):
    watchlist.write_text(
        'version = 1\n\n[[calls]]\nid = "p"\ntitle = "A | B | C"\n'
        'programme = "X|Y"\nurl = "https://example.org/a|b"\ndeadline = 2025-11-01\n\n'
        '[[calls]]\nid = "q"\ntitle = "ends in a backslash \\\\"\ndeadline = 2025-11-02\n'
        'deadlines_note = "kept"\n',
        encoding="utf-8",
    )
    for command, width in (("list", 6), ("upcoming", 6)):
        r = ok(fw(command, "--as-of", AS_OF, "--format", "markdown"))
        lines = r.out.splitlines()
        assert len(lines) == 4, r.out
        cells = [md_cells(line) for line in lines]
        assert all(len(row) == width for row in cells), r.out
        assert r"A \| B \| C" in lines[2]
        assert r"X\|Y" in lines[2]
        assert "ends in a backslash \\\\" in lines[3]


def test_piped_table_is_plain_and_never_cropped(fw, watchlist):
    long_title = ("Very long title about ecosystems " * 5)[:149] + "Z"
    assert len(long_title) == 150
    watchlist.write_text(
        'version = 1\n\n[[calls]]\nid = "long"\n'
        f'title = "{long_title}"\n'
        'programme = "Horizon Europe / a programme with a long name as well"\n'
        'deadline = 2025-11-01T17:00:00\n\n'
        '[[calls]]\nid = "esc"\ntitle = "\\u001b[31mRed\\u001b[0m title"\n'
        'deadline = 2025-11-02\n',
        encoding="utf-8",
    )  # fmt: skip
    env = {"NO_COLOR": "", "FORCE_COLOR": "1", "COLUMNS": "80"}
    for args in (["list"], ["upcoming"], ["show", "long"], ["show", "esc"]):
        r = ok(fw(*args, "--as-of", AS_OF, env=env))
        assert "\x1b" not in r.out, args
        assert not BOX_DRAWING.search(r.out), args
        if args[-1] != "esc":
            assert long_title in r.out, args
        if args[0] != "show" or args[-1] == "esc":
            assert "Red" in r.out


# --- errors and global options -------------------------------------------------------------

MALFORMED = 'version = 1\n\n[[calls]]\nid = "x"\ntitle = "X"\ndeadline = 2025-13-45\n'


def test_malformed_watchlist_is_one_error_line(fw, watchlist):
    watchlist.write_text(MALFORMED, encoding="utf-8")
    for args in (["list"], ["upcoming", "--format", "json"], ["show", "x"],
                 ["add", "Y", "-d", "2026-01-20"]):  # fmt: skip
        r = fw(*args)
        line = one_error(r)
        assert r.out == ""
        assert f"{watchlist} line 6" in line, args
    assert watchlist.read_text(encoding="utf-8") == MALFORMED


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--debug", "list"], {}),
        (["list", "--debug"], {}),
        (["list"], {"FUNDWATCH_DEBUG": "1"}),
    ],
    ids=["before", "after", "env"],
)
def test_debug_shows_the_traceback(fw, watchlist, args, env):
    watchlist.write_text(MALFORMED, encoding="utf-8")
    r = fw(*args, env=env)
    assert r.code != 0
    assert "Traceback (most recent call last)" in r.err
    assert "line 6" in r.err


def test_global_options_before_and_after_the_command(fw, sample, tmp_path):
    after = ok(fw("upcoming", "--as-of", AS_OF, "--within", "120d", "--format", "json"))
    before = ok(fw("--as-of", AS_OF, "upcoming", "--within", "120d", "--format", "json"))
    from_env = ok(fw("upcoming", "--within", "120d", "--format", "json",
                     env={"FUNDWATCH_AS_OF": AS_OF}))  # fmt: skip
    assert after.out == before.out == from_env.out
    assert json.loads(after.out) == UPCOMING_120D

    # the option after the command wins over the one before it
    r = ok(fw("--as-of", "2020-01-01", "upcoming", "--as-of", AS_OF, "--within", "120d",
              "--format", "json"))  # fmt: skip
    assert r.out == after.out

    # --file for a command that only typer runs
    other = tmp_path / "other.toml"
    other.write_text(SAMPLE_TEXT.replace('id = "eie-', 'id = "zz-eie-'), encoding="utf-8")
    args = ("show", "zz-eie-investment-ecosystems", "--format", "json")
    a = ok(fw("--file", str(other), *args, "--as-of", AS_OF))
    b = ok(fw(*args, "--as-of", AS_OF, "--file", str(other)))
    c = ok(fw("--as-of", AS_OF, "-f", str(other), *args))
    assert a.out == b.out == c.out
    assert json.loads(a.out) == sample_record("eie-investment-ecosystems", AS_OF, "open") | {
        "id": "zz-eie-investment-ecosystems"
    }


def test_display_zone_is_the_system_zone(fw, sample):
    env = {"TZ": "America/New_York"}
    r = ok(fw("upcoming", "--as-of", AS_OF, "--within", "120d", env=env))
    lines = [" ".join(line.split()) for line in r.out.splitlines()]
    assert lines[1].startswith("Wed 12 Nov 2025 11:00 (17:00 Brussels) 35d Uptake Acceleration")
    assert lines[4].startswith("Wed 7 Jan 2026 11:00 (17:00 Brussels) 91d EIC Accelerator 2026")
    # JSON keeps the deadline in its own zone
    assert as_json(fw("upcoming", "--as-of", AS_OF, "--within", "120d", "--format", "json",
                      env=env)) == UPCOMING_120D  # fmt: skip


def test_bad_values_are_one_error_line(fw, sample):
    r = fw("upcoming", "--as-of", AS_OF, "--within", "10x")
    assert "'10x'" in one_error(r)
    assert r.out == ""
    r = fw("list", "--as-of", "31/02/2026")
    line = one_error(r)
    assert "--as-of" in line and "31/02/2026" in line
    r = fw("list", "--status", "bogus")
    usage_error(r)
    assert "bogus" in r.err
    r = fw("list", "--no-such-option")
    usage_error(r)
    assert "--no-such-option" in r.err


def test_window_past_year_9999_is_a_clear_error(fw, sample):
    """A window the calendar cannot hold is the user's bad value, not a crash to report."""
    r = fw("upcoming", "--as-of", AS_OF, "--within", "9999y")
    line = one_error(r)
    assert "9999y" in line
    assert "unexpected" not in line and "please report" not in line


def test_version(fw):
    r = ok(fw("--version"))
    assert r.out == f"fundwatch {fundwatch.__version__}\n"
