"""The fast path for `list` and `upcoming`, the commands scripts and cron run most.

Importing typer costs ~100 ms on a small machine, as much as the whole target for
`fundwatch upcoming --format json`. For these two read-only commands, spelt with
options this module recognises, the arguments are read here and the same view
functions as the typer commands (context.py) do the work. Anything else (help, a
mistake, an option not listed here, any error at all) returns None and the typer
application runs instead, so messages and exit codes come from one place.
tests/test_fast.py checks that both paths print the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from fundwatch.cli.context import FORMATS, Session, list_view, upcoming_view
from fundwatch.domain.model import STATES, STATUSES

GLOBAL = {"--file": "file", "-f": "file", "--as-of": "as_of"}
FILTERS = {"--status": "status", "--state": "state", "--tag": "tag",
           "--programme": "programme", "--search": "search"}  # fmt: skip
CHOICES = {"status": STATUSES, "state": STATES, "format": FORMATS}
COMMAND_OPTIONS = {
    "list": {"--format": "format"},
    "upcoming": {"--format": "format", "--within": "within"},
}
COMMAND_FLAGS = {"list": {}, "upcoming": {"--all": "all"}}


def parse(argv: list[str]) -> tuple[str, dict[str, object]] | None:
    """The command and its options, or None when typer should read this command line."""
    values: dict[str, object] = {}
    multi: dict[str, list[str]] = {k: [] for k in FILTERS.values()}
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
            values[flags[name]] = True
            i += 1
            continue
        options = GLOBAL | (FILTERS | COMMAND_OPTIONS[command] if command else {})
        if name not in options:
            return None
        if eq:
            value = inline
            i += 1
        elif i + 1 < len(argv):
            value = argv[i + 1]
            i += 2
        else:
            return None
        key = options[name]
        if key in CHOICES and value not in CHOICES[key]:
            return None
        if key in multi:
            multi[key].append(value)
        else:
            values[key] = value
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
    filters = Filters(**{k: v[k] for k in FILTERS.values()})  # type: ignore[arg-type]
    fmt = str(v.get("format", "table"))
    try:
        if command == "list":
            list_view(state, filters, fmt)
        else:
            upcoming_view(state, filters, str(v.get("within", "30d")), fmt, bool(v.get("all")))
    except OSError:
        raise  # writing the output failed: running it again would print it twice
    except Exception:  # FundwatchError, or a bug: nothing has been printed yet
        return False  # typer runs it again and reports the error its usual way
    return True
