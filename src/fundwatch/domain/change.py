"""A change to a watched call, in words: what `sync` found at the portal, what an
`import` did, what `remind` reports from the ``[sync]`` table."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from fundwatch.domain.model import one_line


class Change(NamedTuple):
    call_id: str
    text: str  # "deadline moved from 12 Nov 2025 17:00 to 19 Nov 2025 17:00 (Brussels)"
    identifier: str | None = None  # the portal's identifier, when the call has one
    seen: datetime | None = None  # UTC: when a sync saw it

    def line(self) -> str:
        """``IDENTIFIER: text`` (else the call's id) on one line for a terminal: the
        portal's text cannot move the cursor or break the line."""
        return one_line(f"{self.identifier or self.call_id}: {self.text}")
