"""Issue 12, items 10-14: hostile files and what leaves the tool (ids, CSV separators,
chat mentions, the webhook URL off the command line, CR LF in notes)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from fundwatch.domain.errors import FundwatchError
from fundwatch.domain.model import Call, Deadline, unique_id
from fundwatch.domain.timeutil import DEFAULT_ZONE, Clock, zone
from fundwatch.importers import merge, reader
from fundwatch.importers.source import Source
from fundwatch.output import report
from fundwatch.output.tables import calls_csv, csv_cell
from fundwatch.publishing import webhook
from fundwatch.storage import codec

# --- 10. ids in linear time ------------------------------------------------------------------


class Counting(set[str]):
    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def __contains__(self, value: object) -> bool:
        self.checks += 1
        return super().__contains__(value)


def test_unique_id_with_counters_takes_linear_steps():
    taken, counters = Counting(), {}
    for _ in range(3000):
        taken.add(unique_id("same-title", taken, counters))
    assert len(taken) == 3000 and "same-title-3000" in taken
    assert taken.checks < 3 * 3000  # before: 3000**2 / 2


def test_20000_csv_rows_sharing_a_title_prefix_import_fast():
    text = "title,deadline\n" + "".join(
        f"{'A' * 40} shared prefix {n},2027-03-01\n" for n in range(20_000)
    )
    clock = Clock(datetime(2026, 11, 9, tzinfo=zone(DEFAULT_ZONE)), DEFAULT_ZONE)
    started = time.process_time()
    incoming = reader.read_calls(Source("rows.csv", text.encode(), "csv"), clock, DEFAULT_ZONE,
                                 None, ())  # fmt: skip
    calls, _ = merge.merge([], incoming, clock)
    spent = time.process_time() - started
    assert len({c.id for c in calls}) == 20_000
    assert spent < 5, f"{spent:.1f} s (before: 31.6 s)"


def test_a_watchlist_of_20000_calls_without_ids_loads_fast():
    text = "version = 1\n" + "".join(
        f'\n[[calls]]\ntitle = "{"B" * 40} {n}"\ndeadline = 2027-03-01\n' for n in range(20_000)
    )
    started = time.process_time()
    watchlist = codec.parse_or_raise(text, Path("calls.toml"))
    spent = time.process_time() - started
    assert len({c.id for c in watchlist.calls}) == 20_000
    assert spent < 5, f"{spent:.1f} s (before: 60 s)"


# --- 11. CSV: the other separators -----------------------------------------------------------


def test_cells_with_semicolons_or_tabs_are_quoted_and_each_piece_defused():
    assert csv_cell("Grant;=cmd|' /C calc'!A0") == "Grant;'=cmd|' /C calc'!A0"
    assert csv_cell("ok;@SUM(1+1)") == "ok;'@SUM(1+1)"
    assert csv_cell("a\t+1;-2") == "a\t'+1;'-2"
    assert csv_cell("plain; text") == "plain; text"
    call = Call("g", "Grant;=cmd|' /C calc'!A0", (Deadline(date(2027, 1, 1)),),
                notes="ok;@SUM(1+1)\ttab\t=1")  # fmt: skip
    clock = Clock(datetime(2026, 11, 9, tzinfo=zone("Europe/Brussels")), "Europe/Brussels")
    out = calls_csv([call], clock)
    line = out.split("\r\n")[1]
    assert "\"Grant;'=cmd|' /C calc'!A0\"" in line
    assert "\"ok;'@SUM(1+1)\ttab\t'=1\"" in line
    # as a spreadsheet in most of Europe splits it: no piece starts a formula
    for sep in (";", "\t"):
        for row in csv.reader(io.StringIO(out), delimiter=sep):
            for cell in row:
                assert not cell.lstrip(' "').startswith(("=", "+", "-", "@")), (sep, cell)


def test_csv_with_the_other_separators_round_trips_through_import(fw, tmp_path):
    assert fw("init").code == 0
    title, notes = "Grant;=cmd|' /C calc'!A0", "ok;@SUM(1+1)\t'-x; +y"
    r = fw("add", title, "--deadline", "2027-01-01", "--notes", notes, "--tag", "a", "--tag", "=b")
    assert r.code == 0, r.err
    exported = fw("list", "--format", "csv")
    assert exported.code == 0
    folder = tmp_path
    (folder / "out.csv").write_text(exported.out, encoding="utf-8", newline="")
    other = {"FUNDWATCH_FILE": str(folder / "other.toml")}
    assert fw("import", str(folder / "out.csv"), env=other).code == 0
    back = fw("list", "--format", "json", env=other)
    call = json.loads(back.out)[0]
    assert (call["title"], call["notes"], call["tags"]) == (title, notes, ["a", "=b"])


# --- 12. no mentions in any chat kind ----------------------------------------------------------

HOSTILE = r"@channel @all @here @everyone \@channel <!channel> x@y"


@pytest.fixture(scope="module")
def hostile_reminder():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "twh", Path(__file__).with_name("test_webhook.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("twh", module)
    spec.loader.exec_module(module)
    return module.make_reminder(HOSTILE)


MENTION = re.compile(r"(?<![\w\\])[@\uff20](channel|all|here|everyone)\b")


@pytest.mark.parametrize("kind", webhook.KINDS)
def test_no_at_from_a_title_forms_a_mention(kind, hostile_reminder):
    bodies = webhook.payloads(kind, report.chat(hostile_reminder, kind), hostile_reminder)
    assert bodies
    text = "\n".join(_strings(bodies))
    assert "channel" in text
    # Mattermost unescapes \@ before it looks: take every backslash away as it would
    for shown in (text, text.replace("\\", "")):
        assert not MENTION.search(shown), (kind, MENTION.search(shown))
    assert "@\u2060channel" in text


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


# --- 13. --webhook-file -----------------------------------------------------------------------


def test_webhook_file_and_stdin(fw, sample, server, tmp_path):
    url = server.url()
    f = tmp_path / "hook.txt"
    f.write_text(f"# team chat\n{url}\n", encoding="utf-8")
    f.chmod(0o600)
    r = fw("remind", "--as-of", "2026-01-13", "--within", "400d", "--post", "--webhook-file",
           str(f))  # fmt: skip
    assert r.code == 0, r.err
    assert len(server.requests) == 1
    r = fw("remind", "--as-of", "2026-01-13", "--within", "400d", "--post", "--webhook-file", "-",
           input=url + "\n")  # fmt: skip
    assert r.code == 0, r.err
    assert len(server.requests) == 2
    r = fw("remind", "--post", "--webhook-file", str(tmp_path / "none"))
    assert (r.code, r.err) == (1, f"error: --webhook-file: no file {tmp_path / 'none'}\n")
    r = fw("remind", "--post", "--webhook-file", str(f), "--webhook", url)
    assert r.code == 2 and r.err.count("\n") == 1 and "not both" in r.err


# --- 14. CR LF in notes --------------------------------------------------------------------


def test_readme_says_what_becomes_of_cr_lf(fw):
    assert fw("init").code == 0
    assert fw("add", "T", "--deadline", "2027-01-01", "--notes", "a\r\nb").code == 0
    notes = json.loads(fw("list", "--format", "json").out)[0]["notes"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    if notes == "a\nb":
        assert "CR LF" in readme and "read back as LF" in readme
    else:
        assert notes == "a\r\nb"


# --- 9. CPU in recurring events ---------------------------------------------------------------


def _children_cpu() -> float:
    """CPU seconds of this process and its children (fw runs in-process, or in a child)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime + time.process_time()


def _calendar(rule: str, start: str = "20000101T000000Z", n: int = 1000) -> str:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{i}@x\r\nSUMMARY:Event {i}\r\nDTSTART:{start}\r\n"
        f"RRULE:{rule}\r\nEND:VEVENT\r\n"
        for i in range(n)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{events}END:VCALENDAR\r\n"


@pytest.mark.parametrize(
    ("rule", "start", "imports"),
    [
        ("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "20000101T000000Z", True),  # before: 6.6 s each
        ("FREQ=SECONDLY", "20000101T000000Z", None),  # before: 0.64 s each
        ("FREQ=HOURLY;BYYEARDAY=366;BYMONTH=1;COUNT=2", "00010101T000000Z", False),
    ],
    ids=["30-february", "secondly", "counted-from-year-1"],
)
def test_1000_hostile_repeating_events_import_or_fail_in_one_line_under_5_s(
    fw, tmp_path, rule, start, imports
):
    ics = tmp_path / "hostile.ics"
    ics.write_text(_calendar(rule, start), encoding="utf-8", newline="")
    before = _children_cpu()
    r = fw("import", str(ics), "--as-of", "2026-12-02")
    spent = _children_cpu() - before  # CPU seconds: other work on the machine does not count
    assert spent < 5, f"{spent:.1f} s"
    if imports or (imports is None and r.code == 0):  # None: within the budget or not
        assert r.code == 0 and "1000 added" in r.out, r.err
    else:
        # every bad event is told (issue 11), at most 50 of them and a count: bounded
        lines = r.err.splitlines()
        assert r.code == 1 and len(lines) <= 52, r.err
        assert lines[-1].startswith("error: hostile.ics: ")


def test_past_the_file_budget_an_import_is_one_line(monkeypatch):
    from fundwatch.importers import icsfile

    monkeypatch.setattr(icsfile, "FILE_ITERATIONS", 1000)
    clock = Clock(datetime(2026, 12, 2, tzinfo=zone(DEFAULT_ZONE)), DEFAULT_ZONE)
    text = _calendar("FREQ=SECONDLY", n=50)
    with pytest.raises(FundwatchError) as caught:
        icsfile.read_ics(text, "feed.ics", clock, DEFAULT_ZONE)
    assert caught.value.message.startswith(
        "feed.ics: its repeating events are too costly to expand (more than 1,000 occurrences"
    )


def test_a_moved_start_keeps_the_occurrences():
    from fundwatch.importers.icsfile import _moved_start

    first = datetime(2000, 1, 31, 17, 0, tzinfo=zone("Europe/Brussels"))
    target = datetime(2026, 11, 9, tzinfo=zone("Europe/Brussels"))
    weekly = _moved_start(first, {"FREQ": ["WEEKLY"], "INTERVAL": [2]}, target)
    assert weekly <= target and (weekly - first).days % 14 == 0 and weekly.hour == 17
    monthly = _moved_start(first, {"FREQ": ["MONTHLY"]}, target)
    assert monthly.day == 31 and monthly <= target and monthly.year == 2026
    assert _moved_start(first, {"FREQ": ["DAILY"], "COUNT": [5]}, target) == first


# --- the year limit of the rule library (probe of issue 12) ---------------------------------


def test_the_year_limit_leaves_the_standard_datetime_module_alone():
    import datetime as real

    from dateutil import rrule

    from fundwatch.importers.icsfile import _YearsUpTo

    with _YearsUpTo(2030):
        seen = real.MAXYEAR  # before: 2030, for every thread of the process
        assert rrule.datetime.MAXYEAR == 2030
    assert seen == 9999
    with pytest.raises(ZeroDivisionError), _YearsUpTo(2031):
        1 / 0  # noqa: B018
    assert rrule.datetime.MAXYEAR == real.MAXYEAR == 9999


def test_two_threads_expanding_rules_leave_no_year_limit_behind():
    import datetime as real
    import threading

    from dateutil import rrule

    from fundwatch.importers.icsfile import _YearsUpTo

    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def second() -> None:
        first_in.wait(5)
        with _YearsUpTo(2031):
            second_in.set()
            first_out.wait(5)

    other = threading.Thread(target=second)
    other.start()
    with _YearsUpTo(2030):
        first_in.set()
        # before: the second entered at once, saving our 2030 as what to restore after we
        # had left; now it waits for us (so this wait runs out, briefly)
        second_in.wait(0.1)
    first_out.set()
    other.join(5)
    assert real.MAXYEAR == 9999
    assert rrule.datetime.MAXYEAR == 9999
