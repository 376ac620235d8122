"""The fast path for `list` and `upcoming`, the commands scripts and cron run most.

Importing typer costs ~100 ms on a small machine, as much as the whole target for
`fundwatch upcoming --format json`. For these two read-only commands, spelt with
options this module recognises, the arguments are read here and the same view
functions as the typer commands (context.py) do the work; the options, their defaults
and choices come from the table the typer commands are built from (options.py).
Anything else (help, a mistake, an option not listed here, any error at all) returns
None and the typer application runs instead, so messages and exit codes come from one
place.
tests/test_fast.py checks that both paths print the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fundwatch.cli import options
from fundwatch.cli.context import Session, list_view, upcoming_view
from fundwatch.cli.options import Opt


def by_name(opts: Iterable[Opt]) -> dict[str, Opt]:
    return {name: opt for opt in opts for name in opt.names}


# --debug (a global flag) is not here: a run with it goes to typer
GLOBAL = by_name(o for o in options.GLOBAL if not o.flag)
FILTERS = by_name(options.FILTERS)
COMMAND_OPTIONS = {
    c: by_name(o for o in opts if not o.flag) for c, opts in options.COMMANDS.items()
}
COMMAND_FLAGS = {c: by_name(o for o in opts if o.flag) for c, opts in options.COMMANDS.items()}


def parse(argv: list[str]) -> tuple[str, dict[str, object]] | None:
    """The command and its options, or None when typer should read this command line."""
    values: dict[str, object] = {}
    multi: dict[str, list[str]] = {o.key: [] for o in options.FILTERS}
    command: str | None = None
    i = 0
    while i < len(argv):
        token = argv[i]
        if command is None and token in COMMAND_OPTIONS:
            command = token
            i += 1
            continue
        name, eq, inline = token.partition("=")
        if not token.startswith("-") or (eq and not name.startswith("--")):
            return None
        flags = COMMAND_FLAGS.get(command or "", {})
        if not eq and name in flags:
            values[flags[name].key] = True
            i += 1
            continue
        known = GLOBAL | (FILTERS | COMMAND_OPTIONS[command] if command else {})
        if name not in known:
            return None
        if eq:
            value = inline
            i += 1
        elif i + 1 < len(argv):
            value = argv[i + 1]
            i += 2
        else:
            return None
        opt = known[name]
        if not opt.accepts(value):
            return None
        if opt.key in multi:
            multi[opt.key].append(value)
        else:
            values[opt.key] = value
    if command is None:
        return None
    values.update({k: tuple(v) for k, v in multi.items()})
    return command, values


def run(argv: list[str]) -> bool:
    """Run the command if this path can; False hands it to typer untouched."""
    parsed = parse(argv)
    if parsed is None:
        return False
    from fundwatch.domain.query import Filters

    command, v = parsed
    state = Session(file=Path(str(v["file"])) if "file" in v else None,
                  as_of=str(v["as_of"]) if v.get("as_of") else None)  # fmt: skip
    filters = Filters(**{o.key: v[o.key] for o in options.FILTERS})  # type: ignore[arg-type]
    fmt = str(v.get("format", options.FORMAT.default))
    try:
        if command == "list":
            list_view(state, filters, fmt)
        else:
            upcoming_view(
                state,
                filters,
                str(v.get("within", options.WITHIN.default)),
                fmt,
                bool(v.get("all")),
            )
    except OSError:
        raise  # writing the output failed: running it again would print it twice
    except Exception:  # FundwatchError, or a bug: nothing has been printed yet
        return False  # typer runs it again and reports the error its usual way
    return True
