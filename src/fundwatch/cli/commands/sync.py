"""`fundwatch sync`: refresh the watched calls from the Funding & Tenders Portal."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fundwatch.cli.app import command
from fundwatch.cli.context import Session, out


@command(example=["fundwatch sync --dry-run", "fundwatch sync"])
def sync(
    session: Session,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Refresh every call that has an identifier from the portal and say what changed.

    The portal's fields (title, deadlines, opening, link, budget, programme) are
    updated; yours (tags, notes, state) never are. A network failure writes nothing.
    """
    from fundwatch.portal import client
    from fundwatch.portal.sync import sync_calls, sync_table
    from fundwatch.storage import store

    clock = session.clock
    asked = list(dict.fromkeys(c.identifier for c in session.load().calls if c.identifier))
    if not asked:
        if sys.stderr.isatty():
            sys.stderr.write("No call has an identifier: nothing to ask the portal.\n")
        return
    # all network work first: a failure leaves the watchlist as it was
    topics = client.fetch_topics(
        session.settings.portal_url, asked, timeout=client.timeout_from_env()
    )
    if dry_run:
        _, changes = sync_calls(session.load().calls, topics, clock, set(asked))
    else:
        with store.transaction(session.path) as watchlist:
            watchlist.calls, changes = sync_calls(watchlist.calls, topics, clock, set(asked))
            watchlist.extra["sync"] = sync_table(changes, clock, watchlist.extra.get("sync"))
    for change in changes:
        out(change.line() + "\n")
    if sys.stderr.isatty():
        what = "would change" if dry_run else "changed"
        sys.stderr.write(f"Checked {len(asked)} topics: {len(changes)} {what}.\n")
