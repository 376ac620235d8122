"""The published page's urgency classes follow the thresholds every output shares."""

from __future__ import annotations

from datetime import UTC, datetime

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.query import DeadlineRow
from fundwatch.domain.timeutil import Clock
from fundwatch.output.page import sections
from fundwatch.output.presentation import SOON_DAYS, URGENT_DAYS


def test_days_left_at_each_threshold_get_their_class() -> None:
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC), "Europe/Brussels")
    rows = []
    for days in (0, URGENT_DAYS, URGENT_DAYS + 1, SOON_DAYS, SOON_DAYS + 1):
        at = datetime(2026, 1, 5 + days, 17)
        call = Call(f"c{days}", f"Call {days}", (Deadline(at),))
        rows.append(DeadlineRow(call, call.deadlines[0], days))
    months = next(s.html for s in sections(rows, clock, "T", None) if s.id == "months")
    classes = [item.split(">", 1)[0] for item in months.split("<li")[1:]]
    assert classes == [' class="soon"', ' class="soon"', ' class="near"', ' class="near"', ""]
