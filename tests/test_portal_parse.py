"""Parsing the Funding & Tenders Portal's answers (no network): fundwatch.portal.

The fixtures in tests/fixtures (real portal answers) have the portal's exact shapes; edge
cases are built by copying and changing them. Every "now" is a Clock made here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from fundwatch.domain.errors import FundwatchError
from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.timeutil import Clock, zone
from fundwatch.portal.topics import (
    PROGRAMMES,
    STATUS_CODES,
    Topic,
    identifier_query,
    merge,
    parse_bulk,
    parse_search_page,
    topic_to_call,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BRUSSELS = "Europe/Brussels"
TOPIC_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/"

UA = "HORIZON-EIC-2025-UKRAINIANTECH-01-01"
SSRI04 = "HORIZON-CL3-2025-01-SSRI-04"
SSRI02 = "HORIZON-CL3-2025-01-SSRI-02"
EIE = "HORIZON-EIE-2026-01-CONNECT-02"
SOIL = "HORIZON-MISS-2027-05-SOIL-01-two-stage"
ACC = "HORIZON-EIC-2026-ACCELERATOR-01"


@pytest.fixture(scope="module")
def page_data() -> dict[str, Any]:
    return json.loads((FIXTURES / "sedia-search-page.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bulk_data() -> dict[str, Any]:
    return json.loads((FIXTURES / "grantsTenders-sample.json").read_text(encoding="utf-8"))


@pytest.fixture
def page(page_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the search page, free to change."""
    return copy.deepcopy(page_data)


@pytest.fixture
def bulk(bulk_data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(bulk_data)


def by_id(topics: list[Topic]) -> dict[str, Topic]:
    return {t.identifier: t for t in topics}


def row_of(page: dict[str, Any], identifier: str) -> dict[str, Any]:
    """The first result of ``page`` for ``identifier`` (the current row)."""
    return next(r for r in page["results"] if r["metadata"]["identifier"] == [identifier])


def one_row(page: dict[str, Any], row: dict[str, Any]) -> Topic:
    """The topic of a page holding only ``row``."""
    topics = parse_search_page({**page, "results": [row]})
    assert len(topics) == 1
    return topics[0]


def brussels(*fields: int) -> Deadline:
    return Deadline(datetime(*fields), BRUSSELS)


def clock(*fields: int, tz: str = BRUSSELS) -> Clock:
    return Clock(datetime(*fields, tzinfo=zone(tz)), tz)


TALK = Clock.at(BRUSSELS, "2025-10-08")  # the EU Clusters Talk


# --- the four calls of the Clusters Talk -------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "title", "call_identifier", "call_title", "opens", "deadline", "budget"),
    [
        (UA, "EIC call to support UA tech SMEs and start-ups", "HORIZON-EIC-2025-UKRAINIANTECH-01",
         "EIC call to support UA tech SMEs and start-ups", date(2025, 9, 2),
         datetime(2025, 11, 26, 16, 0, tzinfo=UTC), 20_000_000),
        (SSRI04, "Accelerating uptake through open proposals for advanced SME innovation",
         "HORIZON-CL3-2025-01", "Civil Security for Society", date(2025, 6, 12),
         datetime(2025, 11, 12, 16, 0, tzinfo=UTC), 3_000_000),
        (SSRI02, "Uptake Acceleration Services", "HORIZON-CL3-2025-01",
         "Civil Security for Society", date(2025, 6, 12),
         datetime(2025, 11, 12, 16, 0, tzinfo=UTC), 5_000_000),
        (EIE, "Expanding Investment Ecosystems", "HORIZON-EIE-2026-01",
         "Interconnected Innovation Ecosystems (2026.1)", date(2025, 9, 10),
         datetime(2026, 1, 20, 16, 0, tzinfo=UTC), 5_000_000),
    ],
)  # fmt: skip
def test_clusters_talk_topics(
    page: dict[str, Any],
    identifier: str,
    title: str,
    call_identifier: str,
    call_title: str,
    opens: date,
    deadline: datetime,
    budget: int,
) -> None:
    t = by_id(merge(parse_search_page(page)))[identifier]
    local = deadline.astimezone(zone(BRUSSELS)).replace(tzinfo=None)
    assert local.hour == 17
    assert t == Topic(
        identifier=identifier,
        title=title,
        call_identifier=call_identifier,
        call_title=call_title,
        programme="Horizon Europe",
        portal_status="open",
        opens=opens,
        deadlines=(Deadline(local, BRUSSELS),),
        url=TOPIC_URL + identifier,
        budget=budget,
        type="1",
        source="SEDIA",
        deadline_model="single-stage",
        keywords=t.keywords,
        described=True,
    )
    assert t.deadlines[0].utc == deadline
    assert t.deadlines[0].label is None
    assert t.status(TALK) == "open"
    assert t.next_deadline(TALK) == t.deadlines[0]
    assert identifier in t.keywords


def test_ukrainian_tech_deadline_is_17_brussels_16_utc(page: dict[str, Any]) -> None:
    t = by_id(parse_search_page(page))[UA]
    assert t.deadlines == (brussels(2025, 11, 26, 17, 0),)
    assert t.deadlines[0].utc == datetime(2025, 11, 26, 16, 0, tzinfo=UTC)
    assert t.deadlines[0].days_left(TALK) == 49


# --- deadlines: stages and cut-offs -----------------------------------------------------------


def test_two_stage_labels(page: dict[str, Any]) -> None:
    t = by_id(parse_search_page(page))[SOIL]
    assert t.deadline_model == "two-stage"
    assert t.deadlines == (
        Deadline(datetime(2027, 4, 8, 17, 0), BRUSSELS, "Stage 1"),
        Deadline(datetime(2027, 9, 14, 17, 0), BRUSSELS, "Stage 2 (invited)"),
    )
    assert [d.utc for d in t.deadlines] == [  # summer time: 15:00 UTC
        datetime(2027, 4, 8, 15, 0, tzinfo=UTC),
        datetime(2027, 9, 14, 15, 0, tzinfo=UTC),
    ]
    assert t.opens == date(2027, 2, 4)


def test_two_stage_known_by_its_identifier_alone(page: dict[str, Any]) -> None:
    row = row_of(page, SOIL)
    del row["metadata"]["deadlineModel"]
    row["metadata"]["actions"] = []
    t = one_row(page, row)
    assert t.deadline_model is None
    assert [d.label for d in t.deadlines] == ["Stage 1", "Stage 2 (invited)"]


def test_accelerator_six_cut_offs(page: dict[str, Any]) -> None:
    t = by_id(parse_search_page(page))[ACC]
    days = [(2026, 1, 7), (2026, 3, 4), (2026, 5, 6), (2026, 7, 8), (2026, 9, 2), (2026, 11, 4)]
    assert t.deadlines == tuple(
        Deadline(datetime(*day, 17, 0), BRUSSELS, f"Cut-off {n}") for n, day in enumerate(days, 1)
    )
    assert t.deadline_model == "multiple cut-off"
    assert t.budget == 634_000_000
    after_second = clock(2026, 3, 5, 9, 0)
    assert t.next_deadline(after_second) == t.deadlines[2]
    assert t.status(after_second) == "open"
    assert t.next_deadline(clock(2026, 11, 4, 17, 1)) is None
    assert t.status(clock(2026, 11, 4, 17, 1)) == "closed"


def test_unsorted_and_repeated_cut_offs_are_sorted_once(page: dict[str, Any]) -> None:
    row = row_of(page, ACC)
    row["metadata"]["deadlineDate"] = [
        "2026-03-04T00:00:00.000+0000",
        "2026-01-07T00:00:00.000+0000",
        "2026-03-03T23:00:00.000+0000",  # the same Brussels day as the first
    ]
    t = one_row(page, row)
    assert t.deadlines == (
        Deadline(datetime(2026, 1, 7, 17, 0), BRUSSELS, "Cut-off 1"),
        Deadline(datetime(2026, 3, 4, 17, 0), BRUSSELS, "Cut-off 2"),
    )


def test_single_cut_off_left_is_still_labelled(page: dict[str, Any]) -> None:
    row = row_of(page, ACC)
    row["metadata"]["deadlineDate"] = ["2026-11-04T00:00:00.000+0000"]
    assert one_row(page, row).deadlines[0].label == "Cut-off 1"


def test_deadlines_from_actions_when_deadline_date_is_missing(page: dict[str, Any]) -> None:
    row = row_of(page, SOIL)
    del row["metadata"]["deadlineDate"]
    del row["metadata"]["startDate"]
    t = one_row(page, row)
    assert [d.at for d in t.deadlines] == [datetime(2027, 4, 8, 17), datetime(2027, 9, 14, 17)]
    assert t.opens == date(2027, 2, 4)


# --- the Brussels-date rule (§1.8) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-11-26T00:00:00.000+0000", datetime(2025, 11, 26, 17, 0)),  # current rows
        ("2025-11-25T23:00:00.000+0000", datetime(2025, 11, 26, 17, 0)),  # midnight Brussels
        ("2025-11-26T17:00:00.000+0000", datetime(2025, 11, 26, 17, 0)),  # legacy rows
        ("2025-11-26T16:00:00Z", datetime(2025, 11, 26, 17, 0)),
        ("2026-06-30T22:00:00.000+0000", datetime(2026, 7, 1, 17, 0)),  # summer: +02:00
        ("2026-06-30T21:59:59.000+0000", datetime(2026, 6, 30, 17, 0)),
        ("2025-11-26T00:00:00+01:00", datetime(2025, 11, 26, 17, 0)),
        ("2025-11-26", datetime(2025, 11, 26, 17, 0)),
        ("2024-09-27+02:00 Europe/Brussels", datetime(2024, 9, 27, 17, 0)),
        ("1764115200000", datetime(2025, 11, 26, 17, 0)),  # epoch ms as text
    ],
)
def test_brussels_date_rule(page: dict[str, Any], value: str, expected: datetime) -> None:
    row = row_of(page, EIE)
    row["metadata"]["deadlineDate"] = [value]
    assert one_row(page, row).deadlines == (Deadline(expected, BRUSSELS),)


def test_opening_day_by_the_same_rule(page: dict[str, Any]) -> None:
    row = row_of(page, EIE)
    row["metadata"]["startDate"] = ["2025-09-09T22:00:00.000+0000"]  # 00:00 Brussels, summer
    assert one_row(page, row).opens == date(2025, 9, 10)


def test_viewer_elsewhere_sees_the_same_instant(page: dict[str, Any]) -> None:
    t = by_id(parse_search_page(page))[SSRI04]
    kyiv = clock(2025, 11, 12, 18, 30, tz="Europe/Kyiv")  # 17:30 Brussels
    assert t.status(kyiv) == "closed"
    assert t.status(clock(2025, 11, 12, 17, 59, tz="Europe/Kyiv")) == "open"


# --- type 8 (cascade calls) keep their own instant --------------------------------------------


CASCADE_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/competitive-calls-cs/9876"


def cascade_row(page: dict[str, Any], *values: str) -> dict[str, Any]:
    row = copy.deepcopy(row_of(page, EIE))
    meta = row["metadata"]
    meta["type"] = ["8"]
    meta["identifier"] = ["FSTP-PERFORMEU-OC2"]
    meta["deadlineDate"] = list(values)
    meta["url"] = [CASCADE_URL]
    meta["budgetOverview"] = []
    meta["budget"] = ["60000"]
    meta["currency"] = ["EUR"]
    row["url"] = meta["url"][0]
    return row


def test_type_8_keeps_its_own_instant(page: dict[str, Any]) -> None:
    t = one_row(page, cascade_row(page, "2026-11-28T22:59:00.000+0000"))
    assert t.type == "8"
    assert t.deadlines == (brussels(2026, 11, 28, 23, 59),)
    assert t.deadlines[0].utc == datetime(2026, 11, 28, 22, 59, tzinfo=UTC)
    assert t.url == CASCADE_URL
    assert t.budget == 60_000
    assert t.status(clock(2026, 11, 28, 23, 58)) == "open"
    assert t.status(clock(2026, 11, 29, 0, 0)) == "closed"


def test_type_8_in_summer_and_without_time(page: dict[str, Any]) -> None:
    t = one_row(page, cascade_row(page, "2026-10-22T21:59:00.000+0000", "2026-12-01"))
    assert t.deadlines == (
        Deadline(datetime(2026, 10, 22, 23, 59), BRUSSELS, "Cut-off 1"),  # CEST
        Deadline(datetime(2026, 12, 1, 17, 0), BRUSSELS, "Cut-off 2"),  # a date: 17:00
    )


def test_type_8_budget_in_another_currency_is_not_euros(page: dict[str, Any]) -> None:
    row = cascade_row(page, "2026-11-28T22:59:00.000+0000")
    row["metadata"]["currency"] = ["USD"]
    assert one_row(page, row).budget is None


def test_type_8_budget_too_big_for_a_number_is_an_error(page: dict[str, Any]) -> None:
    row = cascade_row(page, "2026-11-28T22:59:00.000+0000")
    row["metadata"]["budget"] = ["9" * 400]
    with pytest.raises(FundwatchError) as info:
        one_row(page, row)
    assert "(FSTP-PERFORMEU-OC2): budget: '999" in info.value.message
    assert info.value.message.endswith("is not a plausible amount")


def test_row_without_metadata_has_its_fields_at_the_top(page: dict[str, Any]) -> None:
    row = cascade_row(page, "2026-11-28T22:59:00.000+0000")
    meta = row.pop("metadata")
    flat = {**row, **meta, "title": None}  # the top-level title is usually null
    t = one_row(page, flat)
    assert t.identifier == "FSTP-PERFORMEU-OC2"
    assert t.title == "Expanding Investment Ecosystems"
    assert t.deadlines == (brussels(2026, 11, 28, 23, 59),)
    assert t.source == "SEDIA"


def test_type_2_keeps_its_own_url(page: dict[str, Any]) -> None:
    row = row_of(page, EIE)
    row["metadata"]["type"] = ["2"]
    row["metadata"]["identifier"] = ["EuropeAid/186411/DD/ACT/CN"]
    row["metadata"]["url"] = [
        "https://webgate.ec.europa.eu/prospect/external/publishedcalls.htm?callId=186411"
    ]
    t = one_row(page, row)
    assert (
        t.url == "https://webgate.ec.europa.eu/prospect/external/publishedcalls.htm?callId=186411"
    )
    assert t.deadlines == (brussels(2026, 1, 20, 17, 0),)  # type 2 follows the 17:00 rule


# --- several rows for one topic ---------------------------------------------------------------


def test_merge_keeps_the_current_row_of_ssri_04(page: dict[str, Any]) -> None:
    rows = parse_search_page(page)
    assert [t.identifier for t in rows].count(SSRI04) == 2
    legacy = rows[-1]
    assert legacy.source == "SEDIA_PRD_CENTRICITY"
    assert legacy.portal_status == "forthcoming"  # stale
    assert legacy.keywords == ("Civil security", "End-users", "SME support", SSRI04)
    assert legacy.url == TOPIC_URL + SSRI04  # the topic page, not the legacy .json

    merged = merge(rows)
    assert [t.identifier for t in merged] == [UA, SSRI04, SSRI02, EIE, SOIL, ACC]
    assert by_id(merged)[SSRI04] == rows[1]
    assert by_id(merged)[SSRI04].source == "SEDIA"
    assert by_id(merged)[SSRI04].portal_status == "open"


def test_merge_legacy_first_keeps_position_and_current_row(page: dict[str, Any]) -> None:
    rows = parse_search_page(page)
    legacy, current = rows[-1], rows[1]
    merged = merge([legacy, rows[0], current])
    assert [t.identifier for t in merged] == [SSRI04, UA]
    assert merged[0] == current


def test_merge_stub_loses_to_legacy_and_current(page: dict[str, Any]) -> None:
    stub_row = copy.deepcopy(row_of(page, SSRI04))
    meta = stub_row["metadata"]
    for key in ("status", "deadlineDate", "descriptionByte", "actions", "budgetOverview"):
        del meta[key]
    rows = parse_search_page(page)
    stub = one_row(page, stub_row)
    assert (stub.deadlines, stub.portal_status, stub.source) == ((), None, "SEDIA")
    legacy, current = rows[-1], rows[1]
    # the legacy row wins; the call title it lacks comes from the stub
    assert legacy.call_title is None
    assert merge([stub, legacy]) == [legacy._replace(call_title="Civil Security for Society")]
    assert merge([stub, legacy, current]) == [current]


def test_merge_fills_what_the_winner_lacks_without_stale_deadlines(page: dict[str, Any]) -> None:
    rows = parse_search_page(page)
    current = rows[1]._replace(budget=None, opens=None)
    moved = rows[-1]._replace(deadlines=(brussels(2025, 11, 5, 17, 0),))
    (merged,) = merge([current, moved])
    assert merged.opens == date(2025, 6, 12)  # from the legacy row
    assert merged.deadlines == current.deadlines  # not the legacy row's old date


def test_merge_joins_cut_offs_split_across_current_rows(page: dict[str, Any]) -> None:
    first, second = copy.deepcopy(row_of(page, ACC)), copy.deepcopy(row_of(page, ACC))
    first["metadata"]["deadlineDate"] = ["2026-01-07T00:00:00.000+0000"]
    second["metadata"]["deadlineDate"] = ["2026-03-04T00:00:00.000+0000"]
    (merged,) = merge(parse_search_page({**page, "results": [first, second]}))
    assert merged.deadlines == (
        Deadline(datetime(2026, 1, 7, 17, 0), BRUSSELS, "Cut-off 1"),
        Deadline(datetime(2026, 3, 4, 17, 0), BRUSSELS, "Cut-off 2"),
    )


def test_parsing_leaves_the_input_alone(page: dict[str, Any]) -> None:
    before = copy.deepcopy(page)
    merge(parse_search_page(page))
    assert page == before


# --- budgets ------------------------------------------------------------------------------------


def test_budget_is_the_topics_own_line_not_the_first(page: dict[str, Any]) -> None:
    topics = by_id(parse_search_page(page))
    first_ssri = json.loads(row_of(page, SSRI02)["metadata"]["budgetOverview"][0])
    first_line = next(iter(first_ssri["budgetTopicActionMap"].values()))[0]
    assert first_line["action"].startswith("HORIZON-CL3-2025-01-SSRI-01 ")
    assert topics[SSRI02].budget == 5_000_000  # the first line says 3,000,000
    assert topics[SOIL].budget == 36_000_000  # the first line (SOIL-02) says 24,000,000


def test_budget_of_an_identifier_that_prefixes_another_is_not_taken(page: dict[str, Any]) -> None:
    row = row_of(page, SSRI02)
    row["metadata"]["identifier"] = ["HORIZON-CL3-2025-01-SSRI-0"]
    assert one_row(page, row).budget is None


def test_budget_sums_the_years_of_the_topics_line(page: dict[str, Any]) -> None:
    row = row_of(page, EIE)
    overview = json.loads(row["metadata"]["budgetOverview"][0])
    line = overview["budgetTopicActionMap"]["113921"][0]
    line["budgetYearMap"] = {"2026": "3000000", "2027": 2000000}
    row["metadata"]["budgetOverview"] = [json.dumps(overview)]
    assert one_row(page, row).budget == 5_000_000


# --- status from dates, not from the portal ---------------------------------------------------


def test_status_derived_as_of_the_talk(page: dict[str, Any]) -> None:
    topics = by_id(merge(parse_search_page(page)))
    assert {i: t.status(TALK) for i, t in topics.items()} == {
        UA: "open",
        SSRI04: "open",
        SSRI02: "open",
        EIE: "open",
        SOIL: "forthcoming",
        ACC: "forthcoming",
    }
    assert topics[EIE].status(clock(2026, 1, 20, 17, 0)) == "open"
    assert topics[EIE].status(clock(2026, 1, 20, 17, 1)) == "closed"
    assert topics[ACC].status(clock(2025, 11, 5, 0, 0)) == "open"


def test_a_2024_topic_is_closed_though_the_portal_says_forthcoming(page: dict[str, Any]) -> None:
    row = copy.deepcopy(page["results"][-1])  # a legacy row
    row["metadata"]["identifier"] = ["HORIZON-CL2-2024-TRANSFORMATIONS-01-08"]
    row["metadata"]["startDate"] = ["2023-10-04T00:00:00.000+0000"]
    row["metadata"]["deadlineDate"] = ["2024-02-07T17:00:00.000+0000"]
    t = one_row(page, row)
    assert t.portal_status == "forthcoming"
    assert t.deadlines == (brussels(2024, 2, 7, 17, 0),)
    assert t.status(TALK) == "closed"


def test_status_agrees_with_the_call_made_from_the_topic(page: dict[str, Any]) -> None:
    topics = merge(parse_search_page(page))
    clocks = [TALK, clock(2025, 11, 12, 17, 1), clock(2027, 2, 4, 0, 0), clock(2028, 1, 1)]
    for t in topics:
        call = topic_to_call(t, "x")
        for c in clocks:
            assert t.status(c) == call.status(c), (t.identifier, c)


# --- the bulk file ------------------------------------------------------------------------------


def test_bulk_entries(bulk: dict[str, Any]) -> None:
    topics = parse_bulk(bulk)
    assert [t.identifier for t in topics] == [
        UA, SSRI04, SSRI02, EIE, SOIL, ACC,
        "HORIZON-EIC-2022-UKRAINIANTECH-01-01", "EISMEA-2025-OP-0007",
    ]  # fmt: skip
    t = by_id(topics)
    assert t[UA] == Topic(
        identifier=UA,
        title="EIC call to support UA tech SMEs and start-ups",
        call_identifier="HORIZON-EIC-2025-UKRAINIANTECH-01",
        call_title="EIC call to support UA tech SMEs and start-ups",
        programme="Horizon Europe",
        portal_status="open",
        opens=date(2025, 9, 2),
        deadlines=(brussels(2025, 11, 26, 17, 0),),
        url=TOPIC_URL + UA,
        budget=None,
        type="1",
        source="grantsTenders",
        deadline_model="single-stage",
        keywords=("Start-up companies", "SME support"),
        described=False,
    )
    assert [d.label for d in t[SOIL].deadlines] == ["Stage 1", "Stage 2 (invited)"]
    assert [d.label for d in t[ACC].deadlines] == [f"Cut-off {n}" for n in range(1, 7)]
    old = t["HORIZON-EIC-2022-UKRAINIANTECH-01-01"]
    assert (old.portal_status, old.status(TALK)) == ("closed", "closed")
    tender = t["EISMEA-2025-OP-0007"]
    assert (tender.type, tender.url, tender.programme, tender.opens) == ("0", None, None, None)
    assert tender.deadlines == (brussels(2025, 11, 17, 17, 0),)


def test_bulk_and_search_agree_on_dates(page: dict[str, Any], bulk: dict[str, Any]) -> None:
    search = by_id(merge(parse_search_page(page)))
    for t in parse_bulk(bulk):
        if t.identifier in search:
            s = search[t.identifier]
            assert (t.deadlines, t.opens, t.programme, t.title) == (
                s.deadlines, s.opens, s.programme, s.title,
            ), t.identifier  # fmt: skip


def test_bulk_fallbacks_and_shapes(bulk: dict[str, Any]) -> None:
    entry = bulk["fundingData"]["GrantTenderObj"][3]
    del entry["deadlineDatesLong"]
    del entry["plannedOpeningDateLong"]
    entry["actions"] = [{"deadlineDates": ["1768867200000"], "plannedOpeningDate": "2025-09-10"}]
    entry["frameworkProgramme"] = [entry["frameworkProgramme"]]  # a list, as one fixture has it
    entry["deadlineDatesLong"] = None
    t = parse_bulk(bulk)[3]
    assert t.deadlines == (brussels(2026, 1, 20, 17, 0),)
    assert t.opens == date(2025, 9, 10)
    assert t.programme == "Horizon Europe"


# --- codes --------------------------------------------------------------------------------------


def test_unknown_programme_code_gives_none(page: dict[str, Any]) -> None:
    row = row_of(page, EIE)
    row["metadata"]["frameworkProgramme"] = ["99999999"]
    assert one_row(page, row).programme is None
    assert PROGRAMMES["43152860"] == "Digital Europe"
    assert STATUS_CODES == {"forthcoming": "31094501", "open": "31094502", "closed": "31094503"}


# --- helpers for `watch` ------------------------------------------------------------------------


def test_topic_to_call(page: dict[str, Any]) -> None:
    t = by_id(parse_search_page(page))[SOIL]
    now = datetime(2025, 10, 8, 9, 30, 12, 345, tzinfo=zone(BRUSSELS))
    call = topic_to_call(t, "soil-living-labs", now=now)
    assert call == Call(
        id="soil-living-labs",
        title=t.title,
        deadlines=t.deadlines,
        programme="Horizon Europe",
        identifier=SOIL,
        url=TOPIC_URL + SOIL,
        opens=date(2027, 2, 4),
        timezone=BRUSSELS,
        budget=36_000_000,
        modified=datetime(2025, 10, 8, 7, 30, 12, tzinfo=UTC),
    )
    assert (call.tags, call.notes, call.state) == ((), None, "watching")


def test_topic_without_deadline_becomes_a_tbc_call(page: dict[str, Any]) -> None:
    # a forthcoming topic is what cluster managers watch first; sync fills the date in
    t = by_id(parse_search_page(page))[EIE]._replace(deadlines=())
    call = topic_to_call(t, "x")
    assert (call.identifier, call.deadlines) == (EIE, ())


def test_identifier_query() -> None:
    query = identifier_query([SSRI04, " " + EIE, SSRI04, ""])
    assert query == {"bool": {"must": [{"terms": {"identifier": [SSRI04, EIE]}}]}}
    assert json.dumps(query, separators=(",", ":")) == (
        '{"bool":{"must":[{"terms":{"identifier":["HORIZON-CL3-2025-01-SSRI-04",'
        '"HORIZON-EIE-2026-01-CONNECT-02"]}}]}}'
    )
    with pytest.raises(FundwatchError, match="no identifiers"):
        identifier_query([])


# --- malformed answers ------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], Any]


def set_meta(identifier: str, key: str, value: Any) -> Change:
    def change(page: dict[str, Any]) -> None:
        row_of(page, identifier)["metadata"][key] = value

    return change


def set_result(n: int, value: Any) -> Change:
    def change(page: dict[str, Any]) -> None:
        page["results"][n] = value

    return change


def drop_meta(identifier: str, key: str) -> Change:
    def change(page: dict[str, Any]) -> None:
        del row_of(page, identifier)["metadata"][key]

    return change


def set_top(key: str, value: Any) -> Change:
    def change(page: dict[str, Any]) -> None:
        page[key] = value

    return change


def drop_top(key: str) -> Change:
    def change(page: dict[str, Any]) -> None:
        del page[key]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (set_meta(UA, "deadlineDate", ["xyz"]),
         f"portal answer: result 1 ({UA}): deadlineDate 'xyz' is not a date"),
        (set_meta(SSRI02, "deadlineDate", ["2025-02-30T00:00:00.000+0000"]),
         f"portal answer: result 3 ({SSRI02}): deadlineDate '2025-02-30T00:00:00.000+0000' "
         "is not a date"),
        (set_meta(EIE, "deadlineDate", ["20260120"]), f"({EIE}): deadlineDate '20260120' is not"),
        (set_meta(EIE, "deadlineDate", [{"date": "2026-01-20"}]),
         f"result 4 ({EIE}): deadlineDate holds an object where text was expected"),
        (set_meta(EIE, "startDate", ["soon"]), f"({EIE}): startDate 'soon' is not a date"),
        (set_meta(EIE, "startDate", [True]), f"({EIE}): startDate holds a boolean"),
        (set_meta(EIE, "metadata", None), None),  # an unknown key: no error
        (set_meta(SOIL, "actions", ['[{"types":']),
         f"result 5 ({SOIL}): actions is not valid JSON"),
        (set_meta(SOIL, "actions", ["42"]),
         f"({SOIL}): actions holds the number 42, not an object"),
        (set_meta(SOIL, "budgetOverview", ["{budget"]),
         f"({SOIL}): budgetOverview is not valid JSON"),
        (set_meta(SOIL, "budgetOverview", ["[1, 2]"]), f"({SOIL}): budgetOverview is a list"),
        (set_meta(SOIL, "budgetOverview", ['{"budgetTopicActionMap": []}']),
         f"({SOIL}): budgetTopicActionMap is a list, not an object"),
        (set_meta(SOIL, "budgetOverview", [json.dumps({"budgetTopicActionMap": {"1": [
            {"action": f"{SOIL} - RIA", "budgetYearMap": {"2027": "lots"}}]}})]),
         f"({SOIL}): budgetYearMap: 'lots' is not an amount"),
        # garbage that overflowed: year 10000 in Brussels, a float too big for round()
        (set_meta(UA, "deadlineDate", ["9999-12-31T23:00:00.000+0000"]),
         f"({UA}): deadlineDate '9999-12-31T23:00:00.000+0000' is not a date"),
        (set_meta(UA, "startDate", ["253402300799999"]),
         f"({UA}): startDate '253402300799999' is not a date"),
        (set_meta(SOIL, "budgetOverview", [json.dumps({"budgetTopicActionMap": {"1": [
            {"action": f"{SOIL} - RIA", "budgetYearMap": {"2027": "9" * 400}}]}})]),
         f"({SOIL}): budgetYearMap: '{'9' * 39}…' is not a plausible amount"),
        (set_meta(SOIL, "budgetOverview", [json.dumps({"budgetTopicActionMap": {"1": [
            {"action": f"{SOIL} - RIA", "budgetYearMap": {"2027": 10**15}}]}})]),
         f"({SOIL}): budgetYearMap: '1000000000000000' is not a plausible amount"),
        (set_meta(ACC, "keywords", ['["Deep tech", ']),
         f"result 6 ({ACC}): keywords is not valid JSON"),
        (set_meta(ACC, "keywords", [["nested"]]), f"({ACC}): keywords holds a list"),
        (set_meta(UA, "identifier", [{"id": 1}]), "result 1: identifier holds an object"),
        (drop_meta(UA, "identifier"), "portal answer: result 1: no identifier"),
        (set_meta(UA, "title", {"en": "x"}), f"({UA}): title holds an object"),
        (set_result(2, "HORIZON-CL3-2025-01-SSRI-02"),
         "portal answer: result 3 is the text 'HORIZON-CL3-2025-01-SSRI-02', not an object"),
        (set_result(0, None), "portal answer: result 1 is null, not an object"),
        (set_result(0, {"metadata": ["identifier"]}),
         "portal answer: result 1: metadata is a list, not an object"),
        (set_top("results", {"0": {}}), "portal answer: 'results' is an object, not a list"),
        (set_top("results", None), "portal answer: 'results' is null, not a list"),
        (drop_top("results"), "portal answer: no 'results'"),
    ],
)  # fmt: skip
def test_malformed_search_answers(page: dict[str, Any], change: Any, message: str | None) -> None:
    change(page)
    if message is None:
        parse_search_page(page)
        return
    with pytest.raises(FundwatchError) as info:
        parse_search_page(page)
    assert message in info.value.message
    assert info.value.hint and "shape" in info.value.hint


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "portal answer: expected a JSON object, got a list"),
        (None, "portal answer: expected a JSON object, got null"),
        ("<html>Service Unavailable</html>", "got the text '<html>Service Unavailable</html>'"),
        ({"message": "Invalid Query format"}, "portal answer: no 'results'"),
    ],
)
def test_not_a_search_answer(data: Any, message: str) -> None:
    with pytest.raises(FundwatchError) as info:
        parse_search_page(data)
    assert message in info.value.message


def test_where_names_the_page(page: dict[str, Any]) -> None:
    row_of(page, EIE)["metadata"]["deadlineDate"] = ["later"]
    with pytest.raises(FundwatchError, match=r"^portal answer, page 2: result 4 \("):
        parse_search_page(page, where="portal answer, page 2")


def test_empty_page_is_no_topics(page: dict[str, Any]) -> None:
    assert parse_search_page({**page, "results": []}) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.clear(), "grantsTenders.json: fundingData: expected a JSON object, got null"),
        (lambda d: d["fundingData"].clear(),
         "grantsTenders.json: fundingData: no 'GrantTenderObj'"),
        (lambda d: d["fundingData"].update(GrantTenderObj="x"), "'GrantTenderObj' is the text 'x'"),
        (lambda d: d["fundingData"]["GrantTenderObj"].__setitem__(1, 7),
         "grantsTenders.json: entry 2 is the number 7, not an object"),
        (lambda d: d["fundingData"]["GrantTenderObj"][0].update(deadlineDatesLong=["xyz"]),
         f"grantsTenders.json: entry 1 ({UA}): deadlineDatesLong 'xyz' is not a date"),
        (lambda d: d["fundingData"]["GrantTenderObj"][0].update(deadlineDatesLong={"a": 1}),
         f"entry 1 ({UA}): deadlineDatesLong is an object, not a list of dates"),
        (lambda d: d["fundingData"]["GrantTenderObj"][0].update(deadlineDatesLong=[10**20]),
         f"entry 1 ({UA}): deadlineDatesLong '100000000000000000000' is not a date"),
        (lambda d: d["fundingData"]["GrantTenderObj"][0].update(plannedOpeningDateLong=False),
         f"entry 1 ({UA}): plannedOpeningDateLong 'false' is not a date"),
        (lambda d: d["fundingData"]["GrantTenderObj"][0].update(status=True),
         f"entry 1 ({UA}): status is a boolean"),
        (lambda d: d["fundingData"]["GrantTenderObj"][0].pop("identifier"),
         "grantsTenders.json: entry 1: no identifier"),
    ],
)  # fmt: skip
def test_malformed_bulk_files(bulk: dict[str, Any], change: Any, message: str) -> None:
    change(bulk)
    with pytest.raises(FundwatchError) as info:
        parse_bulk(bulk)
    assert message in info.value.message


def test_bulk_not_an_object() -> None:
    with pytest.raises(FundwatchError, match=r"grantsTenders\.json: expected a JSON object"):
        parse_bulk([{"identifier": "x"}])


WEIRD: list[Any] = [None, {}, {"a": [1]}, [], [{}], [None], ["[{"], ["{"], [""], [True], 7, 7.5,
                    "x", ["2025-13-45"], [[["deep"]]], [10**30]]  # fmt: skip


def test_any_odd_metadata_value_gives_a_topic_or_a_fundwatch_error(
    page_data: dict[str, Any],
) -> None:
    """Every metadata key of every row, set to each odd value: never KeyError, TypeError..."""
    errors = 0
    for n, row in enumerate(page_data["results"]):
        for key in row["metadata"]:
            for value in WEIRD:
                changed = copy.deepcopy(row)
                changed["metadata"][key] = value
                try:
                    parse_search_page({"results": [changed]})
                except FundwatchError as exc:
                    assert exc.message.startswith("portal answer: result 1"), (n, key, value)
                    errors += 1
    assert errors > 100  # the checks do fire


def test_any_odd_bulk_value_gives_a_topic_or_a_fundwatch_error(bulk_data: dict[str, Any]) -> None:
    for entry in bulk_data["fundingData"]["GrantTenderObj"]:
        for key in entry:
            for value in WEIRD:
                changed = {**entry, key: value}
                try:
                    parse_bulk({"fundingData": {"GrantTenderObj": [changed]}})
                except FundwatchError as exc:
                    assert exc.message.startswith("grantsTenders.json: entry 1"), (key, value)
