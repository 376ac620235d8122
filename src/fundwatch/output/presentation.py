"""How things are shown, decided once for every output: the urgency of a deadline
(terminal colours, e-mail rows, chat cards), which deadline a call's row shows, and
the column sets of the CSV outputs (the scripting contract, cli-contract.md). Which
deadline a row shows is domain.query.shown_deadline (the list sorts by it too)."""

from __future__ import annotations

from fundwatch.domain.query import shown_deadline as shown_deadline  # the rule, for rows

URGENT_DAYS = 3  # due within this many days: red, bold
SOON_DAYS = 14  # within this many: amber
NOT_YET = "TBC"  # the deadline of a call that has none yet


def urgency(days_left: int | None) -> str:
    """``past``, ``urgent`` (URGENT_DAYS or fewer), ``soon`` (SOON_DAYS or fewer) or ``""``."""
    if days_left is None:
        return ""
    if days_left < 0:
        return "past"
    if days_left <= URGENT_DAYS:
        return "urgent"
    if days_left <= SOON_DAYS:
        return "soon"
    return ""


LIST_CSV = (
    "id", "title", "programme", "identifier", "url", "tags", "state", "status", "opens",
    "timezone", "next_deadline", "days_left", "deadlines", "budget", "notes",
)  # fmt: skip
UPCOMING_CSV = ("call_id", "title", "programme", "identifier", "url", "at", "label", "all_day",
                "days_left")  # fmt: skip
SEARCH_CSV = ("identifier", "title", "status", "next_deadline", "days_left", "url", "opens",
              "programme", "deadlines", "budget")  # fmt: skip
