"""`fundwatch sync`: refresh the watched calls from the Funding & Tenders Portal, and run
the saved searches."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from fundwatch.cli.app import command
from fundwatch.cli.context import Session, out
from fundwatch.output.terminal import is_terminal

if TYPE_CHECKING:
    from fundwatch.domain.discovery import Found
    from fundwatch.domain.timeutil import Clock
    from fundwatch.portal.discovery import Outcome


@command(example=["fundwatch sync --dry-run", "fundwatch sync"])
def sync(
    session: Session,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Refresh the calls that have an identifier; run the saved searches; say what is new.

    Each call with an identifier is refreshed from the portal, and what
    changed is said; each saved search runs, and its new topics are listed.

    The portal's fields (title, deadlines, opening, link, budget, programme) are
    updated; yours (tags, notes, state) never are. A network failure writes nothing.
    """
    from fundwatch.domain import discovery
    from fundwatch.output.tables import one_line
    from fundwatch.portal import client
    from fundwatch.portal import discovery as finder
    from fundwatch.portal.sync import sync_calls, sync_table
    from fundwatch.storage import store

    clock = session.clock
    loaded = session.load()
    asked = list(dict.fromkeys(c.identifier for c in loaded.calls if c.identifier))
    searches = discovery.read_searches(loaded.extra)
    if not asked and not searches:
        if is_terminal(sys.stderr):
            sys.stderr.write("No call has an identifier and no search is saved: nothing to ask.\n")
        return
    # all network work first: a failure leaves the watchlist as it was
    url = session.settings.portal_url
    timeout = client.timeout_from_env()
    topics = client.fetch_topics(url, asked, timeout=timeout) if asked else {}
    outcomes = finder.run_all(url, searches, clock, asked)
    if dry_run:
        _, changes = sync_calls(loaded.calls, topics, clock, set(asked))
    else:
        with store.transaction(session.path) as watchlist:
            watchlist.calls, changes = sync_calls(watchlist.calls, topics, clock, set(asked))
            if asked:
                watchlist.extra["sync"] = sync_table(changes, clock, watchlist.extra.get("sync"))
            if outcomes:
                # a search saved, edited or removed while this one ran (by hand, by
                # another sync) is left as it is now: this run is not recorded for it
                before = {s.name.casefold(): s for s in searches}
                now = discovery.read_searches(watchlist.extra)
                current = {s.name.casefold(): s for s in now}
                ran = {}
                for o in outcomes:
                    key = o.search.name.casefold()
                    if key in current and current[key] == before[key]:
                        ran[key] = o
                    else:
                        sys.stderr.write(
                            f"warning: saved search '{one_line(o.search.name)}' changed while "
                            "sync ran; this run is not recorded for it\n"
                        )
                outcomes = list(ran.values())
                kept = [ran[k].search if k in ran else s for k, s in current.items()]
                watchlist.extra[discovery.TABLE] = discovery.searches_table(kept)
    for change in changes:
        out(change.line() + "\n")
    for outcome in outcomes:
        _report(outcome, clock, dry_run)
    if is_terminal(sys.stderr):
        what = "would change" if dry_run else "changed"
        found = sum(len(o.new) for o in outcomes)
        tail = f"; {len(outcomes)} saved searches, {found} new topics" if outcomes else ""
        sys.stderr.write(f"Checked {len(asked)} topics: {len(changes)} {what}{tail}.\n")


def _report(outcome: Outcome, clock: Clock, dry_run: bool) -> None:
    from fundwatch.output.tables import one_line
    from fundwatch.portal.client import MAX_RESULTS

    s = outcome.search
    name = one_line(s.name)
    if outcome.too_broad:
        sys.stderr.write(
            f"warning: saved search '{name}' is too broad: the portal has {s.hits} results "
            f"for it (at most {MAX_RESULTS}); nothing recorded (narrow it: remove it and "
            "save it again with more words, --status, --programme or --kind)\n"
        )
        return
    if outcome.first:
        n = s.hits or 0
        out(
            f"'{name}': first run, {n} topic{'s' * (n != 1)} "
            + ("would be recorded" if dry_run else "recorded")
            + " (later syncs report the new ones)\n"
        )
        return
    for f in outcome.new:
        out(new_line(f, clock) + "\n")


def new_line(f: Found, clock: Clock) -> str:
    """``new for 'NAME': IDENTIFIER "Title", closes 15 Apr 2026`` (a deadline at another
    time than 17:00, a cascade call's, with its time and zone)."""
    from datetime import datetime

    from fundwatch.domain.timeutil import city
    from fundwatch.output.tables import one_line

    nxt = f.next_deadline(clock)
    if nxt is None:
        when = "no deadline yet" if not f.deadlines else "closed"
    else:
        at = nxt.at
        when = f"closes {at.day} {at:%b %Y}"
        if isinstance(at, datetime) and (at.hour, at.minute) != (17, 0):
            when += f" {at:%H:%M} ({city(nxt.timezone)})"
    if f.opens is not None and f.opens > clock.today:
        when = f"opens {f.opens.day} {f.opens:%b %Y}, {when}"
    return one_line(f"new for '{f.search}': {f.identifier} \"{f.title}\", {when}")
