"""The portal client and `search` / `watch` against a real HTTP server on 127.0.0.1.

``server.answers(...)`` scripts the answers of one test (the last repeats);
``server.respond = Portal()`` makes the server a stand-in for the search API over the
rows of tests/fixtures (filters, sort, pages). No test touches the internet.
"""

from __future__ import annotations

import copy
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from localserver import Answer, Portal, closed_port, json_answer, search_page, search_rows

from fundwatch import __version__
from fundwatch.domain.errors import FundwatchError
from fundwatch.net import Progress
from fundwatch.portal.client import (
    TooManyPages,
    fetch_topics,
    programme_codes,
    search_pages,
    search_query,
)
from fundwatch.portal.topics import STATUS_CODES

PATH = "/search-api/prod/rest/search"
UA = "HORIZON-EIC-2025-UKRAINIANTECH-01-01"
SSRI04 = "HORIZON-CL3-2025-01-SSRI-04"
SSRI02 = "HORIZON-CL3-2025-01-SSRI-02"
EIE = "HORIZON-EIE-2026-01-CONNECT-02"
SOIL = "HORIZON-MISS-2027-05-SOIL-01-two-stage"
ACC = "HORIZON-EIC-2026-ACCELERATOR-01"
TALK = (UA, SSRI04, SSRI02, EIE)  # the four calls of the EU Clusters Talk
FAST = {"retries": 2, "backoff": 0.0, "progress": False}


def url(server: Any) -> str:
    return server.url(PATH)


def rows_by_id() -> dict[str, dict[str, Any]]:
    """The fixture's current rows by identifier (the legacy SSRI-04 row left out)."""
    return {
        r["metadata"]["identifier"][0]: r
        for r in search_rows()
        if r["metadata"].get("DATASOURCE") == ["SEDIA"]
    }


def legacy_row() -> dict[str, Any]:
    [row] = [r for r in search_rows() if r["metadata"].get("DATASOURCE") != ["SEDIA"]]
    return row


def empty() -> Answer:
    return json_answer(search_page([]))


# --- the request ----------------------------------------------------------------------------


def test_request_shape(server):
    server.answers(json_answer(search_page(search_rows())), empty())
    query = search_query(["open"], ["43108390"])
    topics = search_pages(url(server), "soil health", query, **FAST)
    assert len(topics) == 6
    first = server.requests[0]
    assert first.method == "POST" and first.route == PATH
    assert first.query == {
        "apiKey": "SEDIA",
        "text": "soil health",
        "pageSize": "100",
        "pageNumber": "1",
    }
    assert first.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert first.headers["user-agent"] == f"fundwatch/{__version__}"
    parts = first.parts
    assert list(parts) == ["query", "languages", "sort"]
    for part in parts.values():  # JSON file parts, never plain form fields
        assert part.filename == "blob"
        assert part.content_type == "application/json"
        json.loads(part.content)
    assert parts["query"].json == query
    assert parts["languages"].json == ["en"]
    assert parts["sort"].json == {"field": "identifier", "order": "ASC"}
    assert server.requests[1].query["pageNumber"] == "2"


def test_default_query_asks_for_calls_and_base_query_string_is_kept(server):
    server.answers(empty())
    assert search_pages(url(server) + "?apiKey=OTHER&extra=1", **FAST) == []
    [seen] = server.requests
    assert seen.query == {
        "apiKey": "SEDIA",
        "extra": "1",
        "text": "***",
        "pageSize": "100",
        "pageNumber": "1",
    }
    assert seen.parts["query"].json == {"bool": {"must": [{"terms": {"type": ["1", "2", "8"]}}]}}


def test_search_query_statuses_allow_for_stale_portal_status():
    query = search_query(["open"], ["43108390", "43108390"])
    assert query == {
        "bool": {
            "must": [
                {"terms": {"type": ["1", "2", "8"]}},
                {"terms": {"status": [STATUS_CODES["forthcoming"], STATUS_CODES["open"]]}},
                {"terms": {"frameworkProgramme": ["43108390"]}},
            ]
        }
    }
    # a closed topic may still say anything (or nothing): no status is asked for
    for asked in (["closed"], ["open", "closed"], []):
        assert search_query(asked) == {"bool": {"must": [{"terms": {"type": ["1", "2", "8"]}}]}}
    with pytest.raises(FundwatchError, match="unknown status 'shut'"):
        search_query(["shut"])


def test_programme_names_to_codes():
    assert programme_codes(["horizon europe"]) == {"43108390": "Horizon Europe"}
    assert programme_codes(["HORIZON"]) == {"43108390": "Horizon Europe"}  # portal abbreviation
    assert programme_codes(["horizon 2020", "life"]) == {
        "31045243": "Horizon 2020",
        "43252405": "LIFE",
    }
    assert programme_codes(["erasmus"]) == {"43353764": "Erasmus+"}
    assert programme_codes(["43152860"]) == {"43152860": "Digital Europe"}
    assert programme_codes(["EU4Health"]) == {"43332642": "EU4Health"}
    with pytest.raises(FundwatchError, match="no portal programme matches 'Marshall Plan'"):
        programme_codes(["Marshall Plan"])


# --- paging -----------------------------------------------------------------------------------


def test_pages_are_merged_once_and_paging_stops_at_the_first_empty_page(server):
    rows = rows_by_id()
    page1 = [rows[UA], rows[SSRI04], rows[SSRI02], rows[EIE]]
    # page 2 repeats EIE exactly and brings SSRI-04's legacy row (stale status, 17:00 +0000)
    page2 = [rows[EIE], legacy_row(), rows[SOIL], rows[ACC]]
    server.answers(json_answer(search_page(page1)), json_answer(search_page(page2, 2)), empty())
    topics = search_pages(url(server), page_size=4, **FAST)
    assert [t.identifier for t in topics] == [UA, SSRI04, SSRI02, EIE, SOIL, ACC]
    assert [s.query["pageNumber"] for s in server.requests] == ["1", "2", "3"]
    assert {s.query["pageSize"] for s in server.requests} == {"4"}
    ssri04 = topics[1]
    assert ssri04.source == "SEDIA" and ssri04.portal_status == "open"
    assert [str(d.at) for d in ssri04.deadlines] == ["2025-11-12 17:00:00"]


def test_a_short_page_is_not_the_end_only_an_empty_one_is(server):
    rows = rows_by_id()
    server.answers(
        json_answer(search_page([rows[UA]])), json_answer(search_page([rows[EIE]], 2)), empty()
    )
    topics = search_pages(url(server), page_size=100, **FAST)
    assert [t.identifier for t in topics] == [UA, EIE]
    assert len(server.requests) == 3


def test_the_page_cap(server):
    server.answers(json_answer(search_page([rows_by_id()[UA]])))  # never ends
    with pytest.raises(TooManyPages) as caught:
        search_pages(url(server), max_pages=3, **FAST)
    assert len(server.requests) == 3
    assert str(caught.value).startswith(
        f"the portal at {server.host} still had results after 3 pages of 100"
    )
    assert [t.identifier for t in caught.value.topics] == [UA]


def test_enough_stops_paging_early(server):
    server.respond = Portal()
    topics = search_pages(url(server), page_size=2, enough=lambda ts: len(ts) >= 2, **FAST)
    # page 1 ends with SSRI-04's current row, and its legacy row opens page 2: page 1 is
    # judged without SSRI-04 (one topic, not enough), page 2 without UA (two: enough)
    assert [t.identifier for t in topics] == [SSRI02, SSRI04, UA]
    assert topics[1].source == "SEDIA"
    assert len(server.requests) == 2


# --- failures and retries -----------------------------------------------------------------------


def test_500_then_success(server):
    server.answers(Answer(500, body=b"oops"), json_answer(search_page(search_rows())), empty())
    assert len(search_pages(url(server), **FAST)) == 6
    assert len(server.requests) == 3


def test_429_with_retry_after_then_success(server):
    server.answers(
        Answer(429, (("Retry-After", "0"),), b"slow down"),
        json_answer(search_page(search_rows())),
        empty(),
    )
    assert len(search_pages(url(server), **FAST)) == 6
    assert [s.query["pageNumber"] for s in server.requests] == ["1", "1", "2"]


def test_5xx_to_the_end_is_one_error(server):
    server.answers(Answer(503, body=b"maintenance"))
    with pytest.raises(FundwatchError) as caught:
        search_pages(url(server), **FAST)
    assert str(caught.value) == (
        f"portal at {server.host} answered 503 Service Unavailable: maintenance "
        "(the portal has a problem: try again later)"
    )
    assert len(server.requests) == 3  # the first try and two retries


def test_a_slow_answer_past_the_timeout(server):
    server.answers(Answer(200, body=b"{}", delay=2.0))
    started = time.monotonic()
    with pytest.raises(FundwatchError) as caught:
        search_pages(url(server), timeout=0.3, **FAST)
    assert time.monotonic() - started < 1.5
    assert str(caught.value).startswith(f"portal at {server.host} did not answer within 0.3 s")
    assert "FUNDWATCH_PORTAL_TIMEOUT" in str(caught.value)
    assert len(server.requests) == 1  # a request the server took is not sent again


def test_timeout_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("FUNDWATCH_PORTAL_TIMEOUT", "0.25")
    server.answers(Answer(200, body=b"{}", delay=2.0))
    with pytest.raises(FundwatchError, match=r"did not answer within 0\.25 s"):
        search_pages(url(server), **FAST)
    monkeypatch.setenv("FUNDWATCH_PORTAL_TIMEOUT", "soon")
    with pytest.raises(FundwatchError, match="FUNDWATCH_PORTAL_TIMEOUT: 'soon'"):
        search_pages(url(server), **FAST)


def test_connection_refused():
    port = closed_port()
    with pytest.raises(FundwatchError) as caught:
        search_pages(f"http://127.0.0.1:{port}{PATH}", retries=0, progress=False)
    assert str(caught.value).startswith(
        f"cannot connect to portal at 127.0.0.1:{port}: connection refused"
    )


def test_an_html_page_instead_of_json(server):
    page = b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head></html>"
    server.answers(Answer(200, (("Content-Type", "text/html; charset=utf-8"),), page))
    with pytest.raises(FundwatchError) as caught:
        search_pages(url(server), **FAST)
    assert caught.value.message == (
        f"portal at {server.host} answered an HTML page ('Service Unavailable'), not JSON"
    )
    assert len(server.requests) == 1


def test_html_labelled_as_json_is_still_html(server):
    server.answers(Answer(200, (("Content-Type", "application/json"),), b"  <html>x</html>"))
    with pytest.raises(FundwatchError, match="answered an HTML page, not JSON"):
        search_pages(url(server), **FAST)


def test_invalid_json(server):
    server.answers(Answer(200, (("Content-Type", "application/json"),), b'{"results": [{"a"'))
    with pytest.raises(FundwatchError) as caught:
        search_pages(url(server), **FAST)
    assert caught.value.message == (
        f"portal at {server.host} answered invalid JSON (application/json: Expecting ':' "
        """delimiter at line 1 column 18; it begins '{"results": [{"a"')"""
    )


def test_an_empty_body(server):
    server.answers(Answer(200, (("Content-Type", "application/json"),), b""))
    with pytest.raises(FundwatchError, match="answered with an empty body, not JSON"):
        search_pages(url(server), **FAST)


def test_json_of_the_wrong_shape_names_the_host_and_page(server):
    server.answers(json_answer({"error": "none"}))
    with pytest.raises(FundwatchError, match=f"portal at {server.host}, page 1: no 'results'"):
        search_pages(url(server), **FAST)


def test_a_404_names_the_setting(server):
    server.answers(Answer(404, body=b"Not here"))
    with pytest.raises(FundwatchError) as caught:
        search_pages(url(server), **FAST)
    assert "answered 404 Not Found" in str(caught.value)
    assert "FUNDWATCH_PORTAL_URL" in str(caught.value)


# --- looking topics up by identifier ------------------------------------------------------------


def test_fetch_topics_in_one_request(server):
    server.respond = Portal()
    found = fetch_topics(url(server), [*TALK, "HORIZON-NOPE-2025-01", SSRI04], **FAST)
    assert list(found) == list(TALK)
    assert all(found[i].identifier == i for i in TALK)
    assert found[SSRI04].source == "SEDIA"  # the legacy row was merged away
    seen, again = server.requests  # the unknown one again, as a call identifier
    assert seen.parts["query"].json == {
        "bool": {"must": [{"terms": {"identifier": [*TALK, "HORIZON-NOPE-2025-01"]}}]}
    }
    assert seen.query["text"] == "***" and seen.query["pageSize"] == "100"
    assert again.parts["query"].json["bool"]["must"][0] == {
        "terms": {"callIdentifier": ["HORIZON-NOPE-2025-01"]}
    }


def test_fetch_topics_in_batches_following_full_pages_only(server):
    server.respond = Portal()
    ids = [UA, SSRI04, SSRI02, EIE, SOIL]
    found = fetch_topics(url(server), ids, batch=2, page_size=2, **FAST)
    assert list(found) == ids
    asked = [
        (s.parts["query"].json["bool"]["must"][0]["terms"]["identifier"], s.query["pageNumber"])
        for s in server.requests
    ]
    assert asked == [
        ([UA, SSRI04], "1"),
        ([UA, SSRI04], "2"),  # page 1 was full (2 rows of SSRI-04 + UA = 3 rows)
        ([SSRI02, EIE], "1"),
        ([SSRI02, EIE], "2"),  # full again, and page 2 is empty
        ([SOIL], "1"),  # one row: not full, done
    ]


def test_fetch_topics_matches_identifiers_without_regard_to_case(server):
    row = rows_by_id()[SOIL]
    server.answers(json_answer(search_page([row])))
    found = fetch_topics(url(server), [SOIL.upper()], **FAST)
    assert list(found) == [SOIL.upper()] and found[SOIL.upper()].identifier == SOIL


def test_fetch_nothing_asks_nothing(server):
    assert fetch_topics(url(server), ["", "  "], **FAST) == {}
    assert server.requests == []


def test_the_portal_refuses_form_fields(server):
    """The stand-in checks the request like the portal: our parts pass."""
    server.respond = Portal()
    import httpx

    response = httpx.post(url(server) + "?apiKey=SEDIA&text=***&pageSize=1&pageNumber=1",
                          data={"query": "{}", "languages": '["en"]', "sort": "{}"})  # fmt: skip
    assert response.status_code == 500 and response.json() == {"type": "throwable"}


# --- the progress line -------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_after_a_moment():
    stream = Terminal()
    progress = Progress("Searching on the portal…", True, after=0.0, stream=stream)
    deadline = time.monotonic() + 5
    while progress.shown is None and time.monotonic() < deadline:
        time.sleep(0.01)
    progress.update("Searching on the portal… page 2, 120 rows")
    time.sleep(0.2)
    progress.close()
    assert "Searching on the portal" in stream.getvalue()


def test_no_progress_when_quick_or_not_a_terminal():
    quick = Terminal()
    progress = Progress("Searching", True, after=5.0, stream=quick)
    progress.close()
    assert quick.getvalue() == "" and progress.shown is None
    piped = io.StringIO()
    progress = Progress("Searching", True, after=0.0, stream=piped)
    time.sleep(0.05)
    progress.close()
    assert piped.getvalue() == "" and progress.timer is None


# --- fundwatch search ---------------------------------------------------------------------------


def test_search_table(fw, portal):
    r = fw("search", "security", "--as-of", "2025-10-08")
    assert r.code == 0 and r.err == ""
    lines = r.out.splitlines()
    assert lines[0].split() == ["Identifier", "Title", "Status", "Next", "deadline", "Left"]
    # the portal's text search: "security" is in the call title of the Cluster 3 topics
    assert [line.split()[0] for line in lines[1:]] == [SSRI02, SSRI04]
    ssri04 = next(line for line in lines if line.startswith(SSRI04))
    assert "Accelerating uptake through open proposals" in ssri04
    assert ssri04.split()[-7:] == ["open", "Wed", "12", "Nov", "2025", "17:00", "35d"]
    acc = fw("search", "***", "--as-of", "2025-10-08").out.splitlines()
    acc = next(line for line in acc if line.startswith(ACC))
    assert "forthcoming" in acc and "[Cut-off 1]" in acc
    # page 2 is empty
    assert [s.query["pageNumber"] for s in portal.requests[:2]] == ["1", "2"]
    seen = portal.requests[0]
    assert seen.query["text"] == "security"
    assert seen.parts["query"].json["bool"]["must"][1] == {
        "terms": {"status": [STATUS_CODES["forthcoming"], STATUS_CODES["open"]]}
    }


def test_search_in_a_real_process_prints_what_the_in_process_run_does(fw_proc, fw, portal):
    argv = ("search", "security", "--as-of", "2025-10-08", "--format", "csv")
    real = fw_proc(*argv)
    assert real.code == 0 and real.out.count("\n") >= 3, real.err  # a header, two topics
    assert real == fw(*argv)


def test_search_json(fw, portal):
    r = fw("search", "--as-of", "2025-10-08", "--format", "json", "--limit", "3")
    assert r.code == 0 and r.err == ""
    data = json.loads(r.out)
    assert [t["identifier"] for t in data] == [SSRI02, SSRI04, UA]
    assert data[2] == {
        "identifier": UA,
        "title": data[2]["title"],
        "status": "open",
        "next_deadline": "2025-11-26T17:00:00+01:00",
        "days_left": 49,
        "url": "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen"
        f"/opportunities/topic-details/{UA}",
        "opens": "2025-09-02",
        "programme": "Horizon Europe",
        "deadlines": [
            {"at": "2025-11-26T17:00:00+01:00", "label": None, "all_day": False, "days_left": 49}
        ],
        "budget": data[2]["budget"],
    }
    assert data[2]["title"]
    assert data[1]["budget"] == 3_000_000  # the topic's own budget line


def test_search_json_cut_offs(fw, portal):
    r = fw("search", "accelerator", "--as-of", "2025-10-08", "--format", "json")
    [acc] = [t for t in json.loads(r.out) if t["identifier"] == ACC]
    assert acc["status"] == "forthcoming" and acc["opens"] == "2025-11-05"
    assert [d["label"] for d in acc["deadlines"]] == [f"Cut-off {n}" for n in range(1, 7)]
    assert acc["next_deadline"] == "2026-01-07T17:00:00+01:00" and acc["days_left"] == 91


def test_search_status_is_worked_out_from_dates(fw, portal):
    r = fw("search", "--as-of", "2026-12-01", "--status", "closed", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    # the portal still says Open for these four, Forthcoming for the accelerator; their
    # deadlines have passed
    assert sorted(t["identifier"] for t in data) == sorted([*TALK, ACC])
    assert {t["status"] for t in data} == {"closed"}
    assert {t["next_deadline"] for t in data} == {None}
    r = fw("search", "--as-of", "2026-12-01", "--format", "json")  # forthcoming and open
    assert [t["identifier"] for t in json.loads(r.out)] == [SOIL]  # the accelerator closed


def test_search_closed_finds_topics_whose_portal_status_is_stale(fw, portal):
    # the portal says Forthcoming for a 2024 topic long closed, Open for one closed today
    stale = copy.deepcopy(rows_by_id()[ACC])
    stale["metadata"].update(identifier=["HORIZON-CL2-2024-TRANSFORMATIONS-01-08"],
                             startDate=["2023-10-04T00:00:00.000+0000"],
                             deadlineDate=["2024-02-07T00:00:00.000+0000"])  # fmt: skip
    portal.respond.rows = [stale, rows_by_id()[SSRI04]]
    r = fw("search", "--as-of", "2025-11-13", "--status", "closed", "--format", "csv")
    assert r.code == 0, r.err
    lines = r.out.splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == [stale["metadata"]["identifier"][0], SSRI04]
    assert [line.split(",")[2] for line in lines] == ["closed", "closed"]
    must = portal.requests[0].parts["query"].json["bool"]["must"]
    # topics and cascade calls (the default kinds); every status: filtered here
    assert must == [{"terms": {"type": ["1", "8"]}}]
    r = fw("search", "--as-of", "2025-11-13", "--format", "csv")  # forthcoming and open
    assert r.out.splitlines()[1:] == []


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("deadlineDate", ["9999-12-31T23:00:00.000+0000"], "deadlineDate '9999-12-31T23"),
        ("budget", ["9" * 400], "budget: '9999"),
    ],
)
def test_portal_garbage_that_overflowed_is_one_error_line(fw, portal, field, value, said):
    row = rows_by_id()[EIE]
    row["metadata"].update({"type": ["8"], "budgetOverview": [], field: value})
    portal.respond.rows = [row]
    r = fw("search", "--as-of", "2025-10-08")
    assert (r.code, r.out) == (1, "")
    [line] = r.err.splitlines()
    assert line.startswith(f"error: portal at {portal.host}, page 1: result 1 ({EIE}): {said}")
    assert "OverflowError" not in line


def test_search_by_programme(fw, portal):
    r = fw("search", "--programme", "horizon europe", "--format", "csv", "--as-of", "2025-10-08")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == (
        "identifier,title,status,next_deadline,days_left,url,opens,programme,deadlines,budget"
    )
    assert len(r.out.splitlines()) == 7
    must = portal.requests[0].parts["query"].json["bool"]["must"]
    assert must[2] == {"terms": {"frameworkProgramme": ["43108390"]}}
    r = fw("search", "--programme", "LIFE", "--format", "json")
    assert (r.code, r.out) == (0, "[]\n")


def test_search_unknown_programme_asks_nothing(fw, portal):
    r = fw("search", "--programme", "Marshall Plan")
    assert r.code == 1 and r.out == ""
    assert r.err.startswith("error: --programme: no portal programme matches 'Marshall Plan'")
    assert portal.requests == []


def test_search_markdown_links_titles(fw, portal):
    r = fw("search", "--as-of", "2025-10-08", "--format", "markdown", "--limit", "1")
    assert r.code == 0, r.err
    assert r.out.startswith("| Identifier | Title | Status | Next deadline | Left |\n")
    assert f"/opportunities/topic-details/{SSRI02})" in r.out.splitlines()[2]


def test_search_past_the_page_cap_shows_what_was_read(fw, portal):
    portal.respond = None
    portal.answers(json_answer(search_page([rows_by_id()[UA]])))  # never ends
    r = fw("search", "--as-of", "2025-10-08", "--format", "json")
    assert r.code == 0
    assert [t["identifier"] for t in json.loads(r.out)] == [UA]
    assert r.err == (
        f"warning: the portal at {portal.host} still had results after 50 pages of 100; "
        "showing those read (narrow the search with TEXT, --status or --programme)\n"
    )
    assert len(portal.requests) == 50


def test_search_failure_is_one_line(fw, portal):
    portal.respond = None
    portal.answers(Answer(404, body=b"gone"))
    r = fw("search", "x")
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith(f"error: portal at {portal.host} answered 404 Not Found: gone")


# --- fundwatch watch ----------------------------------------------------------------------------


def test_watch_adds_the_four_talk_topics_in_one_request(fw, portal, watchlist):
    r = fw("watch", *TALK, "--as-of", "2025-10-08")
    assert (r.code, r.err) == (0, "")
    ids = [i.lower() for i in TALK]
    assert r.out.splitlines() == ids
    assert len(portal.requests) == 1
    data = json.loads(fw("list", "--format", "json", "--as-of", "2025-10-08").out)
    by_id = {c["id"]: c for c in data}
    assert set(by_id) == set(ids)
    ssri04 = by_id[SSRI04.lower()]
    assert ssri04["identifier"] == SSRI04
    assert ssri04["title"].startswith("Accelerating uptake through open proposals")
    assert ssri04["programme"] == "Horizon Europe"
    assert ssri04["opens"] == "2025-06-12"
    assert ssri04["timezone"] == "Europe/Brussels"
    assert ssri04["state"] == "watching" and ssri04["tags"] == []
    assert ssri04["url"].endswith(f"/topic-details/{SSRI04}")
    assert [d["at"] for d in ssri04["deadlines"]] == ["2025-11-12T17:00:00+01:00"]
    assert by_id[EIE.lower()]["next_deadline"] == "2026-01-20T17:00:00+01:00"
    text = watchlist.read_text(encoding="utf-8")
    assert text.count("[calls.calendar]") == 4 and "fingerprint" in text
    assert fw("check").code == 0


def test_watch_keeps_stage_labels(fw, portal):
    r = fw("watch", SOIL)
    assert r.code == 0, r.err
    [call] = json.loads(fw("list", "--format", "json").out)
    assert [(d["at"], d["label"]) for d in call["deadlines"]] == [
        ("2027-04-08T17:00:00+02:00", "Stage 1"),
        ("2027-09-14T17:00:00+02:00", "Stage 2 (invited)"),
    ]


def test_watch_names_the_unknown_and_adds_the_rest(fw, portal):
    r = fw("watch", SSRI04, "HORIZON-NOPE-2025-01-XX-01")
    assert r.code == 0
    assert r.out == f"{SSRI04.lower()}\n"
    assert r.err == "warning: the portal does not know HORIZON-NOPE-2025-01-XX-01\n"
    # the unknown one asked for again as a cascade or external call's identifier
    assert len(portal.requests) == 2
    assert portal.requests[1].parts["query"].json["bool"]["must"] == [
        {"terms": {"callIdentifier": ["HORIZON-NOPE-2025-01-XX-01"]}},
        {"terms": {"type": ["2", "8"]}},
    ]


def test_watch_nothing_known_is_an_error_and_writes_nothing(fw, portal, watchlist):
    r = fw("watch", "HORIZON-NOPE-2025-01-XX-01", "HORIZON-NOPE-2025-01-XX-02")
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith(
        "error: the portal does not know HORIZON-NOPE-2025-01-XX-01, HORIZON-NOPE-2025-01-XX-02"
    )
    assert not watchlist.exists()


def test_watch_refuses_duplicates(fw, portal, watchlist):
    assert fw("watch", SSRI04).code == 0
    before = watchlist.read_bytes()
    r = fw("watch", SSRI04.lower())
    assert r.code == 1 and r.out == ""
    assert r.err == f"error: already watched: {SSRI04.lower()} (as '{SSRI04.lower()}')\n"
    assert len(portal.requests) == 1  # nothing left to ask for
    assert watchlist.read_bytes() == before
    r = fw("watch", SSRI04, EIE)
    assert r.code == 0
    assert r.out == f"{EIE.lower()}\n"
    assert r.err == f"warning: already watched: {SSRI04} (as '{SSRI04.lower()}')\n"
    assert portal.requests[-1].parts["query"].json["bool"]["must"][0]["terms"] == {
        "identifier": [EIE]
    }


def test_watch_refuses_what_the_sample_watches(fw, portal, sample):
    before = sample.read_bytes()
    r = fw("watch", SSRI04, EIE)
    assert r.code == 1
    assert r.err == (
        f"error: already watched: {SSRI04} (as 'ssri-04-open-proposals'), "
        f"{EIE} (as 'eie-investment-ecosystems')\n"
    )
    assert portal.requests == [] and sample.read_bytes() == before


def test_watch_gives_a_unique_id(fw, portal):
    assert fw("add", "Mine", "--id", SSRI04.lower(), "--deadline", "2025-12-01").code == 0
    r = fw("watch", SSRI04)
    assert (r.code, r.out) == (0, f"{SSRI04.lower()}-2\n")


@pytest.fixture
def mine(fw, watchlist):
    """A watchlist with one call of the user's own."""
    assert fw("add", "Mine", "--deadline", "2025-12-01", "--tag", "x").code == 0
    return watchlist


def test_watch_network_failure_leaves_the_watchlist_as_it_was(fw, portal, mine):
    before = mine.read_bytes()
    portal.respond = None
    portal.answers(Answer(200, body=b"{}", delay=3.0))
    r = fw("watch", *TALK, env={"FUNDWATCH_PORTAL_TIMEOUT": "0.3"})
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith(f"error: portal at {portal.host} did not answer within 0.3 s")
    assert len(portal.requests) == 1
    assert mine.read_bytes() == before
    assert not Path(str(mine) + ".bak").exists()
