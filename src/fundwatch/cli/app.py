"""The typer application and the ``command`` decorator every command module uses.

Global options (--file, --as-of, --debug) are accepted before and after the
command: ``command()`` adds them to every command's signature. The root callback
puts a ``Session`` in typer's context object (``ctx.obj``); each command receives
it as its ``session`` argument. Errors from the domain (FundwatchError) become one
``error:`` line on stderr and their exit code (1, or 2 for UsageProblem); a command
that returns an int exits with it. The commands themselves live in
``fundwatch.cli.commands`` and are registered by ``fundwatch.cli.main``.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from fundwatch import __version__
from fundwatch.cli.context import Session, debug_from_env, out
from fundwatch.domain.errors import FundwatchError, SourceProblems

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="fundwatch",
    help="Track EU funding calls and their deadlines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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

_CTX_PARAM = inspect.Parameter("_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)

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

    The wrapped function receives ``session`` (the run's Session, from ``ctx.obj``) and,
    when ``filters`` is set, ``filters`` (a query.Filters). FundwatchError becomes
    ``error: ...`` on stderr and its exit code.
    """

    def decorate(fn: F) -> F:
        sig = inspect.signature(fn, eval_str=True)
        params = [p for p in sig.parameters.values() if p.name not in ("filters", "session")]
        params += (_FILTER_PARAMS if filters else []) + _GLOBAL_PARAMS + [_CTX_PARAM]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            file, as_of, debug = kwargs.pop("_file"), kwargs.pop("_as_of"), kwargs.pop("_debug")
            ctx: typer.Context = kwargs.pop("_ctx")
            session = ctx.find_root().obj
            if not isinstance(session, Session):
                session = ctx.find_root().obj = Session()
            session.given(file, as_of, debug)
            if "session" in sig.parameters:
                kwargs["session"] = session
            if filters:
                from fundwatch.domain.query import Filters

                def values(key: str) -> tuple[str, ...]:
                    return tuple(getattr(v, "value", v) for v in kwargs.pop(key) or ())

                kwargs["filters"] = Filters(
                    status=values("_status"),
                    state=values("_state"),
                    tag=values("_tag"),
                    programme=values("_programme"),
                    search=values("_search"),
                )
            return run(session, fn, *args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        (group or app).command(name)(wrapper)
        return fn

    return decorate


def run(run_session: Session, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call a command body, turning our errors into one line and an exit code."""
    try:
        code = fn(*args, **kwargs)
    except FundwatchError as exc:
        if run_session.debug or debug_from_env():
            raise
        if isinstance(exc, SourceProblems):
            from fundwatch.output.tables import one_line

            sys.stderr.write("".join(one_line(line) + "\n" for line in exc.shown()))
        fail(str(exc), exc.exit_code)
    except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        if run_session.debug or debug_from_env():
            raise
        fail(
            f"unexpected {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and please report it)"
        )
    if isinstance(code, int) and code:
        raise typer.Exit(code)
    return code


def fail(message: str, code: int = 1) -> None:
    """``error: message`` on stderr, one line whatever the message quotes (a title with a
    line break, a terminal escape in a file), and exit ``code``."""
    from fundwatch.output.tables import one_line

    sys.stderr.write(f"error: {one_line(message)}\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out(f"fundwatch {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    file: FileOpt = None,
    as_of: AsOfOpt = None,
    debug: DebugOpt = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Track EU funding calls and their deadlines."""
    ctx.obj = Session(file, as_of, debug)
