"""The command line: options in, the domain modules do the work, text out.

Global options (--file, --as-of, --debug) are accepted before and after the
command: ``command()`` adds them to every command's signature. Errors from the
domain (FundwatchError) become one ``error:`` line on stderr and exit 1; typer
reports usage mistakes with exit 2.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from fundwatch import __version__
from fundwatch.app import State, debug_from_env, out
from fundwatch.errors import FundwatchError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="fundwatch",
    help="Track EU funding calls and their deadlines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


STATE = State()


FileOpt = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="Watchlist file (env FUNDWATCH_FILE).", show_default=False),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="DATE", help="Take DATE as today (env FUNDWATCH_AS_OF).",
        show_default=False,
    ),
]  # fmt: skip
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (env FUNDWATCH_DEBUG=1).")]


class Status(StrEnum):
    forthcoming = "forthcoming"
    open = "open"
    closed = "closed"


class CallState(StrEnum):
    watching = "watching"
    preparing = "preparing"
    submitted = "submitted"
    dropped = "dropped"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


_GLOBAL_PARAMS = [
    inspect.Parameter("_file", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=FileOpt),
    inspect.Parameter("_as_of", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=AsOfOpt),
    inspect.Parameter("_debug", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=DebugOpt),
]

_FILTER_PARAMS = [
    inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[kind, typer.Option(flag, help=text, show_default=False)],
    )
    for name, kind, flag, text in [
        ("_status", list[Status] | None, "--status", "Only calls with this status (repeatable)."),
        ("_state", list[CallState] | None, "--state", "Only calls in this state (repeatable)."),
        ("_tag", list[str] | None, "--tag", "Only calls with this tag (repeatable)."),
        ("_programme", list[str] | None, "--programme", "Programme contains TEXT (repeatable)."),
        ("_search", list[str] | None, "--search", "Title, id, notes... contain TEXT."),
    ]
]  # fmt: skip


def command(
    name: str | None = None, filters: bool = False, group: typer.Typer | None = None
) -> Callable[[F], F]:
    """Register a command that also takes the global options (and the shared filters).

    The wrapped function receives ``filters`` (a query.Filters) when ``filters`` is set.
    FundwatchError becomes ``error: ...`` on stderr and exit 1.
    """

    def decorate(fn: F) -> F:
        sig = inspect.signature(fn, eval_str=True)
        params = [p for p in sig.parameters.values() if p.name != "filters"]
        params += (_FILTER_PARAMS if filters else []) + _GLOBAL_PARAMS

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            file, as_of, debug = kwargs.pop("_file"), kwargs.pop("_as_of"), kwargs.pop("_debug")
            STATE.file = file or STATE.file
            STATE.as_of = as_of or STATE.as_of
            STATE.debug = debug or STATE.debug
            if filters:
                from fundwatch.query import Filters

                def values(key: str) -> tuple[str, ...]:
                    return tuple(getattr(v, "value", v) for v in kwargs.pop(key) or ())

                kwargs["filters"] = Filters(
                    status=values("_status"),
                    state=values("_state"),
                    tag=values("_tag"),
                    programme=values("_programme"),
                    search=values("_search"),
                )
            return run(fn, *args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        (group or app).command(name)(wrapper)
        return fn

    return decorate


def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a command body, turning our errors into one line and an exit code."""
    try:
        return fn(*args, **kwargs)
    except FundwatchError as exc:
        if STATE.debug or debug_from_env():
            raise
        fail(str(exc), exc.exit_code)
    except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        if STATE.debug or debug_from_env():
            raise
        fail(
            f"unexpected {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and please report it)"
        )


def fail(message: str, code: int = 1) -> None:
    """``error: message`` on stderr, one line whatever the message quotes (a title with a
    line break, a terminal escape in a file), and exit ``code``."""
    from fundwatch.formats import one_line

    sys.stderr.write(f"error: {one_line(message)}\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out(f"fundwatch {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    file: FileOpt = None,
    as_of: AsOfOpt = None,
    debug: DebugOpt = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Track EU funding calls and their deadlines."""
    STATE.reset(file, as_of, debug)


def main() -> None:
    """Run the typer application (fundwatch.entry tries the fast path first).

    Usage mistakes come out as one line, like every other error, with exit code 2.
    """
    # typer 0.28 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(0)
    except ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "fundwatch"
        sys.stderr.write(f"error: {exc.format_message()} (see '{where} --help')\n")
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (`fundwatch list | head`): leave quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# registers the commands
from fundwatch import commands as _commands  # noqa: E402,F401
from fundwatch import export_commands as _export  # noqa: E402,F401
from fundwatch import import_commands as _import  # noqa: E402,F401
from fundwatch import portal_commands as _portal  # noqa: E402,F401
from fundwatch import remind_commands as _remind  # noqa: E402,F401
from fundwatch import sync_commands as _sync  # noqa: E402,F401
