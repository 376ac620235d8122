"""The watchlist commands: init, add, show, edit, remove, list, upcoming, check, config.

Each body reads like a sentence: load, query, render. The work is in store, changes,
query and formats, which tests call directly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fundwatch import __version__
from fundwatch.cli import options
from fundwatch.cli.app import CallState, Format, command, option
from fundwatch.cli.context import Session, list_view, out, upcoming_view
from fundwatch.domain.errors import FundwatchError, UsageProblem
from fundwatch.domain.query import Filters
from fundwatch.output.tables import Grid

if TYPE_CHECKING:
    from fundwatch.storage.codec import Problem

FormatOpt = Annotated[Format, option(options.FORMAT)]
WithinOpt = Annotated[str, option(options.WITHIN)]
AllOpt = Annotated[bool, option(options.ALL)]
IdArg = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The call's id (see `fundwatch list`), its official identifier, or the start "
        "of its id.",
    ),
]


# --- creating and changing calls ---------------------------------------------------------


def sample_text() -> str:
    """The bundled sample watchlist (inside the wheel, or data/ in a source checkout)."""
    from importlib.resources import files

    bundled = files("fundwatch").joinpath("data", "calls.toml")
    if bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    # an editable install: the repository's data/ folder
    return (Path(__file__).resolve().parents[4] / "data" / "calls.toml").read_text(encoding="utf-8")


@command(
    example=["fundwatch init", "fundwatch init --sample", "fundwatch --file team/calls.toml init"]
)
def init(
    session: Session,
    sample: Annotated[
        bool, typer.Option("--sample", help="Fill it with the bundled calls.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing watchlist (kept as .bak).")
    ] = False,
) -> None:
    """Create the watchlist."""
    from fundwatch.storage import codec, files

    path = session.path
    text = sample_text() if sample else f"version = {codec.FORMAT_VERSION}\n"
    count = len(codec.parse_or_raise(text, Path("data/calls.toml")).calls)
    files.regular_file(path)  # a folder or a device is an error
    with files.locked(path):
        old = path.read_bytes() if files.regular_file(path) else None
        if old is not None and not force:
            raise FundwatchError(
                f"{path} already exists",
                hint="use --force to replace it; the old one is kept as .bak",
            )
        files.commit(path, old, text.encode("utf-8"))
    what = f"{count} sample calls" if sample else "no calls yet"
    out(f"Created {path} ({what}).\n")
    if sample:
        out("Try: fundwatch upcoming --as-of 2025-10-08 --within 120d\n")


def _input(**given: Any) -> Any:
    from fundwatch.domain.fields import CallInput

    values: dict[str, Any] = {
        k: (v.value if isinstance(v, CallState) else v) for k, v in given.items()
    }
    values["deadlines"] = tuple(values.get("deadlines") or ())
    if values.get("tags") is not None:
        values["tags"] = tuple(values["tags"])
    return CallInput(**values)


DeadlineOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--deadline", "-d", metavar="[LABEL=]WHEN",
        help="A deadline (26/11/2025 17:00, 2026-01-20, 'Stage 1=16/09/2025'); repeatable.",
        show_default=False,
    ),
]  # fmt: skip
OpensOpt = Annotated[str | None, typer.Option("--opens", metavar="WHEN", help="Opening date.")]
IdOpt = Annotated[str | None, typer.Option("--id", help="Id (default: from the title).")]
ProgrammeOpt = Annotated[str | None, typer.Option("--programme", help="Programme name.")]
IdentifierOpt = Annotated[
    str | None,
    typer.Option("--identifier", help="Official topic id, e.g. HORIZON-CL3-2025-01-SSRI-04."),
]
UrlOpt = Annotated[str | None, typer.Option("--url", help="Link to the call.")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeatable.")]
TimezoneOpt = Annotated[
    str | None, typer.Option("--timezone", help="IANA zone of the deadlines (Europe/Brussels).")
]
BudgetOpt = Annotated[str | None, typer.Option("--budget", help="Budget (a number or text).")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free text.")]
StateOpt = Annotated[
    CallState | None,
    option(options.Opt(("--state",), "state", "Your own state of the call.", choices=CallState)),
]


@command(
    example=[
        'fundwatch add "EIC Accelerator 2026" --deadline 04/03/2026 --tag eic',
        'fundwatch add "Two stages" -d "Stage 1=16/09/2025" -d "Stage 2=18/02/2026"',
        'fundwatch add "Soil labs" -d 2026-01-20 --programme LIFE --state preparing',
    ]
)
def add(
    session: Session,
    title: Annotated[str, typer.Argument(help="The call's title.")],
    deadline: DeadlineOpt = None,
    opens: OpensOpt = None,
    id: IdOpt = None,
    programme: ProgrammeOpt = None,
    identifier: IdentifierOpt = None,
    url: UrlOpt = None,
    tag: TagOpt = None,
    timezone: TimezoneOpt = None,
    budget: BudgetOpt = None,
    notes: NotesOpt = None,
    state: StateOpt = None,
) -> None:
    """Add a call (creating the watchlist if there is none); prints its id.

    Without --deadline (or with --deadline TBC) the call has no deadline yet: it is
    forthcoming until its opening date and shows TBC."""
    from fundwatch.domain.fields import new_call
    from fundwatch.storage import store

    given = _input(
        title=title, deadlines=deadline, opens=opens, id=id, programme=programme,
        identifier=identifier, url=url, tags=tag, timezone=timezone, budget=budget,
        notes=notes, state=state,
    )  # fmt: skip
    settings = session.settings
    with store.transaction(session.path, create=True) as watchlist:
        now = session.clock.now
        call = new_call(given, watchlist.ids(), settings.timezone, settings.deadline_time, now)
        _identifier_free(call.identifier, watchlist.calls)
        watchlist.calls.append(call)
    out(call.id + "\n")


def _identifier_free(identifier: str | None, calls: list[Any], mine: str | None = None) -> None:
    """One call per official identifier: a second one is a mistake (`edit` the first)."""
    if not identifier:
        return
    folded = identifier.casefold()
    for other in calls:
        if other.id != mine and other.identifier and other.identifier.casefold() == folded:
            raise FundwatchError(
                f"{other.identifier} is already on the watchlist as {other.id}",
                hint=f"change that call with `fundwatch edit {other.id} ...`",
            )


@command(
    example=[
        "fundwatch edit soil-living-labs --state preparing",
        'fundwatch edit soil-living-labs --deadline 2026-02-01 --notes ""',
        "fundwatch edit soil-living-labs --id soil-labs",
        'fundwatch edit eic-acc --set-deadline "Cut-off 2=11/03/2027 17:00"',
    ]
)
def edit(
    session: Session,
    call_id: IdArg,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    deadline: DeadlineOpt = None,
    opens: OpensOpt = None,
    id: Annotated[str | None, typer.Option("--id", help="Rename the call.")] = None,
    programme: ProgrammeOpt = None,
    identifier: IdentifierOpt = None,
    url: UrlOpt = None,
    tag: TagOpt = None,
    timezone: TimezoneOpt = None,
    budget: BudgetOpt = None,
    notes: NotesOpt = None,
    state: StateOpt = None,
    set_deadline: Annotated[
        list[str] | None,
        typer.Option(
            "--set-deadline",
            metavar="LABEL=WHEN",
            help="Change the deadline with that label, or add it; the others stay. Repeatable.",
            show_default=False,
        ),
    ] = None,
    drop_deadline: Annotated[
        list[str] | None,
        typer.Option(
            "--drop-deadline",
            metavar="LABEL",
            help="Remove the deadline with that label (or on that date). Repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Change a call's fields; --deadline and --tag replace the old ones, '' clears a field.

    --set-deadline and --drop-deadline change one deadline and leave the others.
    """
    from fundwatch.domain import edits
    from fundwatch.domain.fields import check_opening, edited_call, restamp
    from fundwatch.storage import store

    given = _input(
        title=title, deadlines=deadline, opens=opens, id=id, programme=programme,
        identifier=identifier, url=url, tags=tag, timezone=timezone, budget=budget,
        notes=notes, state=state,
    )  # fmt: skip
    default_time = session.settings.deadline_time
    lines: list[str] = []
    with store.transaction(session.path) as watchlist:
        call = watchlist.find(call_id)
        taken = watchlist.ids() - {call.id, call.stem}
        new, changed = edited_call(call, given, taken, default_time)
        if "identifier" in changed:
            _identifier_free(new.identifier, watchlist.calls, mine=call.id)
        if given.deadlines:
            lines += edits.changes(call.deadlines, new.deadlines)
        # drops first: `--drop-deadline X --set-deadline X=WHEN` puts X back as given
        before = new.deadlines
        for label in drop_deadline or ():
            new = edits.drop_deadline(new, label)
        for text in set_deadline or ():
            new = edits.set_deadline(new, text, default_time)
        lines += edits.changes(before, new.deadlines)
        if new.deadlines != call.deadlines or new.opens != call.opens:
            check_opening(new)
        if new.deadlines != call.deadlines and "deadlines" not in changed:
            changed.append("deadlines")
        if changed:
            new = restamp(new, session.clock.now)
        watchlist.put(new, old_id=call.id)
    if changed:
        out(f"Updated {new.id}: {', '.join(changed)}.\n")
        out("".join(f"  {line}\n" for line in lines))
        if given.deadlines and any(line.startswith("removed ") for line in lines):
            sys.stderr.write(
                "note: --deadline replaces every deadline; --set-deadline LABEL=WHEN changes "
                "one, --drop-deadline LABEL removes one\n"
            )
    else:
        out(f"Nothing to change in {new.id}.\n")


@command(
    example=[
        "fundwatch remove soil-living-labs",
        "fundwatch remove soil-living-labs eic-acc --yes",
    ]
)
def remove(
    session: Session,
    call_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="The calls' ids, official identifiers, or the starts of their ids.",
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove one or more calls."""
    from fundwatch.storage import store

    loaded = session.load()
    calls = list({c.id: c for c in (loaded.find(key) for key in call_ids)}.values())
    if not yes:
        names = ", ".join(c.id for c in calls)
        if not sys.stdin.isatty():
            raise UsageProblem(f"not removing {names} without --yes (no terminal to ask on)")
        question = (
            f"Remove '{calls[0].title}' ({calls[0].id})?"
            if len(calls) == 1
            else f"Remove {len(calls)} calls ({names})?"
        )
        if not typer.confirm(question, default=False):
            raise FundwatchError("nothing removed")
    with store.transaction(session.path) as watchlist:
        for call in calls:
            watchlist.remove(call.id)
    out("".join(f"Removed {call.id}.\n" for call in calls))


# --- reading -----------------------------------------------------------------------------


@command(
    example=["fundwatch show eic-ukrainian-tech", "fundwatch show eic-ukrainian-tech --format json"]
)
def show(session: Session, call_id: IdArg, fmt: FormatOpt = Format.table) -> None:
    """One call: every field, every deadline with days left."""
    from fundwatch.output import tables

    call, clock = session.load().find(call_id), session.clock
    if fmt is Format.json:
        out(tables.to_json(tables.call_record(call, clock)))
        return
    if fmt is Format.csv:
        out(tables.calls_csv([call], clock))
        return
    pairs = call_fields(call, clock)
    grid = deadlines_grid(call, clock)
    if fmt is Format.markdown:
        lines = [f"- **{tables.md_escape(k)}:** {tables.md_escape(v)}" for k, v in pairs]
        out("\n".join(lines) + "\n\n" + tables.to_markdown(grid))
        return
    from fundwatch.output.terminal import is_terminal, print_fields

    if is_terminal():
        print_fields(pairs, grid)
    else:
        width = max(len(k) for k, _ in pairs)
        text = "".join(f"{k:<{width}}  {tables.one_line(v)}\n" for k, v in pairs)
        out(text + "\n" + tables.to_text(grid))


def call_fields(call: Any, clock: Any) -> list[tuple[str, str]]:
    from fundwatch.domain.timeutil import human

    opens = call.opens_local()
    pairs = [
        ("ID", call.id),
        ("Title", call.title),
        ("Programme", call.programme or ""),
        ("Identifier", call.identifier or ""),
        ("URL", call.url or ""),
        ("State", call.state),
        ("Status", call.status(clock)),
        ("Opens", human(opens) if opens is not None else ""),
        ("Time zone", call.timezone),
        ("Budget", "" if call.budget is None else str(call.budget)),
        ("Tags", ", ".join(call.tags)),
        ("Notes", call.notes or ""),
    ]
    return [(k, v) for k, v in pairs if v]


def deadlines_grid(call: Any, clock: Any) -> Grid:
    from fundwatch.output.presentation import NOT_YET
    from fundwatch.output.tables import days_text, when_text, zone_caption

    grid = Grid(["Deadline", "Left", "Stage"], right=frozenset({1}), caption=zone_caption(clock))
    if not call.deadlines:
        grid.add([NOT_YET, "", ""], None, call.url)  # no deadline yet
    for d in call.deadlines:
        days = d.days_left(clock)
        left = "passed" if d.passed(clock) else days_text(days)
        grid.add([when_text(d, clock), left, d.label or ""], days, call.url)
    return grid


@command(
    "list",
    filters=True,
    example=[
        "fundwatch list --status open",
        "fundwatch list --tag eic --format csv > calls.csv",
        "fundwatch list --search ukrain --programme horizon --format markdown",
    ],
)
def list_(session: Session, filters: Filters, fmt: FormatOpt = options.FORMAT.default) -> None:
    """One row per call: id, title, programme, status, next deadline, days left."""
    list_view(session, filters, fmt.value)


@command(
    filters=True,
    example=[
        "fundwatch upcoming --within 2w",
        "fundwatch upcoming --within 3m --state preparing",
        "fundwatch upcoming --as-of 2025-10-08 --within 120d --format json",
    ],
)
def upcoming(
    session: Session,
    filters: Filters,
    within: WithinOpt = options.WITHIN.default,
    fmt: FormatOpt = options.FORMAT.default,
    all_: AllOpt = options.ALL.default,
) -> None:
    """One row per deadline from now to now + DUR, soonest first."""
    upcoming_view(session, filters, within, fmt.value, all_)


@command(example=["fundwatch check", "fundwatch --file team/calls.toml check"])
def check(session: Session) -> None:
    """Validate the watchlist and say what is wrong, where."""
    from fundwatch.storage import codec, files

    path = session.path
    watchlist, problems = codec.parse(files.read_text(path), path)
    problems += _search_problems(watchlist.extra)
    for problem in problems:
        out(problem.render(path) + "\n")
    if problems:
        n = len(problems)
        raise FundwatchError(f"{path}: {n} problem{'s' * (n > 1)}")
    notes = codec.doubts(watchlist)
    for note in notes:
        out(f"{path}: warning: {note}\n")
    from fundwatch.storage.settings import unknown_keys

    for line in unknown_keys(session.settings):
        out(f"{session.settings.path}: warning: {line}\n")
    deadlines = sum(len(c.deadlines) for c in watchlist.calls)
    out(f"{path}: {len(watchlist.calls)} calls, {deadlines} deadlines, no problems.\n")


def _search_problems(extra: dict[str, Any]) -> list[Problem]:
    """What keeps the saved searches (``[[searches]]``) from being read or run."""
    from fundwatch.domain.discovery import read_searches
    from fundwatch.domain.errors import BadValue, WatchlistError
    from fundwatch.portal.discovery import plan_all
    from fundwatch.storage.codec import Problem

    try:
        plan_all(read_searches(extra))
    except (WatchlistError, BadValue) as exc:
        return [Problem(None, exc.message, exc.hint)]
    return []


MAIL_SETTINGS = ("mail_from", "smtp_host", "smtp_port", "smtp_security", "smtp_user")


@command(example=["fundwatch config", "fundwatch config --format json"])
def config(session: Session, fmt: FormatOpt = Format.table) -> None:
    """The resolved paths and settings."""
    from fundwatch.output import tables
    from fundwatch.storage.settings import cache_dir

    cache = cache_dir()
    s = session.settings
    sources = s.sources or {}
    path = session.path
    if session.file:
        file_source = "--file"
    elif os.environ.get("FUNDWATCH_FILE"):
        file_source = "$FUNDWATCH_FILE"
    else:
        file_source = "default"
    from fundwatch.storage.settings import unknown_keys

    for line in unknown_keys(s):
        sys.stderr.write(f"warning: {s.path}: {line}\n")
    clock = session.clock
    rows: list[tuple[str, Any, str]] = [
        ("watchlist", str(path), file_source + ("" if path.exists() else ", not created yet")),
        ("settings", str(s.path), "exists" if s.exists else "not found, defaults in use"),
        ("cache", str(cache or ""), "" if cache else "disabled"),
        ("display_timezone", s.display_timezone, sources.get("display_timezone", "")),
        ("timezone", s.timezone, sources.get("timezone", "")),
        ("deadline_time", s.deadline_time.strftime("%H:%M") if s.deadline_time else None,
         sources.get("deadline_time", "") + ("" if s.deadline_time else ", dates stay all-day")),
        ("portal_url", s.portal_url, sources.get("portal_url", "")),
        ("webhook", _host(s.webhook), sources.get("webhook", "")),
        ("alarms", list(s.alarms), sources.get("alarms", "")),
        ("milestones", list(s.milestones), sources.get("milestones", "")),
        ("calendar_name", s.calendar_name, sources.get("calendar_name", "")),
        *[(key, getattr(s, key), sources.get(key, "")) for key in MAIL_SETTINGS],
        ("today", clock.today.isoformat(), "--as-of" if session.as_of else (
            "$FUNDWATCH_AS_OF" if os.environ.get("FUNDWATCH_AS_OF") else "clock")),
    ]  # fmt: skip
    if fmt is Format.json:
        out(tables.to_json({k: v for k, v, _ in rows} | {"version": __version__}))
        return
    grid = Grid(["Setting", "Value", "From"])
    for key, value, source in rows:
        shown = (
            ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        )
        grid.add([key, shown or "(none)", source], None)
    if s.unknown:
        grid.add(["unknown keys", ", ".join(s.unknown), "ignored"], None)
    if fmt is Format.csv:
        out(tables.to_csv(grid.headers, grid.rows))
    elif fmt is Format.markdown:
        out(tables.to_markdown(grid))
    else:
        out(tables.to_text(grid))


def _host(url: str | None) -> str | None:
    """A webhook URL carries its secret in the path: show the host only."""
    if not url:
        return None
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or "(set)"
    except ValueError:  # "http://[::1/"
        return "(set, not a valid URL)"
