"""`fundwatch sync`: refresh the watched calls from the Funding & Tenders Portal."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fundwatch.app import out
from fundwatch.cli import STATE, command


@command()
def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Refresh every call that has an identifier from the portal and say what changed.

    The portal's fields (title, deadlines, opening, link, budget, programme) are
    updated; yours (tags, notes, state) never are. A network failure writes nothing.
    """
    from fundwatch import portal_client, store
    from fundwatch.sync import sync_calls, sync_table

    clock = STATE.clock
    asked = list(dict.fromkeys(c.identifier for c in STATE.load().calls if c.identifier))
    if not asked:
        if sys.stderr.isatty():
            sys.stderr.write("No call has an identifier: nothing to ask the portal.\n")
        return
    # all network work first: a failure leaves the watchlist as it was
    topics = portal_client.fetch_topics(
        STATE.settings.portal_url, asked, timeout=portal_client.timeout_from_env()
    )
    if dry_run:
        _, changes = sync_calls(STATE.load().calls, topics, clock, set(asked))
    else:
        with store.transaction(STATE.path) as watchlist:
            watchlist.calls, changes = sync_calls(watchlist.calls, topics, clock, set(asked))
            watchlist.extra["sync"] = sync_table(changes, clock, watchlist.extra.get("sync"))
    for change in changes:
        out(change.line() + "\n")
    if sys.stderr.isatty():
        what = "would change" if dry_run else "changed"
        sys.stderr.write(f"Checked {len(asked)} topics: {len(changes)} {what}.\n")
