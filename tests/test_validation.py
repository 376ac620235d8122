"""One validation of a call's fields for every reader; every error of a source at once;
calls without a deadline yet (TBC)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fundwatch.domain import change, fields
from fundwatch.domain.errors import BadValue, FundwatchError, SourceProblems
from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.query import call_rows
from fundwatch.domain.timeutil import Clock
from fundwatch.importers.csvfile import read_csv
from fundwatch.importers.reader import read_json
from fundwatch.output import presentation, report, terminal
from fundwatch.storage import cache, codec

AS_OF = ("--as-of", "2026-12-01")
CLOCK = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "Europe/Brussels")
STATE_MESSAGE = "unknown state 'applied' (one of watching, preparing, submitted, dropped)"
URL_MESSAGE = (
    "url 'javascript:alert(1)' is not an http(s) address (give an http:// or https:// address)"
)


# --- the rules, once -------------------------------------------------------------------------


def test_tags_split_one_way() -> None:
    assert fields.split_tags("a, b;c\n a ") == ("a", "b", "c")
    assert fields.split_tags(["x, y", "x, y", " "]) == ("x, y",)  # a list item is one tag
    with pytest.raises(BadValue, match=r"tags must be a list of text, not \[1\]"):
        fields.split_tags([1])


@pytest.mark.parametrize("text", ["", " ", "TBC", "tbd", "To be confirmed", "TBC."])
def test_not_yet(text: str) -> None:
    assert fields.not_yet(text)
    assert fields.deadline_text(text, "Europe/Brussels") is None


def test_deadline_text_reads_labels_both_ways() -> None:
    one = fields.deadline_text("Stage 1=08/04/2027", "Europe/Brussels")
    two = fields.deadline_text("Stage 1: 08/04/2027", "Europe/Brussels")
    assert one == two == Deadline(date(2027, 4, 8), "Europe/Brussels", "Stage 1")
    assert fields.deadline_text("Stage 2: TBC", "Europe/Brussels") is None
    with pytest.raises(BadValue, match="'soon' is not a date"):
        fields.deadline_text("Stage 1=soon", "Europe/Brussels")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JAVASCRIPT:x", "mailto:a@b.eu", "www.example.org", "https://"]
)
def test_only_web_addresses(url: str) -> None:
    with pytest.raises(BadValue, match="is not an http\\(s\\) address"):
        fields.check_url(url)


def test_read_call_returns_every_problem_of_a_call() -> None:
    call, problems = fields.read_call(
        {"title": " ", "state": "applied", "url": "javascript:alert(1)", "budget": True,
         "deadlines": ["soon", "TBC", "2027-01-01"], "timezone": "Europe/Brussels"}
    )  # fmt: skip
    assert call is None
    assert [(p.field, p.item) for p in problems] == [
        ("title", None), ("state", None), ("url", None), ("budget", None), ("deadlines", 1),
    ]  # fmt: skip
    assert problems[4].text() == "deadline 1: 'soon' is not a date"


# --- one wording, wherever the value comes from --------------------------------------------


def test_a_bad_state_has_one_wording_in_every_reader(fw, watchlist: Path, tmp_path: Path) -> None:
    watchlist.write_text(
        'version = 1\n\n[[calls]]\nid = "x"\ntitle = "X"\nstate = "applied"\n', encoding="utf-8"
    )
    r = fw("check")
    assert r.out.splitlines()[0] == f"{watchlist} line 6: call 'x': {STATE_MESSAGE}"
    watchlist.unlink()

    (tmp_path / "calls.csv").write_text("Title;Deadline;State\nX;TBC;applied\n", encoding="utf-8")
    r = fw("import", str(tmp_path / "calls.csv"))
    assert (r.code, r.err) == (1, f"error: calls.csv row 2, column C (State): "
                                  f"{STATE_MESSAGE}\n")  # fmt: skip
    data = [{"title": "X", "deadlines": [], "state": "applied"}]
    (tmp_path / "calls.json").write_text(json.dumps(data), encoding="utf-8")
    r = fw("import", str(tmp_path / "calls.json"))
    assert (r.code, r.err) == (1, f"error: calls.json item 1: {STATE_MESSAGE}\n")
    assert not watchlist.exists()


def test_a_javascript_url_is_refused_at_every_door(fw, watchlist: Path, tmp_path: Path) -> None:
    r = fw("add", "X", "--url", "javascript:alert(1)")
    assert (r.code, r.err) == (1, f"error: --url: {URL_MESSAGE}\n")
    (tmp_path / "c.csv").write_text("Title,Deadline,Link\nX,TBC,javascript:alert(1)\n")
    r = fw("import", str(tmp_path / "c.csv"))
    assert r.err == f"error: c.csv row 2, column C (Link): {URL_MESSAGE}\n"
    (tmp_path / "c.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:X\r\n"
        "DTSTART;VALUE=DATE:20270101\r\nURL:javascript:alert(1)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    r = fw("import", str(tmp_path / "c.ics"))
    assert r.err == f"error: c.ics: event 'X': {URL_MESSAGE}\n"
    assert not watchlist.exists()
    # the watchlist's own odd link is read (outputs escape it) and `check` warns of it
    watchlist.write_text(
        'version = 1\n[[calls]]\nid = "x"\ntitle = "X"\nurl = "javascript:alert(1)"\n',
        encoding="utf-8",
    )
    r = fw("check")
    assert r.code == 0
    assert f"{watchlist}: warning: call 'x': url 'javascript:alert(1)' is not" in r.out


# --- every error of a source at once ---------------------------------------------------------


def test_csv_lists_every_bad_row_and_writes_nothing(fw, sample: Path, tmp_path: Path) -> None:
    before = sample.read_bytes()
    rows = ["sep=;", "Title;Deadline;Budget;Tags;State",
            "Clean Aviation;Stage 1: 12/05/2027;Stage 2: 20/10/2027;100 M€;aviation;",
            "Short;12/05/2027",
            "Good;TBC;;x;watching",
            "Bad;soon;;;applied"]  # fmt: skip
    rows += [f"Row {n};31/02/2027;;;" for n in range(60)]
    (tmp_path / "s.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    r = fw("import", str(tmp_path / "s.csv"))
    assert r.code == 1
    lines = r.err.splitlines()
    name = "s.csv"
    assert lines[0] == (
        f"{name} row 2, column F: 6 cells, more than the 5 of the header (a separator too many"
        " or missing? a cell that holds one must be in quotes)"
    )
    assert lines[1].startswith(f"{name} row 3, column C (Budget): 2 cells, fewer than the 5")
    assert lines[2].startswith(f"{name} row 5, column B (Deadline): 'soon' is not a date")
    assert lines[3] == f"{name} row 5, column E (State): {STATE_MESSAGE}"
    assert lines[4].startswith(f"{name} row 6, column B (Deadline): '31/02/2027' is not a valid")
    assert len(lines) == 52
    assert lines[50:] == ["and 14 more", f"error: {name}: 64 problems, nothing imported"]
    assert sample.read_bytes() == before


def test_the_first_line_sep_sets_the_separator(fw, watchlist: Path, tmp_path: Path) -> None:
    # "|" is none of the separators fundwatch guesses: sep= names it
    (tmp_path / "s.csv").write_text("sep=|\nTitle|Deadline\nA,1|15/12/2026\n")
    r = fw("import", str(tmp_path / "s.csv"), *AS_OF)
    assert r.code == 0, r.err
    [call] = json.loads(fw("list", "--format", "json", *AS_OF).out)
    assert (call["title"], call["deadlines"][0]["at"]) == ("A,1", "2026-12-15")
    assert fw("import", str(tmp_path / "s.csv"), *AS_OF).out.endswith("1 unchanged.\n")


@pytest.mark.parametrize(
    ("first", "said"),
    [('"sep=;"', None), ("sep=", "'sep=' names no separator"), ("sep=;;", "'sep=;;' names no")],
)
def test_a_quoted_or_broken_sep_line(fw, watchlist: Path, tmp_path: Path, first, said) -> None:
    (tmp_path / "s.csv").write_text(f"{first}\nTitle;Deadline\nA;15/12/2026\n")
    before = watchlist.read_bytes() if watchlist.exists() else None
    r = fw("import", str(tmp_path / "s.csv"), *AS_OF)
    if said is None:
        assert r.code == 0, r.err
    else:  # not a header row that has no title column
        assert (r.code, r.err.count("\n")) == (1, 1) and said in r.err, r.err
        assert (watchlist.read_bytes() if watchlist.exists() else None) == before


def test_json_lists_every_bad_item() -> None:
    data = json.dumps([
        {"title": "A", "deadlines": ["TBC"], "state": "applied"},
        {"title": "B", "deadline": "soon", "url": "javascript:alert(1)"},
        {"title": "", "deadlines": [{"at": "2026-01-01", "label": 5}, {"at": "2026-02-30"}]},
        3,
        {"title": "ok", "deadline": "TBD", "tags": "a; b"},
    ])  # fmt: skip
    with pytest.raises(SourceProblems) as caught:
        read_json(data, "c.json", "Europe/Brussels")
    assert caught.value.message == "c.json: 7 problems, nothing imported"
    assert caught.value.lines == [
        f"c.json item 1: {STATE_MESSAGE}",
        f"c.json item 2: {URL_MESSAGE}",
        "c.json item 2: deadline: 'soon' is not a date (write DD/MM/YYYY, YYYY-MM-DD or "
        "'26 November 2025', optionally with HH:MM)",
        "c.json item 3: no title",
        "c.json item 3: deadline 1: label must be text, not 5",
        "c.json item 3: deadline 2: '2026-02-30' is not a valid date: day is out of range for "
        "month",
        "c.json item 4: expected an object with a title and deadlines",
    ]


def test_ics_lists_every_bad_event(fw, tmp_path: Path) -> None:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}\r\nSUMMARY:E{n}\r\n{start}END:VEVENT\r\n"
        for n, start in enumerate(["DTSTART:2026XXXX\r\n", "", "DTSTART:20270101\r\n"])
    )
    (tmp_path / "c.ics").write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n")
    r = fw("import", str(tmp_path / "c.ics"))
    assert r.err.splitlines() == [
        "c.ics: event 'E0': its start '2026XXXX' is not a date",
        "c.ics: event 'E1': it has no start (DTSTART)",
        "error: c.ics: 2 problems, nothing imported",
    ]


def test_a_watchlist_with_a_byte_order_mark_reads(fw, sample: Path) -> None:
    plain = fw("list", "--format", "json", *AS_OF).out
    sample.write_bytes(b"\xef\xbb\xbf" + sample.read_bytes())
    assert fw("check").code == 0
    assert fw("list", "--format", "json", *AS_OF).out == plain


# --- calls without a deadline yet ---------------------------------------------------------------


def tbc(**more: object) -> Call:
    return Call(id="t", title="T", deadlines=(), **more)  # type: ignore[arg-type]


def test_a_call_without_deadline_is_forthcoming_until_it_opens() -> None:
    assert tbc().status(CLOCK) == "forthcoming"
    assert tbc(opens=date(2026, 12, 2)).status(CLOCK) == "forthcoming"
    assert tbc(opens=date(2026, 12, 1)).status(CLOCK) == "open"
    assert tbc().next_deadline(CLOCK) is None


def test_tbc_round_trips_through_the_file_and_the_cache(tmp_path: Path, monkeypatch) -> None:
    text = 'version = 1\n\n[[calls]]\nid = "t"\ntitle = "T"\ndeadline = "TBC"\n'
    watchlist, problems = codec.parse(text, Path("calls.toml"))
    assert problems == [] and watchlist.calls[0].deadlines == ()
    written = codec.dumps(watchlist)
    assert "deadline" not in written  # no key at all
    assert codec.parse(written, Path("calls.toml"))[0].calls == watchlist.calls
    monkeypatch.setenv("FUNDWATCH_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "calls.toml"
    path.write_text(written)
    cache.put(path, path.stat(), watchlist)
    got = cache.get(path, path.stat())
    assert got is not None and got.calls == watchlist.calls


def test_tbc_sorts_after_dated_calls() -> None:
    dated = Call(id="z", title="Z", deadlines=(Deadline(date(2027, 5, 1)),))
    rows = call_rows([tbc(), dated], CLOCK)
    assert [r.call.id for r in rows] == ["z", "t"]


def test_tbc_everywhere(fw, watchlist: Path, tmp_path: Path) -> None:
    assert fw("add", "Later call", "--opens", "2027-01-01", *AS_OF).out == "later-call\n"
    assert fw("add", "Dated", "-d", "2027-01-15", *AS_OF).code == 0
    (tmp_path / "c.csv").write_text("Title,Deadline\nSheet call,to be confirmed\n")
    (tmp_path / "c.json").write_text('[{"title": "Json call", "deadline": "tbd"}]')
    for source in ("c.csv", "c.json"):
        r = fw("import", str(tmp_path / source), *AS_OF)
        assert "(deadline TBC)" in r.out, r.err
    listed = fw("list", *AS_OF).out.splitlines()
    assert [line.split()[0] for line in listed[1:5]] == [
        "dated", "json-call", "later-call", "sheet-call"
    ]  # fmt: skip
    assert listed[3].split()[-1] == "TBC" and "forthcoming" in listed[3]
    records = {c["id"]: c for c in json.loads(fw("list", "--format", "json", *AS_OF).out)}
    assert records["later-call"]["deadlines"] == []
    assert records["later-call"]["next_deadline"] is None
    assert "\nTBC" in fw("show", "later-call", *AS_OF).out
    assert [r["call_id"] for r in json.loads(
        fw("upcoming", "--within", "1y", "--format", "json", *AS_OF).out
    )] == ["dated"]  # fmt: skip
    assert fw("export", "ics", *AS_OF).out.count("BEGIN:VEVENT") == 1


# --- one Change, presentation in one place ---------------------------------------------------


def test_one_change_type() -> None:
    from fundwatch.domain import reminder
    from fundwatch.portal import sync

    assert sync.Change is reminder.Change is change.Change
    assert change.Change("x", "moved\x1b[2J", "HORIZON-1").line() == "HORIZON-1: moved\ufffd[2J"


@pytest.mark.parametrize("days", [-1, 0, 3, 4, 14, 15, None])
def test_urgency_is_decided_once(days: int | None) -> None:
    level = presentation.urgency(days)
    assert terminal.urgency_style(days) == {"past": "dim", "urgent": "bold red",
                                            "soon": "yellow", "": ""}[level]  # fmt: skip
    assert (level == "urgent") == (days is not None and 0 <= days <= presentation.URGENT_DAYS)
    assert report.urgency is presentation.urgency


def test_read_csv_in_process_names_rows_and_columns() -> None:
    with pytest.raises(FundwatchError) as caught:
        read_csv("Title,Deadline\nA,soon\n", "x.csv", "Europe/Brussels", None)
    assert str(caught.value).startswith("x.csv row 2, column B (Deadline): 'soon' is not a date")


def test_a_tbc_row_keeps_the_deadlines_a_call_has() -> None:
    from fundwatch.importers import merge

    dated = Call(id="a", title="A", deadlines=(Deadline(date(2027, 5, 1)),), identifier="X-1")
    [incoming] = read_csv("Title,Deadline,Identifier\nA,TBC,X-1\n", "c.csv", "UTC", None)
    merged, outcomes = merge.merge([dated], [incoming], CLOCK)
    assert [o.kind for o in outcomes] == ["unchanged"]
    assert merged[0].deadlines == dated.deadlines
