"""One run of fundwatch without the command-line framework: the Session (what the global
options and the environment say: file, as-of, settings, clock), and the read-only views
(`list`, `upcoming`) shared by the typer commands and the fast path (fast.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundwatch.domain.errors import FundwatchError

if TYPE_CHECKING:
    from fundwatch.domain.query import Filters
    from fundwatch.domain.timeutil import Clock
    from fundwatch.output.tables import Grid
    from fundwatch.storage.codec import Watchlist
    from fundwatch.storage.settings import Settings


class Session:
    """One run: what the global options and the environment say, and what follows from them.

    The typer app keeps it in ``ctx.obj``; the fast path makes its own. Settings and the
    clock are worked out once, when first asked for."""

    def __init__(
        self, file: Path | None = None, as_of: str | None = None, debug: bool = False
    ) -> None:
        self.file, self.as_of, self.debug = file, as_of, debug
        self._cache: dict[str, Any] = {}

    def given(self, file: Path | None, as_of: str | None, debug: bool) -> None:
        """The global options given after the command win over those before it."""
        self.file = file or self.file
        self.as_of = as_of or self.as_of
        self.debug = debug or self.debug

    @property
    def path(self) -> Path:
        from fundwatch.storage.settings import watchlist_path

        return watchlist_path(self.file)

    @property
    def settings(self) -> Settings:
        if "settings" not in self._cache:
            from fundwatch.storage.settings import load_settings

            self._cache["settings"] = load_settings()
        return self._cache["settings"]  # type: ignore[no-any-return]

    @property
    def clock(self) -> Clock:
        """Now (or the --as-of day), in the display zone; worked out once per run."""
        from fundwatch.domain.timeutil import Clock

        as_of = self.as_of or os.environ.get("FUNDWATCH_AS_OF") or None
        key = f"clock:{as_of}"
        if key not in self._cache:
            tz = self.settings.display_timezone
            try:
                self._cache[key] = Clock.at(tz, as_of)
            except FundwatchError as exc:
                raise FundwatchError(f"--as-of: {exc.message}", exc.hint) from None
        return self._cache[key]  # type: ignore[no-any-return]

    def load(self) -> Watchlist:
        from fundwatch.storage import store

        return store.load(self.path)


def debug_from_env() -> bool:
    """FUNDWATCH_DEBUG=1 (anything but empty, 0, false, no) asks for tracebacks."""
    return os.environ.get("FUNDWATCH_DEBUG", "").lower() not in ("", "0", "false", "no")


def out(text: str) -> None:
    sys.stdout.write(text)


def emit(
    fmt: str,
    grid: Callable[[], Grid],
    data: Callable[[], Any],
    csv_text: Callable[[], str],
    empty: str,
    count: int,
) -> None:
    """Print rows in the chosen format; a rich table on a terminal, plain text when piped.

    With no rows, json and csv still print (an empty array, a header); the human
    formats print nothing, and say so on a terminal only, so that cron mails nothing.
    """
    from fundwatch.output import tables
    from fundwatch.output.terminal import is_terminal

    if fmt == "json":
        out(tables.to_json(data()))
    elif fmt == "csv":
        out(csv_text())
    elif count == 0:
        if is_terminal():
            sys.stderr.write(empty + "\n")
    elif fmt == "markdown":
        out(tables.to_markdown(grid()))
    else:
        from fundwatch.output.terminal import print_grid

        if is_terminal():
            print_grid(grid())
        else:
            out(tables.to_text(grid()))


def list_view(state: Session, filters: Filters, fmt: str) -> None:
    from fundwatch.domain.query import Filters, call_rows
    from fundwatch.output import tables

    clock = state.clock
    rows = call_rows(state.load().calls, clock, filters)
    emit(
        fmt,
        lambda: tables.calls_grid(rows, clock),
        lambda: [tables.call_record(r.call, clock) for r in rows],
        lambda: tables.calls_csv([r.call for r in rows], clock),
        "No calls match." if filters != Filters() else "The watchlist is empty.",
        len(rows),
    )


def upcoming_view(
    state: Session, filters: Filters, within: str, fmt: str, include_done: bool
) -> None:
    from fundwatch.domain.query import upcoming_rows, window_end
    from fundwatch.domain.timeutil import parse_option_duration
    from fundwatch.output import tables

    span = parse_option_duration(within, "--within")
    clock = state.clock
    calls = state.load().calls_between(clock.now_utc, window_end(clock, span))
    rows = upcoming_rows(calls, clock, span, filters, include_done=include_done)
    emit(
        fmt,
        lambda: tables.upcoming_grid(rows, clock),
        lambda: [tables.upcoming_record(r) for r in rows],
        lambda: tables.upcoming_csv(rows),
        f"Nothing due within {span}.",
        len(rows),
    )
