"""The TOML watchlist store: parsing, validation with line numbers, writing, the cache.

Most tests call ``fundwatch.store`` and ``fundwatch.cache`` directly; the concurrency
tests and the "a failed command leaves the file as it was" tests run real processes.
"""

from __future__ import annotations

import json
import marshal
import os
import random
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from fundwatch.domain.errors import WatchlistError
from fundwatch.domain.model import Call, Deadline, sort_deadlines
from fundwatch.domain.query import upcoming_rows
from fundwatch.domain.timeutil import Clock, Duration
from fundwatch.storage import cache, codec, files, store

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "calls.toml"
BXL = "Europe/Brussels"


def toml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in the text {occurrence} times"
    return hits[occurrence - 1]


def parse_ok(text: str, path: Path = Path("calls.toml")) -> codec.Watchlist:
    watchlist, problems = codec.parse(text, path)
    assert problems == []
    return watchlist


def by_id(watchlist: codec.Watchlist) -> dict[str, Call]:
    return {c.id: c for c in watchlist.calls}


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file in ``path``'s folder with its bytes (to compare before and after).

    The empty lock file (``calls.toml.lock``) that a command may leave is not content.
    """
    return {
        p.name: p.read_bytes()
        for p in sorted(path.parent.iterdir())
        if p.is_file() and p.name != path.name + ".lock"
    }


def leftovers(folder: Path) -> list[str]:
    """Files that are neither the watchlist, its backup, nor its lock file."""
    keep = {"calls.toml", "calls.toml.bak", "calls.toml.lock", "config.toml"}
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in keep)


# --- 1. round trip ----------------------------------------------------------------------


def test_sample_round_trip_keeps_every_field(sample: Path) -> None:
    text = sample.read_text(encoding="utf-8")
    first = parse_ok(text)
    dumped = codec.dumps(first)
    second = parse_ok(dumped)

    assert [c.id for c in first.calls] == [
        "eic-ukrainian-tech",
        "ssri-04-open-proposals",
        "ssri-02-uptake-services",
        "eie-investment-ecosystems",
        "soil-living-labs",
        "eic-accelerator-2026",
    ]
    assert second.version == first.version == 1
    assert second.calls == first.calls  # value equality over every field
    for a, b in zip(first.calls, second.calls, strict=True):
        assert (a.id, a.title, a.programme, a.identifier, a.url) == (
            b.id, b.title, b.programme, b.identifier, b.url,
        )  # fmt: skip
        assert (a.timezone, a.tags, a.budget, a.notes, a.opens, a.state) == (
            b.timezone, b.tags, b.budget, b.notes, b.opens, b.state,
        )  # fmt: skip
        assert [(d.at, d.label, d.timezone) for d in a.deadlines] == [
            (d.at, d.label, d.timezone) for d in b.deadlines
        ]
        assert a.extra == b.extra == {}

    calls = by_id(second)
    ua = calls["eic-ukrainian-tech"]
    assert ua.title == "EIC call to support UA tech SMEs and start-ups"
    assert ua.timezone == BXL
    assert ua.tags == ("eic", "ukraine", "sme")
    assert ua.budget == "EUR 20 M"
    assert ua.opens is None
    assert ua.notes == (
        "Call HORIZON-EIC-2025-UKRAINIANTECH-01; the topic id (-01) is inferred from the "
        "2022 predecessor.\nAbout 40 projects expected; civilian applications only; no "
        "similar call planned for 2026."
    )
    assert [(d.at, d.label) for d in ua.deadlines] == [(datetime(2025, 11, 26, 17, 0), None)]
    assert calls["ssri-04-open-proposals"].opens == date(2025, 6, 12)
    soil = calls["soil-living-labs"]
    assert [(d.at, d.label) for d in soil.deadlines] == [
        (datetime(2027, 4, 8, 17, 0), "Stage 1"),
        (datetime(2027, 9, 14, 17, 0), "Stage 2 (invited)"),
    ]
    assert soil.opens == date(2027, 2, 4)
    assert soil.budget is None
    acc = calls["eic-accelerator-2026"]
    assert [d.label for d in acc.deadlines] == [f"Cut-off {n}" for n in range(1, 7)]
    assert acc.deadlines[0].utc == datetime(2026, 1, 7, 16, 0, tzinfo=UTC)

    # stable output: writing what was read back gives the same bytes
    assert codec.dumps(second) == dumped


def test_dumps_single_deadline_is_one_line_and_several_are_inline_tables(sample: Path) -> None:
    dumped = codec.dumps(parse_ok(sample.read_text(encoding="utf-8")))
    assert "\ndeadline = 2025-11-26 17:00:00\n" in dumped
    assert dumped.count("\ndeadline = ") == 4
    assert (
        "\ndeadlines = [\n"
        '    { at = 2027-04-08 17:00:00, label = "Stage 1" },\n'
        '    { at = 2027-09-14 17:00:00, label = "Stage 2 (invited)" },\n'
        "]\n"
    ) in dumped
    assert dumped.count("\ndeadlines = [\n") == 2
    assert dumped.startswith("version = 1\n\n[[calls]]\n")
    # multi-line notes stay multi-line, readable in a diff
    assert '\nnotes = """\nCall HORIZON-EIC-2025-UKRAINIANTECH-01;' in dumped


def test_dumps_forms_for_all_day_and_other_zone_deadlines() -> None:
    call = Call(
        id="x",
        title="X",
        deadlines=(Deadline(date(2026, 6, 30), BXL),),
        timezone=BXL,
    )
    two = Call(
        id="y",
        title="Y",
        deadlines=(
            Deadline(datetime(2026, 1, 20, 17, 0), BXL),
            Deadline(datetime(2026, 2, 20, 12, 0), "Europe/Kyiv", "Kyiv"),
        ),
        timezone=BXL,
    )
    text = codec.dumps(codec.Watchlist([call, two]))
    assert "\ndeadline = 2026-06-30\n" in text
    assert (
        "\ndeadlines = [\n"
        "    { at = 2026-01-20 17:00:00 },\n"
        '    { at = 2026-02-20 12:00:00, label = "Kyiv", timezone = "Europe/Kyiv" },\n'
        "]\n"
    ) in text
    again = parse_ok(text)
    assert again.calls == [call, two]
    assert again.calls[0].deadlines[0].all_day
    assert codec.dumps(again) == text


# --- 2. unknown keys survive a rewrite --------------------------------------------------

UNKNOWN = toml(
    """
    version = 1
    owner = "Cluster Alpha"

    [[calls]]
    id = "a"
    title = "A call"
    priority = 2
    deadline = 2026-01-20T17:00:00

    [calls.portal]
    status = "Open"
    checked = 2025-10-01

    [[calls]]
    id = "b"
    title = "B call"
    deadlines = [
      { at = 2026-03-04T17:00:00, label = "Cut-off 1", reminder = "7d" },
      { at = 2026-05-06T17:00:00, label = "Cut-off 2" },
    ]

    [[calls]]
    id = "c"
    title = "C call"
    deadlines = [{ at = 2026-04-01T12:00:00, room = "B-12" }]
    """
)


def _check_unknown_keys(watchlist: codec.Watchlist) -> None:
    assert watchlist.extra == {"owner": "Cluster Alpha"}
    calls = by_id(watchlist)
    assert calls["a"].extra == {
        "priority": 2,
        "portal": {"status": "Open", "checked": date(2025, 10, 1)},
    }
    assert [d.extra for d in calls["b"].deadlines] == [{"reminder": "7d"}, {}]
    assert [d.extra for d in calls["c"].deadlines] == [{"room": "B-12"}]
    assert calls["c"].deadlines[0].label is None


def test_unknown_keys_are_read() -> None:
    _check_unknown_keys(parse_ok(UNKNOWN))


def test_unknown_keys_survive_dumps() -> None:
    dumped = codec.dumps(parse_ok(UNKNOWN))
    _check_unknown_keys(parse_ok(dumped))
    assert 'owner = "Cluster Alpha"' in dumped
    assert "priority = 2" in dumped
    assert "[calls.portal]" in dumped
    # the one deadline with an unknown key cannot use the one-line form
    assert '{ at = 2026-04-01 12:00:00, room = "B-12" }' in dumped
    assert codec.dumps(parse_ok(dumped)) == dumped


def test_unknown_keys_survive_a_transaction(watchlist: Path) -> None:
    watchlist.write_text(UNKNOWN, encoding="utf-8")
    new = Call(
        id="new-call",
        title="New call",
        deadlines=(Deadline(datetime(2026, 2, 1, 17, 0), BXL),),
    )
    with store.transaction(watchlist) as w:
        w.calls.append(new)
    after = store.load(watchlist, use_cache=False)
    _check_unknown_keys(after)
    assert [c.id for c in after.calls] == ["a", "b", "c", "new-call"]
    assert by_id(after)["new-call"] == new


def test_unknown_keys_survive_cli_edit(fw, watchlist: Path) -> None:
    watchlist.write_text(UNKNOWN, encoding="utf-8")
    r = fw("edit", "a", "--notes", "changed")
    assert r.code == 0, r.err
    after = store.load(watchlist, use_cache=False)
    _check_unknown_keys(after)
    assert by_id(after)["a"].notes == "changed"


# --- 3. hand-written forms --------------------------------------------------------------


def test_hand_written_forms_are_accepted() -> None:
    text = toml(
        """
        [[calls]]
        id = "all-day"
        title = "All day"
        deadline = 2026-06-30

        [[calls]]
        id = "local"
        title = "Local"
        deadline = 2026-01-20T17:00:00

        [[calls]]
        id = "utc"
        title = "Offset UTC"
        timezone = "Europe/Brussels"
        deadline = 2025-11-26T16:00:00Z
        opens = 2025-06-12T08:00:00+00:00

        [[calls]]
        id = "kyiv"
        title = "Offset to Kyiv"
        timezone = "Europe/Kyiv"
        deadline = 2025-11-26T17:00:00+01:00

        [[calls]]
        id = "typed"
        title = "Typed day-first"
        deadline = "26/11/2025 17:00"

        [[calls]]
        id = "typed-date"
        title = "Typed date"
        deadlines = ["12/11/2025", { at = "26 November 2025 17:00", label = "Late" }]

        [[calls]]
        title = "Expanding Investment Ecosystems"
        deadline = 2026-01-20T17:00:00
        """
    )
    w = parse_ok(text)
    assert w.version == codec.FORMAT_VERSION  # no version key: accepted as the current one
    calls = by_id(w)
    assert list(calls) == [
        "all-day", "local", "utc", "kyiv", "typed", "typed-date", "expanding-investment-ecosystems",
    ]  # fmt: skip

    d = calls["all-day"].deadlines[0]
    assert d.at == date(2026, 6, 30)
    assert type(d.at) is date and d.all_day and d.utc is None

    d = calls["local"].deadlines[0]
    assert d.at == datetime(2026, 1, 20, 17, 0) and d.at.tzinfo is None
    assert d.timezone == BXL
    assert d.utc == datetime(2026, 1, 20, 16, 0, tzinfo=UTC)

    utc = calls["utc"]
    assert utc.deadlines[0].at == datetime(2025, 11, 26, 17, 0)  # 16:00Z is 17:00 in Brussels
    assert utc.deadlines[0].at.tzinfo is None
    assert utc.opens == datetime(2025, 6, 12, 10, 0)  # CEST in June

    kyiv = calls["kyiv"]
    assert kyiv.timezone == "Europe/Kyiv"
    assert kyiv.deadlines[0].at == datetime(2025, 11, 26, 18, 0)
    assert kyiv.deadlines[0].timezone == "Europe/Kyiv"
    assert kyiv.deadlines[0].utc == datetime(2025, 11, 26, 16, 0, tzinfo=UTC)

    assert calls["typed"].deadlines[0].at == datetime(2025, 11, 26, 17, 0)
    assert [(d.at, d.label) for d in calls["typed-date"].deadlines] == [
        (date(2025, 11, 12), None),
        (datetime(2025, 11, 26, 17, 0), "Late"),
    ]
    assert calls["expanding-investment-ecosystems"].title == "Expanding Investment Ecosystems"

    # written back in canonical form: TOML date-times, version, and the derived id
    dumped = codec.dumps(w)
    assert dumped.startswith("version = 1\n")
    assert '\nid = "expanding-investment-ecosystems"\n' in dumped
    assert "\ndeadline = 2025-11-26 17:00:00\n" in dumped
    assert "\ndeadline = 2025-11-26 18:00:00\n" in dumped
    assert "\nopens = 2025-06-12 10:00:00\n" in dumped
    assert "12/11/2025" not in dumped and "26 November 2025" not in dumped
    assert "    { at = 2025-11-12 },\n" in dumped
    assert parse_ok(dumped).calls == w.calls


def test_derived_ids_are_unique() -> None:
    text = toml(
        """
        [[calls]]
        title = "Uptake Acceleration Services"
        deadline = 2026-01-20T17:00:00

        [[calls]]
        title = "Uptake acceleration services"
        deadline = 2026-02-20T17:00:00
        """
    )
    assert [c.id for c in parse_ok(text).calls] == [
        "uptake-acceleration-services",
        "uptake-acceleration-services-2",
    ]


def test_derived_id_does_not_take_an_explicit_id_written_later() -> None:
    # The user wrote the id "foo" once; the call without an id must not claim it first.
    text = toml(
        """
        [[calls]]
        title = "Foo"
        deadline = 2026-01-20T17:00:00

        [[calls]]
        id = "foo"
        title = "The real foo"
        deadline = 2026-02-20T17:00:00
        """
    )
    w, problems = codec.parse(text, Path("calls.toml"))
    assert problems == []
    assert [(c.id, c.title) for c in w.calls] == [("foo-2", "Foo"), ("foo", "The real foo")]


# --- 4. malformed files -----------------------------------------------------------------

GOOD = toml(
    """
    version = 1

    [[calls]]
    id = "good"
    title = "Good call"
    deadline = 2026-01-20T17:00:00

    """
)


def bad_call(*lines: str) -> str:
    return GOOD + "[[calls]]\n" + "".join(line + "\n" for line in lines)


BAD = "[[calls]]"  # the header of the second (bad) call; the needle picks its 2nd occurrence

MALFORMED = {
    # name: (text, (needle, occurrence) of the line, words in the message)
    "toml-syntax": (
        bad_call('id = "bad"', "title = Bad call", "deadline = 2026-01-20T17:00:00"),
        ("title = Bad call", 1),
        "invalid value",
    ),
    "impossible-toml-date": (
        bad_call('id = "bad"', 'title = "Bad"', "deadline = 2026-02-31"),
        ("2026-02-31", 1),
        "invalid date",
    ),
    "impossible-string-date": (
        bad_call('id = "bad"', 'title = "Bad"', 'deadline = "31/02/2026"'),
        ("31/02/2026", 1),
        "31/02/2026",
    ),
    "unknown-zone": (
        bad_call('id = "bad"', 'title = "Bad"', 'timezone = "Europe/Brusels"',
                 "deadline = 2026-01-20T17:00:00"),
        ("Europe/Brusels", 1),
        "unknown time zone 'Europe/Brusels'",
    ),
    "unknown-state": (
        bad_call('id = "bad"', 'title = "Bad"', 'state = "applied"',
                 "deadline = 2026-01-20T17:00:00"),
        ('state = "applied"', 1),
        "unknown state 'applied'",
    ),
    "duplicate-id": (
        bad_call('id = "good"', 'title = "Bad"', "deadline = 2026-01-20T17:00:00"),
        ('id = "good"', 2),
        "id 'good' is used twice",
    ),
    "tags-not-text": (
        bad_call('id = "bad"', 'title = "Bad"', "tags = [1, 2]", 'deadline = "TBC"'),
        ("tags = [1, 2]", 1),
        "call 'bad': tags must be a list of text, not [1, 2]",
    ),
    "deadline-and-deadlines": (
        bad_call('id = "bad"', 'title = "Bad"', "deadline = 2026-01-20T17:00:00",
                 "deadlines = [{ at = 2026-02-20T17:00:00 }]"),
        ("deadlines = [", 1),
        "has both 'deadline' and 'deadlines'",
    ),
    "no-title": (
        bad_call('id = "bad"', "deadline = 2026-01-20T17:00:00"),
        (BAD, 2),
        "no title",
    ),
    "version-99": (
        GOOD.replace("version = 1", "version = 99"),
        ("version = 99", 1),
        "format version 99",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_parse_reports_problem_with_its_line(case: str) -> None:
    text, (needle, occurrence), words = MALFORMED[case]
    _, problems = codec.parse(text, Path("calls.toml"))
    assert len(problems) == 1, problems
    assert problems[0].line == line_of(text, needle, occurrence)
    assert words in problems[0].message


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_load_raises_with_path_and_line(case: str, watchlist: Path) -> None:
    text, (needle, occurrence), words = MALFORMED[case]
    watchlist.write_text(text, encoding="utf-8")
    with pytest.raises(WatchlistError) as info:
        store.load(watchlist)
    message = info.value.message
    assert message.startswith(f"{watchlist} line {line_of(text, needle, occurrence)}: ")
    assert words in message


def test_line_numbers_are_right_after_multiline_notes() -> None:
    # lines inside a multi-line string that look like TOML headers or keys are text
    text = bad_call(
        'id = "bad"',
        'title = "Bad"',
        'notes = """',
        "[1] see the work programme, p. 12",
        "timezone = is given in the annex",
        '"""',
        'timezone = "Mars/Olympus"',
        "deadline = 2026-01-20T17:00:00",
    )
    _, problems = codec.parse(text, Path("calls.toml"))
    assert [p.line for p in problems] == [line_of(text, '"Mars/Olympus"')]


def test_load_non_utf8_file(watchlist: Path) -> None:
    watchlist.write_bytes(GOOD.encode("utf-8") + b'[[calls]]\ntitle = "Caf\xe9"\n\x00\xff\xfe')
    with pytest.raises(WatchlistError) as info:
        store.load(watchlist)
    assert info.value.message.startswith(str(watchlist))
    assert "UTF-8" in info.value.message


def test_load_binary_file(watchlist: Path) -> None:
    watchlist.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(WatchlistError) as info:
        store.load(watchlist)
    assert info.value.message.startswith(str(watchlist))


def test_load_directory(watchlist: Path) -> None:
    watchlist.mkdir()
    with pytest.raises(WatchlistError) as info:
        store.load(watchlist)
    assert info.value.message == f"{watchlist} is a folder, not a watchlist file"
    with pytest.raises(WatchlistError):
        store.load(watchlist, use_cache=False)


def test_load_missing_file(watchlist: Path) -> None:
    with pytest.raises(WatchlistError) as info:
        store.load(watchlist)
    assert info.value.message == f"no watchlist at {watchlist}"


def test_load_error_hint_counts_the_other_problems(watchlist: Path) -> None:
    text = bad_call('id = "good"', 'title = "Bad"', 'state = "applied"',
                    "deadline = 2026-01-20T17:00:00")  # fmt: skip
    watchlist.write_text(text, encoding="utf-8")
    with pytest.raises(WatchlistError) as info:
        store.load(watchlist)
    assert info.value.hint == "1 more problem: run `fundwatch check`"


def _every_problem_file() -> tuple[str, list[int]]:
    """One watchlist with a problem in each call (and the version); the expected lines."""
    parts = [
        "version = 99\n\n",
        '[[calls]]\nid = "good"\ntitle = "Good"\ndeadline = 2026-01-20T17:00:00\n\n',
        '[[calls]]\nid = "s"\ntitle = "S"\ndeadline = "31/02/2026"\n\n',
        '[[calls]]\nid = "z"\ntitle = "Z"\ntimezone = "Europe/Brusels"\n'
        "deadline = 2026-01-20T17:00:00\n\n",
        '[[calls]]\nid = "st"\ntitle = "St"\nstate = "applied"\ndeadline = 2026-01-20T17:00:00\n\n',
        '[[calls]]\nid = "good"\ntitle = "Dup"\ndeadline = 2026-01-20T17:00:00\n\n',
        '[[calls]]\nid = "nd"\ntitle = "Tags"\ntags = [1]\n\n',
        '[[calls]]\nid = "both"\ntitle = "Both"\ndeadline = 2026-01-20T17:00:00\n'
        "deadlines = [{ at = 2026-02-20T17:00:00 }]\n\n",
        '[[calls]]\nid = "nt"\ndeadline = 2026-01-20T17:00:00\n',
    ]
    text = "".join(parts)
    lines = [
        line_of(text, "version = 99"),
        line_of(text, '"31/02/2026"'),
        line_of(text, "Europe/Brusels"),
        line_of(text, '"applied"'),
        line_of(text, 'id = "good"', 2),
        line_of(text, "tags = [1]"),
        line_of(text, "deadlines = ["),
        line_of(text, "[[calls]]", 8),
    ]
    return text, lines


def test_parse_reports_every_problem() -> None:
    text, lines = _every_problem_file()
    _, problems = codec.parse(text, Path("calls.toml"))
    assert [p.line for p in problems] == lines


def test_check_lists_every_problem_and_exits_1(fw, watchlist: Path) -> None:
    text, lines = _every_problem_file()
    watchlist.write_text(text, encoding="utf-8")
    r = fw("check")
    assert r.code == 1
    out = r.out.splitlines()
    assert [line.split(":", 1)[0] for line in out] == [f"{watchlist} line {n}" for n in lines]
    assert "format version 99" in out[0]
    assert "31/02/2026" in out[1]
    assert "Europe/Brusels" in out[2]
    assert "applied" in out[3]
    assert "used twice" in out[4]
    assert "tags must be a list of text" in out[5]
    assert "both 'deadline' and 'deadlines'" in out[6]
    assert "no title" in out[7]
    assert r.err == f"error: {watchlist}: 8 problems\n"
    assert watchlist.read_text(encoding="utf-8") == text


def test_check_reports_toml_syntax_error_with_line(fw, watchlist: Path) -> None:
    text, (needle, occurrence), _ = MALFORMED["toml-syntax"]
    watchlist.write_text(text, encoding="utf-8")
    r = fw("check")
    assert r.code == 1
    assert r.out.startswith(f"{watchlist} line {line_of(text, needle, occurrence)}: invalid value")
    assert "Traceback" not in r.err


@pytest.mark.parametrize("kind", ["binary", "directory"])
def test_check_unreadable_watchlist(fw, watchlist: Path, kind: str) -> None:
    if kind == "binary":
        watchlist.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    else:
        watchlist.mkdir()
    r = fw("check")
    assert r.code == 1
    assert r.err.startswith(f"error: {watchlist}")
    assert len(r.err.splitlines()) == 1
    assert "Traceback" not in r.err


def test_check_sample_exits_0(fw, sample: Path) -> None:
    r = fw("check")
    assert r.code == 0, r.err
    assert r.out.endswith(f"{sample}: 6 calls, 12 deadlines, no problems.\n")
    assert r.err == ""


# --- 5. atomic write and backup ---------------------------------------------------------


def test_transaction_keeps_backup_mode_and_leaves_no_temp_files(sample: Path) -> None:
    sample.chmod(0o640)
    original = sample.read_bytes()
    with store.transaction(sample) as w:
        w.remove("eic-ukrainian-tech")
    first = sample.read_bytes()
    assert first != original
    assert files.backup_path(sample) == sample.with_name("calls.toml.bak")
    assert sample.with_name("calls.toml.bak").read_bytes() == original
    assert stat.S_IMODE(sample.stat().st_mode) == 0o640
    assert leftovers(sample.parent) == []
    assert "eic-ukrainian-tech" not in by_id(store.load(sample))

    with store.transaction(sample) as w:
        w.remove("soil-living-labs")
    assert sample.with_name("calls.toml.bak").read_bytes() == first
    assert stat.S_IMODE(sample.stat().st_mode) == 0o640
    assert leftovers(sample.parent) == []
    assert len(store.load(sample).calls) == 4


def test_backup_is_not_more_readable_than_the_watchlist(sample: Path) -> None:
    sample.chmod(0o600)
    with store.transaction(sample) as w:
        w.remove("eic-ukrainian-tech")
    assert stat.S_IMODE(sample.stat().st_mode) == 0o600
    assert stat.S_IMODE(sample.with_name("calls.toml.bak").stat().st_mode) == 0o600


def test_transaction_creates_a_missing_file(watchlist: Path) -> None:
    with store.transaction(watchlist, create=True) as w:
        w.calls.append(Call("x", "X", (Deadline(date(2026, 6, 30), BXL),)))
    assert watchlist.read_text(encoding="utf-8") == (
        'version = 1\n\n[[calls]]\nid = "x"\ntitle = "X"\nstate = "watching"\n'
        'timezone = "Europe/Brussels"\ndeadline = 2026-06-30\n'
    )
    assert not watchlist.with_name("calls.toml.bak").exists()
    assert leftovers(watchlist.parent) == []


def test_transaction_without_create_needs_the_file(watchlist: Path) -> None:
    with pytest.raises(WatchlistError), store.transaction(watchlist):
        pytest.fail("the body must not run")
    assert not watchlist.exists()


def test_transaction_that_changes_nothing_leaves_the_file_alone(sample: Path) -> None:
    # the hand-written sample (with its comments) must not be rewritten for nothing
    before = snapshot(sample)
    with store.transaction(sample) as w:
        assert len(w.calls) == 6
    assert snapshot(sample) == before


def test_cli_edit_that_changes_nothing_leaves_the_file_alone(fw, sample: Path) -> None:
    before = snapshot(sample)
    r = fw("edit", "soil-living-labs", "--state", "watching")
    assert r.code == 0, r.err
    assert r.out == "Nothing to change in soil-living-labs.\n"
    assert snapshot(sample) == before


def test_write_through_a_symlink_updates_the_target(fw_env: dict[str, str], tmp_path: Path) -> None:
    real = tmp_path / "synced" / "calls.toml"
    real.parent.mkdir()
    real.write_bytes(SAMPLE.read_bytes())
    link = tmp_path / "calls.toml"
    link.symlink_to(real)
    with store.transaction(link) as w:
        w.remove("eic-ukrainian-tech")
    assert link.is_symlink()
    assert "eic-ukrainian-tech" not in by_id(store.load(real, use_cache=False))


# --- 6. a failure leaves the file byte-identical ----------------------------------------


def test_exception_inside_transaction_writes_nothing(sample: Path) -> None:
    with store.transaction(sample) as w:
        w.remove("eic-ukrainian-tech")
    before = snapshot(sample)
    assert "calls.toml.bak" in before
    with pytest.raises(RuntimeError, match="boom"), store.transaction(sample) as w:
        w.calls.clear()
        w.extra["junk"] = 1
        raise RuntimeError("boom")
    assert snapshot(sample) == before
    assert leftovers(sample.parent) == []


def test_failed_rename_leaves_file_and_no_temp_files(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sample.read_bytes()
    real_replace = os.replace

    def failing_replace(src, dst):  # the backup lands, the watchlist rename fails
        if Path(dst) == sample:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(WatchlistError, match="No space left on device"), \
            store.transaction(sample) as w:  # fmt: skip
        w.calls.clear()
    monkeypatch.undo()
    assert sample.read_bytes() == original
    assert leftovers(sample.parent) == []


def test_cli_add_with_impossible_date_changes_nothing(fw, sample: Path) -> None:
    before = snapshot(sample)
    r = fw("add", "X", "--deadline", "31/02/2026")
    assert r.code == 1
    assert r.out == ""
    assert r.err.startswith("error: --deadline: '31/02/2026' is not a valid date")
    assert len(r.err.splitlines()) == 1
    assert snapshot(sample) == before


def test_cli_add_to_missing_watchlist_with_bad_date_creates_nothing(fw, watchlist: Path) -> None:
    r = fw("add", "X", "--deadline", "31/02/2026")
    assert r.code == 1
    assert not watchlist.exists()
    assert leftovers(watchlist.parent) == []


def test_cli_edit_unknown_id_changes_nothing(fw, sample: Path) -> None:
    before = snapshot(sample)
    r = fw("edit", "no-such-id", "--notes", "x")
    assert r.code == 1
    assert r.err == ("error: no call with id 'no-such-id' (`fundwatch list` shows the ids)\n")
    assert snapshot(sample) == before


def test_cli_add_to_malformed_watchlist_changes_nothing(fw, watchlist: Path) -> None:
    text, (needle, occurrence), _ = MALFORMED["unknown-state"]
    watchlist.write_text(text, encoding="utf-8")
    before = snapshot(watchlist)
    r = fw("add", "X", "--deadline", "2026-01-20")
    assert r.code == 1
    assert r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"error: {watchlist} line {line_of(text, needle, occurrence)}: call 'bad': unknown state"
    )
    assert snapshot(watchlist) == before


def test_cli_add_to_unparseable_watchlist_changes_nothing(fw, watchlist: Path) -> None:
    text, (needle, occurrence), _ = MALFORMED["toml-syntax"]
    watchlist.write_text(text, encoding="utf-8")
    before = snapshot(watchlist)
    r = fw("add", "X", "--deadline", "2026-01-20")
    assert r.code == 1
    assert r.err.splitlines() == [
        f"error: {watchlist} line {line_of(text, needle, occurrence)}: invalid value"
    ]
    assert snapshot(watchlist) == before


# --- 7. concurrency with real processes -------------------------------------------------


def _spawn(fw_env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fundwatch", *args],
        env=fw_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def test_twenty_concurrent_adds_all_land(fw_env: dict[str, str], watchlist: Path) -> None:
    procs = [_spawn(fw_env, "add", f"Call {n}", "--deadline", f"2026-01-{n}") for n in range(1, 21)]
    results = [(p, *p.communicate(timeout=120)) for p in procs]
    for p, _out, err in results:
        assert (p.returncode, err) == (0, ""), err
    printed = sorted(out.strip() for _, out, _ in results)
    assert printed == sorted(f"call-{n}" for n in range(1, 21))

    w = store.load(watchlist, use_cache=False)
    assert len(w.calls) == 20
    assert len({c.id for c in w.calls}) == 20
    assert {c.id: c.deadlines[0].at for c in w.calls} == {
        f"call-{n}": date(2026, 1, n) for n in range(1, 21)
    }
    assert leftovers(watchlist.parent) == []


def test_readers_never_see_a_half_written_file(fw_env: dict[str, str], sample: Path) -> None:
    writers = [_spawn(fw_env, "add", f"Extra {n}", "--deadline", "2026-02-01") for n in range(8)]
    readers = [_spawn(fw_env, "list", "--format", "json") for _ in range(8)]
    for p in writers + readers:
        out, err = p.communicate(timeout=120)
        assert (p.returncode, err) == (0, "")
        if p in readers:
            ids = [c["id"] for c in json.loads(out)]
            assert 6 <= len(ids) <= 14
    assert len(store.load(sample, use_cache=False).calls) == 14


# --- 8. the cache -----------------------------------------------------------------------


def _cache_files(fw_env: dict[str, str]) -> list[Path]:
    folder = Path(fw_env["FUNDWATCH_CACHE_DIR"])
    return sorted(folder.glob("watchlist-*")) if folder.exists() else []


def _same(a: codec.Watchlist, b: codec.Watchlist) -> None:
    assert a.calls == b.calls
    assert a.version == b.version and a.extra == b.extra
    assert [c.extra for c in a.calls] == [c.extra for c in b.calls]
    assert [[d.extra for d in c.deadlines] for c in a.calls] == [
        [d.extra for d in c.deadlines] for c in b.calls
    ]
    assert [[d.utc for d in c.deadlines] for c in a.calls] == [
        [d.utc for d in c.deadlines] for c in b.calls
    ]


def test_cache_second_load_is_equal(fw_env: dict[str, str], watchlist: Path) -> None:
    watchlist.write_text(UNKNOWN, encoding="utf-8")
    first = store.load(watchlist)
    assert not isinstance(first, cache.Snapshot)
    assert len(_cache_files(fw_env)) == 1
    second = store.load(watchlist)
    assert isinstance(second, cache.Snapshot)
    _same(second, first)
    _same(second, parse_ok(UNKNOWN))


def test_cache_sees_a_changed_file_of_the_same_size(fw_env: dict[str, str], sample: Path) -> None:
    store.load(sample)
    assert isinstance(store.load(sample), cache.Snapshot)
    text = sample.read_text(encoding="utf-8")
    changed = text.replace("2025-11-26T17:00:00", "2025-11-27T17:00:00")
    assert len(changed) == len(text) and changed != text
    with open(sample, "r+", encoding="utf-8") as f:  # in place: same inode, same size
        f.write(changed)
    w = store.load(sample)
    assert by_id(w)["eic-ukrainian-tech"].deadlines[0].at == datetime(2025, 11, 27, 17, 0)
    _same(w, parse_ok(changed))


def test_cache_sees_a_change_with_restored_mtime(fw_env: dict[str, str], sample: Path) -> None:
    st = sample.stat()
    store.load(sample)
    text = sample.read_text(encoding="utf-8")
    changed = text.replace('budget = "EUR 20 M"', 'budget = "EUR 30 M"')
    sample.write_text(changed, encoding="utf-8")
    os.utime(sample, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `cp -p`, rsync -t, tar do
    assert by_id(store.load(sample))["eic-ukrainian-tech"].budget == "EUR 30 M"


def test_cache_sees_an_atomic_replacement(fw_env: dict[str, str], sample: Path) -> None:
    store.load(sample)
    with store.transaction(sample) as w:
        w.remove("soil-living-labs")
    w = store.load(sample)
    assert "soil-living-labs" not in by_id(w)
    assert len(w.calls) == 5
    assert isinstance(store.load(sample), cache.Snapshot)


def test_cache_disabled_by_empty_dir(
    fw_env: dict[str, str], sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNDWATCH_CACHE_DIR", "")
    first = store.load(sample)
    second = store.load(sample)
    assert not isinstance(first, cache.Snapshot)
    assert not isinstance(second, cache.Snapshot)
    _same(first, second)
    assert not Path(fw_env["FUNDWATCH_CACHE_DIR"]).exists()
    assert cache.get(sample, sample.stat()) is None


def _corrupt_garbage(path: Path) -> None:
    path.write_bytes(b"\x00not a marshal file\xff" * 10)


def _corrupt_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _corrupt_empty(path: Path) -> None:
    path.write_bytes(b"")


def _corrupt_blobs(path: Path) -> None:
    # the key still matches, but the pickled calls are damaged (a bit flip on disk)
    key, version, extra, times, owners, blobs = marshal.loads(path.read_bytes())
    blobs = [b[: len(b) // 2] for b in blobs]
    path.write_bytes(marshal.dumps((key, version, extra, times, owners, blobs)))


def _corrupt_shape(path: Path) -> None:
    key, *_ = marshal.loads(path.read_bytes())
    path.write_bytes(marshal.dumps((key, 1)))


@pytest.mark.parametrize(
    "corrupt",
    [_corrupt_garbage, _corrupt_truncated, _corrupt_empty, _corrupt_blobs, _corrupt_shape],
    ids=["garbage", "truncated", "empty", "damaged-calls", "wrong-shape"],
)
def test_corrupt_cache_is_ignored(fw_env: dict[str, str], sample: Path, corrupt) -> None:
    expected = parse_ok(sample.read_text(encoding="utf-8"))
    store.load(sample)
    [cached] = _cache_files(fw_env)
    corrupt(cached)
    w = store.load(sample)
    _same(w, expected)
    assert (
        w.calls_between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
        == expected.calls
    )


@pytest.mark.parametrize(
    "args", [("list",), ("upcoming", "--as-of", "2025-10-08", "--within", "120d")]
)
def test_cli_ignores_a_damaged_cache(fw, fw_env: dict[str, str], sample: Path, args) -> None:
    first = fw(*args, "--format", "json")
    assert first.code == 0, first.err
    [cached] = _cache_files(fw_env)
    _corrupt_blobs(cached)
    again = fw(*args, "--format", "json")
    assert (again.code, again.err) == (0, "")
    assert json.loads(again.out) == json.loads(first.out)


ZONES = [
    "Europe/Brussels", "Europe/Kyiv", "America/New_York", "Asia/Tokyo",
    "Pacific/Kiritimati", "Pacific/Pago_Pago", "Etc/GMT+12", "UTC", "Australia/Lord_Howe",
]  # fmt: skip


def _generated_calls(rng: random.Random, n: int = 300) -> list[Call]:
    calls = []
    base = date(2025, 1, 1)
    for i in range(n):
        tz = rng.choice(ZONES)
        deadlines = []
        for _ in range(rng.choice([1, 1, 1, 2, 3, 6])):
            day = base + timedelta(days=rng.randrange(0, 3 * 365))
            own = rng.choice([tz, tz, tz, rng.choice(ZONES)])
            if rng.random() < 0.3:
                deadlines.append(Deadline(day, own))
            else:
                at = datetime.combine(day, time(rng.randrange(24), rng.choice([0, 30, 59])))
                deadlines.append(Deadline(at, own, rng.choice([None, f"Stage {i}"])))
        seen: set[tuple[object, str]] = set()
        unique = []
        for d in deadlines:  # keep (at, zone) pairs distinct, like a real watchlist
            if (d.at, d.timezone) not in seen:
                seen.add((d.at, d.timezone))
                unique.append(d)
        calls.append(Call(f"call-{i}", f"Call {i}", sort_deadlines(unique), timezone=tz))
    return calls


def _in_window(call: Call, start: datetime, end: datetime) -> bool:
    """Brute force: a timed deadline in [start, end], or an all-day deadline whose day,
    in any zone from UTC-12 to UTC+14, overlaps [start, end]."""
    for d in call.deadlines:
        if d.utc is not None:
            if start <= d.utc <= end:
                return True
        else:
            midnight = datetime.combine(d.at, time(0), tzinfo=UTC)
            if midnight - timedelta(hours=14) <= end and midnight + timedelta(hours=36) > start:
                return True
    return False


def test_calls_between_is_a_superset(fw_env: dict[str, str], watchlist: Path) -> None:
    rng = random.Random(20251008)
    calls = _generated_calls(rng)
    watchlist.write_text(codec.dumps(codec.Watchlist(calls)), encoding="utf-8")
    expected = store.load(watchlist)
    assert expected.calls == calls
    snap = store.load(watchlist)
    assert isinstance(snap, cache.Snapshot)

    windows = [
        (datetime(2025, 10, 8, tzinfo=UTC), datetime(2025, 11, 7, tzinfo=UTC)),
        (datetime(2024, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)),
    ]
    for _ in range(200):
        start = datetime(2024, 12, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 1_700_000))
        length = timedelta(minutes=rng.choice([0, 1, 60, 1440, 10_080, 43_200, 525_600]))
        windows.append((start, start + length))
    # windows that start or end exactly on a deadline, or a zone's midnight before an all-day one
    for call in calls[:60]:
        d = call.deadlines[0]
        edge = d.utc or datetime.combine(d.at, time(0), tzinfo=UTC) - timedelta(hours=14)
        windows += [(edge, edge), (edge - timedelta(days=1), edge), (edge, edge + timedelta(1))]

    for start, end in windows:
        got = snap.calls_between(start, end)
        assert len({c.id for c in got}) == len(got)
        got_ids = {c.id for c in got}
        missing = [c.id for c in calls if _in_window(c, start, end) and c.id not in got_ids]
        assert missing == [], (start, end)
        # a snapshot's calls are the real ones
        assert all(c == by_id(expected)[c.id] for c in got)
    assert snap.calls_between(windows[2][0], windows[2][1]) == []  # nothing in 2030


@pytest.mark.parametrize("display", ["Europe/Brussels", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_calls_between_covers_what_upcoming_shows(
    fw_env: dict[str, str], watchlist: Path, display: str
) -> None:
    rng = random.Random(display)
    calls = _generated_calls(rng)
    watchlist.write_text(codec.dumps(codec.Watchlist(calls)), encoding="utf-8")
    store.load(watchlist)
    snap = store.load(watchlist)
    assert isinstance(snap, cache.Snapshot)
    for _ in range(60):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
        clock = Clock.at(display, day.isoformat())
        span = Duration(days=rng.choice([0, 1, 7, 30, 120]))
        shown = {r.call.id for r in upcoming_rows(calls, clock, span, include_done=True)}
        got = {c.id for c in snap.calls_between(clock.now_utc, span.after(clock.now))}
        assert shown <= got, (display, day, span)


# --- a watchlist that is not a regular file ------------------------------------------------


def test_a_pipe_or_a_device_as_the_watchlist_is_refused(fw, tmp_path):
    import stat

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (("list",), ("add", "X", "--deadline", "2026-01-01"), ("init", "--force")):
        r = fw("--file", str(fifo), *args)
        assert (r.code, r.out) == (1, ""), args
        assert r.err == (
            f"error: {fifo} is not a regular file (a device, a pipe or a socket) "
            "(point --file or FUNDWATCH_FILE at a watchlist file)\n"
        )
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    r = fw("--file", os.devnull, "list")
    assert r.code == 1 and "is not a regular file" in r.err
    if os.geteuid() == 0:  # a device of our own to try writing over (mknod needs root)
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))
        assert fw("--file", str(device), "add", "X", "--deadline", "2026-01-01").code == 1
        assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_write_removes_what_killed_writers_left_and_nothing_else(fw, sample):
    folder = sample.parent
    dead = [folder / ".calls.toml.ab12cd_3.tmp", folder / ".calls.toml.bak.zz99yy00.tmp"]
    others = [folder / ".calls.toml.ics.abcdefgh.tmp", folder / "notes.tmp"]
    for p in dead + others:
        p.write_text("x", encoding="utf-8")
    r = fw("edit", "eic-ukrainian-tech", "--notes", "new")
    assert r.code == 0, r.err
    assert [p.exists() for p in dead + others] == [False, False, True, True]
