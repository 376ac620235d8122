"""Saved portal searches end to end, against the stand-in portal on 127.0.0.1: save,
sync (first run records, later runs report what is new), remind's "New on the portal"
in every format, `watch --new`, and the bounds on what a search may ask."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from localserver import Answer, Portal, cascade_row, json_answer, topic_row

from fundwatch.domain import discovery
from fundwatch.domain.discovery import Found, SavedSearch, read_searches, recorded
from fundwatch.portal.client import bounded_searches, search_query

SEARCH = "smart manufacturing SMEs"
TWIN5 = "HORIZON-CL4-2026-TWIN-01-05"
TWIN7 = "HORIZON-CL4-2026-TWIN-01-07"
OC2 = "SMARTFACT-OC2"
OC3 = "SMARTFACT-OC3"
DAY1 = ("--as-of", "2026-03-02")
DAY2 = ("--as-of", "2026-03-03")
DAY3 = ("--as-of", "2026-03-04")


def twin5() -> dict:
    return topic_row(TWIN5, "Smart manufacturing for SMEs: digital twins", "2026-01-15",
                     ["2026-04-15"])  # fmt: skip


def twin7() -> dict:
    return topic_row(TWIN7, "Smart manufacturing pilots for SMEs", "2026-02-20", ["2026-05-20"])


def oc2() -> dict:
    # 31 Mar 2026 21:59 UTC is 23:59 in Brussels (summer time from 29 Mar)
    return cascade_row(OC2, "Smart manufacturing open call for SMEs", "2026-02-01",
                       "2026-03-31T21:59")  # fmt: skip


@pytest.fixture
def portal(server, fw_env, monkeypatch):
    """The stand-in portal: the fixture's topics, a smart-manufacturing topic and a
    cascade call for SMEs, and an unrelated topic."""
    server.respond = Portal()
    other = topic_row("LIFE-2026-CLIMA-01", "Climate adaptation", "2026-01-10", ["2026-06-01"],
                      programme="43252405")  # fmt: skip
    server.respond.add(twin5(), oc2(), other)
    url = f"http://{server.host}/search-api/prod/rest/search"
    fw_env["FUNDWATCH_PORTAL_URL"] = url
    monkeypatch.setenv("FUNDWATCH_PORTAL_URL", url)
    return server


@pytest.fixture
def saved(fw, portal, watchlist):
    r = fw("search", "smart manufacturing", "--save", SEARCH, "--format", "json", *DAY1)
    assert r.code == 0, r.err
    assert sorted(t["identifier"] for t in json.loads(r.out)) == sorted([OC2, TWIN5])
    assert r.err == (
        f"Saved search '{SEARCH}': 2 topics recorded; `fundwatch sync` reports the new "
        "ones it finds.\n"
    )
    portal.requests.clear()
    return watchlist


def searches_table(watchlist) -> list[dict]:
    return tomllib.loads(watchlist.read_text(encoding="utf-8"))["searches"]


def test_the_whole_way_from_a_saved_search_to_the_watchlist(fw, portal, saved):
    [table] = searches_table(saved)
    assert (table["name"], table["text"]) == (SEARCH, "smart manufacturing")
    assert sorted(table["seen"]) == sorted([OC2, TWIN5])
    # first sync: nothing new (everything was recorded when it was saved)
    r = fw("sync", *DAY1)
    assert (r.code, r.out, r.err) == (0, "", "")
    assert len(portal.requests) == 1  # one page of the one search; no call to look up
    # the portal publishes a topic; the next sync reports it
    portal.respond.add(twin7())
    r = fw("sync", *DAY2)
    assert r.code == 0, r.err
    assert r.out == (
        f"new for '{SEARCH}': {TWIN7} \"Smart manufacturing pilots for SMEs\", closes 20 May 2026\n"
    )
    # remind shows it in every format
    text = fw("remind", "--format", "text", *DAY3).out
    assert "New on the portal" in text and TWIN7 in text
    assert "1 new on the portal" in text.splitlines()[0]
    md = fw("remind", "--format", "markdown", *DAY3).out
    assert "**New on the portal**" in md
    assert "[Smart manufacturing pilots for SMEs](https://ec.europa.eu/" in md
    page = fw("remind", "--format", "html", *DAY3).out
    assert ">New on the portal</h2>" in page and f'/topic-details/{TWIN7}"' in page
    data = json.loads(fw("remind", "--format", "json", *DAY3).out)
    assert data["new_topics"] == [
        {
            "search": SEARCH,
            "identifier": TWIN7,
            "title": "Smart manufacturing pilots for SMEs",
            "kind": "topic",
            "status": "open",
            "opens": "2026-02-20",
            "next_deadline": "2026-05-20T17:00:00+02:00",
            "url": "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen"
            f"/opportunities/topic-details/{TWIN7}",
        }
    ]
    rows = list(csv.reader(io.StringIO(fw("remind", "--format", "csv", *DAY3).out)))
    [new] = [row for row in rows if row[0] == "new"]
    assert new[5] == TWIN7 and new[-1] == f"new for '{SEARCH}' (topic, open)"
    # watch --new adds it; the next reminder no longer calls it new
    r = fw("watch", "--new", *DAY3)
    assert (r.code, r.out) == (0, f"{TWIN7.lower()}\n"), r.err
    call = json.loads(fw("show", TWIN7.lower(), "--format", "json", *DAY3).out)
    assert call["deadlines"][0]["at"] == "2026-05-20T17:00:00+02:00"
    text = fw("remind", "--format", "text", "--within", "3m", *DAY3).out
    assert "New on the portal" not in text
    assert "Smart manufacturing pilots for SMEs" in text  # now as a watched deadline
    data = json.loads(fw("remind", "--format", "json", "--within", "3m", *DAY3).out)
    assert data["new_topics"] == [] and data["due"]


def test_chat_payloads_carry_the_new_topics(fw, portal, saved, server):
    portal.respond.add(twin7())
    assert fw("sync", *DAY2).code == 0
    hooks = "/hooks/abc"
    base = f"http://{server.host}"
    real = portal.respond
    portal.respond = lambda seen: Answer() if seen.route == hooks else real(seen)
    for kind in ("slack", "mattermost", "teams"):  # text, Markdown, an Adaptive Card
        portal.requests.clear()
        r = fw("remind", "--post", "--webhook", base + hooks, "--post-format", kind, *DAY3)
        assert r.code == 0, r.err
        [sent] = [s for s in portal.requests if s.route == hooks]
        body = json.dumps(sent.json)
        assert "New on the portal" in body and "Smart manufacturing pilots for SMEs" in body


def test_remind_shows_a_new_topic_while_its_window_covers_the_sync(fw, portal, saved):
    portal.respond.add(twin7())
    assert fw("sync", *DAY2).code == 0
    week = fw("remind", "--format", "json", "--within", "7d", "--as-of", "2026-03-09")
    assert [t["identifier"] for t in json.loads(week.out)["new_topics"]] == [TWIN7]
    later = fw("remind", "--format", "json", "--within", "7d", "--as-of", "2026-03-11")
    assert (later.code, later.out) == (0, "")  # nothing else to say either
    # a quiet sync in between does not drop it
    assert fw("sync", *DAY3).out == ""
    week = fw("remind", "--format", "json", "--within", "7d", "--as-of", "2026-03-09")
    assert [t["identifier"] for t in json.loads(week.out)["new_topics"]] == [TWIN7]


def test_a_new_cascade_call_keeps_its_own_deadline_time(fw, portal, saved):
    oc3 = cascade_row(OC3, "Smart manufacturing open call 3 for SMEs", "2026-03-01",
                      "2026-04-30T10:00")  # fmt: skip
    portal.respond.add(oc3)
    r = fw("sync", *DAY2)
    assert r.out == (
        f"new for '{SEARCH}': {OC3} \"Smart manufacturing open call 3 for SMEs\", "
        "closes 30 Apr 2026 12:00 (Brussels)\n"
    )
    [new] = json.loads(fw("remind", "--format", "json", *DAY3).out)["new_topics"]
    assert (new["kind"], new["next_deadline"]) == ("cascade", "2026-04-30T12:00:00+02:00")
    assert new["url"].startswith("https://ec.europa.eu/") and "competitive-calls-cs/" in new["url"]
    # the portal has no identifier field to look a cascade call up by: watch uses what
    # the search found
    r = fw("watch", "--new", "--search", SEARCH.upper(), *DAY3)
    assert r.code == 0, r.err
    [call] = json.loads(fw("list", "--format", "json", *DAY3).out)
    assert call["identifier"] == OC3
    assert call["deadlines"][0]["at"] == "2026-04-30T12:00:00+02:00"
    # and sync finds it by its call identifier: nothing changed
    portal.requests.clear()
    r = fw("sync", *DAY3)
    assert (r.code, r.out) == (0, "")
    assert [list(s.parts["query"].json["bool"]["must"][0]["terms"]) for s in portal.requests][
        :2
    ] == [["identifier"], ["callIdentifier"]]


def test_a_topic_already_watched_is_not_new(fw, portal, saved):
    portal.respond.add(twin7())
    assert fw("watch", TWIN7, *DAY1).code == 0
    portal.requests.clear()
    r = fw("sync", *DAY2)
    assert (r.code, r.out) == (0, "")
    assert TWIN7 in searches_table(saved)[0]["seen"]
    r = fw("watch", "--new", *DAY2)
    assert (r.code, r.out) == (0, "")
    assert r.err == "No new topics to watch from the last sync (none).\n"


def test_the_first_run_of_a_search_written_by_hand_records_and_says_how_many(fw, portal, watchlist):
    watchlist.write_text(
        'version = 1\n\n[[searches]]\nname = "Twins"\ntext = "digital twins"\nkind = ["topic"]\n',
        encoding="utf-8",
    )
    before = watchlist.read_bytes()
    r = fw("sync", "--dry-run", *DAY1)
    assert (
        r.out == "'Twins': first run, 1 topic would be recorded (later syncs report the new ones)\n"
    )
    assert watchlist.read_bytes() == before
    r = fw("sync", *DAY1)
    assert (r.code, r.out) == (0, "'Twins': first run, 1 topic recorded (later syncs report "
                                  "the new ones)\n")  # fmt: skip
    [table] = searches_table(watchlist)
    assert table["seen"] == [TWIN5] and table["count"] == 1 and table["kind"] == ["topic"]
    assert fw("sync", *DAY2).out == ""
    # the hand-written part reads back as written
    text = watchlist.read_text(encoding="utf-8")
    assert 'name = "Twins"\ntext = "digital twins"\nkind = [\n    "topic",\n]' in text
    # edited by hand: the next run starts afresh, reporting nothing
    watchlist.write_text(text.replace('"digital twins"', '"smart manufacturing"'), "utf-8")
    r = fw("sync", *DAY2)
    assert r.out.startswith("'Twins': first run, 1 topic recorded")
    [table] = searches_table(watchlist)
    assert table["seen"] == [TWIN5]  # the cascade call is not a topic


def test_filters_go_to_the_portal_as_terms_and_dates_are_ours(fw, portal, watchlist):
    r = fw("search", "smart manufacturing", "--format", "json", *DAY1)
    must = portal.requests[-1].parts["query"].json["bool"]["must"]
    assert must[0] == {"terms": {"type": ["1", "8"]}}  # topics and cascade calls by default
    assert portal.requests[-1].query["text"] == "smart manufacturing"
    assert sorted(t["identifier"] for t in json.loads(r.out)) == sorted([OC2, TWIN5])
    r = fw("search", "smart manufacturing", "--kind", "cascade", "--format", "json", *DAY1)
    assert [t["identifier"] for t in json.loads(r.out)] == [OC2]
    assert portal.requests[-1].parts["query"].json["bool"]["must"][0] == {"terms": {"type": ["8"]}}
    r = fw("search", "--kind", "external", "--programme", "43252405", "--format", "json", *DAY1)
    must = portal.requests[-1].parts["query"].json["bool"]["must"]
    assert must[0] == {"terms": {"type": ["2"]}}
    assert must[2] == {"terms": {"frameworkProgramme": ["43252405"]}}
    # closing within 30 days of 2 March: the cascade call (31 Mar), not the topic (15 Apr)
    r = fw("search", "smart", "--closing-within", "30d", "--format", "json", *DAY1)
    assert [t["identifier"] for t in json.loads(r.out)] == [OC2]
    sent = portal.requests[-1]
    assert "range" not in sent.parts["query"].content.decode()
    # opening within 2 weeks of 10 Feb: the topic opening 20 Feb, none of the open ones
    portal.respond.add(twin7())
    r = fw("search", "smart", "--opening-within", "2w", "--format", "json", "--as-of", "2026-02-10")
    assert [t["identifier"] for t in json.loads(r.out)] == [TWIN7]
    r = fw("search", "--programme", "LIFE", "--format", "json", *DAY1)
    assert [t["identifier"] for t in json.loads(r.out)] == ["LIFE-2026-CLIMA-01"]


def test_filters_are_saved_and_run_again(fw, portal, watchlist):
    r = fw("search", "smart", "--kind", "cascade", "--closing-within", "30d", "--status", "open",
           "--save", "Cascade soon", "--format", "json", *DAY1)  # fmt: skip
    assert r.code == 0, r.err
    [table] = searches_table(watchlist)
    assert table["kind"] == ["cascade"] and table["closing_within"] == "30d"
    assert table["status"] == ["open"]
    r = fw("search", "--saved", "cascade soon", "--format", "json", *DAY1)
    assert [t["identifier"] for t in json.loads(r.out)] == [OC2]
    listed = json.loads(fw("searches", "--format", "json", *DAY1).out)
    assert listed == [
        {
            "name": "Cascade soon",
            "text": "smart",
            "status": ["open"],
            "programme": [],
            "kind": ["cascade"],
            "closing_within": "30d",
            "opening_within": None,
            "last_run": listed[0]["last_run"],
            "count": 1,
            "too_broad": False,
            "seen": 1,
            "new_at_last_run": 0,
        }
    ]
    text = fw("searches", *DAY1).out
    assert "Cascade soon" in text and "status open; kind cascade; closing within 30d" in text


def test_searches_remove_and_the_mistakes(fw, portal, saved):
    r = fw("search", "other", "--save", SEARCH.upper(), *DAY1)
    assert r.code == 1 and r.err.startswith(
        f"error: there is already a saved search named '{SEARCH.upper()}'"
    )
    r = fw("search", "--saved", "nope", *DAY1)
    assert (r.code, r.err) == (1, f"error: no saved search named 'nope' (saved: '{SEARCH}')\n")
    r = fw("search", "x", "--saved", SEARCH, *DAY1)
    assert r.code == 2 and r.err.startswith("error: --saved NAME runs the search as it was saved")
    r = fw("watch", "--search", SEARCH, *DAY1)
    assert r.code == 2
    r = fw("search", "x", "--kind", "tender", *DAY1)
    assert r.code == 2 and "tender" in r.err
    r = fw("search", "x", "--closing-within", "soon", *DAY1)
    assert r.code == 1 and r.err.startswith("error: --closing-within: 'soon' is not a duration")
    before = saved.read_bytes()
    r = fw("searches", "remove", "nope", *DAY1)
    assert r.code == 1 and saved.read_bytes() == before
    r = fw("searches", "remove", SEARCH, *DAY1)
    assert (r.code, r.out) == (0, f"Removed saved search '{SEARCH}'.\n")
    assert "searches" not in tomllib.loads(saved.read_text(encoding="utf-8"))
    r = fw("searches", *DAY1)
    assert (r.code, r.out) == (0, "")


def test_a_search_that_is_too_broad_is_said_with_its_count(fw, portal, saved):
    many = [topic_row(f"HORIZON-CL4-2026-MASS-{i:03d}", f"Mass topic {i}", "2026-01-01",
                      ["2026-06-01"]) for i in range(301)]  # fmt: skip
    portal.respond.add(*many)
    before = saved.read_bytes()
    r = fw("search", "mass", "--save", "Mass", *DAY1)
    assert r.code == 1 and saved.read_bytes() == before
    assert r.err.startswith("error: 'Mass' is too broad: the portal has 301 results for it")
    assert len([s for s in portal.requests if s.route.endswith("/search")]) == 1
    # a saved search that grew too broad: one request, a warning, nothing recorded
    text = saved.read_text(encoding="utf-8").replace('"smart manufacturing"', '"***"')
    saved.write_text(text, encoding="utf-8")
    portal.requests.clear()
    r = fw("sync", *DAY2)
    assert (r.code, r.out) == (0, "")
    total = len(portal.respond.rows) - 2  # less the two rows of other programmes' kinds
    assert r.err.startswith(f"warning: saved search '{SEARCH}' is too broad: the portal has ")
    assert "results for it (at most 300); nothing recorded" in r.err
    assert len(portal.requests) == 1
    [table] = searches_table(saved)
    assert table["too_broad"] is True and table["count"] > 300 and total > 300
    assert sorted(table["seen"]) == sorted([OC2, TWIN5])
    assert "too broad (" in fw("searches", *DAY2).out


@pytest.mark.parametrize(
    ("results", "requests", "broad"),
    [(0, 1, False), (99, 1, False), (100, 1, False), (250, 3, False), (300, 3, False),
     (301, 1, True)],
)  # fmt: skip
def test_a_search_takes_at_most_four_requests(server, results, requests, broad):
    server.respond = Portal([
        topic_row(f"HORIZON-CL4-2026-BULK-{i:03d}", f"Bulk topic {i}", "2026-01-01",
                  ["2026-06-01"]) for i in range(results)
    ])  # fmt: skip
    url = f"http://{server.host}/search"
    [answer] = bounded_searches(url, [("bulk", search_query())], progress=False)
    assert len(server.requests) == requests <= 4
    assert (answer.total, answer.too_broad) == (results, broad)
    assert len(answer.topics) == (0 if broad else results)


def test_a_search_without_a_count_stops_past_the_bound(server):
    rows = [topic_row(f"HORIZON-CL4-2026-BULK-{i:03d}", f"Bulk topic {i}", "2026-01-01",
                      ["2026-06-01"]) for i in range(400)]  # fmt: skip
    pages = [json_answer({"results": rows[n * 100 : (n + 1) * 100]}) for n in range(4)]
    server.answers(*pages)
    [answer] = bounded_searches(f"http://{server.host}/search", [("***", search_query())],
                                progress=False)  # fmt: skip
    assert len(server.requests) == 4
    assert (answer.total, answer.too_broad, answer.topics) == (400, True, [])


def test_recorded_first_run_then_new_ones_less_the_watched():
    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)

    def found(identifier: str) -> Found:
        return Found("s", identifier, identifier.title(), "topic", None, (), None, None, now)

    search = SavedSearch("s")
    first, fresh = recorded(search, [found("A"), found("B")], [], now)
    assert (first.seen, fresh, first.hits) == (("A", "B"), [], 2)
    later = now + timedelta(days=1)
    second, fresh = recorded(first, [found("a"), found("C"), found("D")], ["d"], later)
    assert [f.identifier for f in fresh] == ["C"] and fresh[0].found == later
    assert second.seen == ("A", "B", "C", "D") and second.latest() == fresh
    # the table reads back as written
    again = read_searches({"searches": discovery.searches_table([second])})
    assert again == [second._replace(extra={})]
    # reports older than KEEP_NEW go at the next run
    third, _ = recorded(second, [], [], later + timedelta(days=93))
    assert third.new == ()


def test_sync_failure_of_a_search_writes_nothing(fw, portal, saved):
    portal.respond.add(twin7())
    assert fw("watch", TWIN5, *DAY1).code == 0
    before = saved.read_bytes()
    real = portal.respond

    def failing(seen):
        if b'"identifier"' in seen.parts["query"].content:
            return real(seen)
        return Answer(400, body=b"no")  # not retried: the test stays quick

    portal.respond = failing
    r = fw("sync", *DAY2, env={"FUNDWATCH_PORTAL_TIMEOUT": "2"})
    assert r.code == 1 and r.out == ""
    assert saved.read_bytes() == before


def test_a_bad_saved_search_table_is_one_error_line(fw, portal, watchlist):
    watchlist.write_text('version = 1\n\n[[searches]]\ntext = "x"\n', encoding="utf-8")
    r = fw("sync", *DAY1)
    assert r.code == 1
    [line] = r.err.splitlines()
    assert line.startswith("error: the watchlist's saved searches: [[searches]] number 1: ")
    watchlist.write_text(
        'version = 1\n\n[[searches]]\nname = "a"\nkind = ["tender"]\n', encoding="utf-8"
    )
    r = fw("searches")
    assert r.code == 1 and "unknown kind 'tender'" in r.err
    watchlist.write_text(
        'version = 1\n\n[[searches]]\nname = "a"\nprogramme = ["Marshall Plan"]\n',
        encoding="utf-8",
    )
    r = fw("sync")
    assert r.code == 1 and r.err.startswith(
        "error: saved search 'a': no portal programme matches 'Marshall Plan'"
    )
    assert portal.requests == []


def test_check_says_what_is_wrong_with_a_saved_search(fw, portal, watchlist):
    watchlist.write_text(
        'version = 1\ncalls = []\n\n[[searches]]\nname = "a"\nkind = ["tender"]\n\n'
        '[[searches]]\nname = "b"\n',
        encoding="utf-8",
    )
    r = fw("check")
    assert r.code == 1
    assert "[[searches]] number 1: unknown kind 'tender'" in r.out
    watchlist.write_text(
        'version = 1\ncalls = []\n\n[[searches]]\nname = "a"\nprogramme = ["Marshall Plan"]\n',
        encoding="utf-8",
    )
    r = fw("check")
    assert r.code == 1 and "saved search 'a': no portal programme matches 'Marshall Plan'" in r.out
    assert portal.requests == []


def test_searches_remove_takes_away_a_search_that_cannot_be_read(fw, portal, watchlist):
    # the error for a broken search says to remove it: that has to work
    watchlist.write_text(
        'version = 1\ncalls = []\n\n[[searches]]\nname = "a"\nkind = ["tender"]\n\n'
        '[[searches]]\nname = "b"\nmine = 1\n',
        encoding="utf-8",
    )
    r = fw("searches")
    assert r.code == 1 and "fundwatch searches remove NAME" in r.err
    r = fw("searches", "remove", "A")
    assert (r.code, r.out) == (0, "Removed saved search 'a'.\n"), r.err
    assert searches_table(watchlist) == [{"name": "b", "mine": 1}]
    before = watchlist.read_bytes()
    r = fw("searches", "remove", "a")
    assert (r.code, r.err) == (1, "error: no saved search named 'a' (saved: 'b')\n")
    assert watchlist.read_bytes() == before


def test_sync_keeps_a_search_edited_while_it_ran(fw, portal, saved):
    """The network work happens outside the watchlist's lock: a hand edit (or another
    process) meanwhile must not be overwritten with what the search was before."""
    portal.respond.add(twin7())
    real = portal.respond

    def editing(seen):
        text = saved.read_text(encoding="utf-8")
        saved.write_text(text.replace('text = "smart manufacturing"', 'text = "pilots"'), "utf-8")
        return real(seen)

    portal.respond = editing
    r = fw("sync", *DAY2)
    assert r.code == 0, r.err
    [table] = searches_table(saved)
    assert table["text"] == "pilots"
    assert "changed while sync ran" in r.err and TWIN7 not in r.out
    # its next run starts afresh (edited), as after any hand edit
    portal.respond = real
    r = fw("sync", *DAY3)
    assert r.out.startswith(f"'{SEARCH}': first run, 1 topic recorded")


def test_a_topic_two_searches_found_is_new_once(fw, portal, saved):
    r = fw("search", "SMEs", "--save", "SMEs", *DAY1)
    assert r.code == 0, r.err
    portal.respond.add(twin7())
    r = fw("sync", *DAY2)
    assert r.out.count(TWIN7) == 2  # each search says what it found
    data = json.loads(fw("remind", "--format", "json", *DAY3).out)
    assert [(t["identifier"], t["search"]) for t in data["new_topics"]] == [
        (TWIN7, f"{SEARCH}, SMEs")
    ]
    text = fw("remind", "--format", "text", *DAY3).out
    assert "1 new on the portal" in text.splitlines()[0] and text.count(TWIN7) == 2  # row, link


@pytest.mark.parametrize("name", ["it's ours", "-x"])
def test_the_hint_to_remove_a_search_can_be_pasted_into_a_shell(fw, portal, watchlist, name):
    import shlex

    assert fw("search", "smart", f"--save={name}", *DAY1).code == 0
    r = fw("search", "smart", f"--save={name}", *DAY1)
    assert r.code == 1
    command = r.err.rsplit("remove it first: ", 1)[1].rstrip(")\n")
    args = shlex.split(command)
    assert args[:3] == ["fundwatch", "searches", "remove"]
    r = fw(*args[1:])
    assert (r.code, r.out) == (0, f"Removed saved search '{name}'.\n"), r.err


def test_keys_of_your_own_in_a_new_topic_are_kept(fw, portal, saved):
    portal.respond.add(twin7())
    assert fw("sync", *DAY2).code == 0
    text = saved.read_text(encoding="utf-8")
    mine = f'identifier = "{TWIN7}"\nasked = "Anna, 3 March"\n'
    saved.write_text(text.replace(f'identifier = "{TWIN7}"\n', mine), encoding="utf-8")
    portal.respond.add(topic_row("HORIZON-CL4-2026-TWIN-01-08", "Smart manufacturing too",
                                 "2026-02-20", ["2026-05-20"]))  # fmt: skip
    assert fw("sync", *DAY3).code == 0  # rewrites the table
    [table] = searches_table(saved)
    [twin] = [t for t in table["new"] if t["identifier"] == TWIN7]
    assert twin["asked"] == "Anna, 3 March"
