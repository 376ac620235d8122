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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from fundwatch import __version__
from fundwatch.cli import options
from fundwatch.cli.context import Session, debug_from_env, out
from fundwatch.cli.options import CallState, Format, Opt, Status
from fundwatch.domain.errors import FundwatchError, SourceProblems

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["CallState", "Format", "Status", "app", "command", "examples", "fail", "option", "run"]

# A choice list longer than this, shown as <a|b|c>, breaks mid-word in `--help` at 80
# columns: such an option shows a name (FORMAT) and lists its choices in its help.
CHOICES_WIDTH = 25


def option(opt: Opt, fit: int = CHOICES_WIDTH) -> Any:
    """The typer option of an entry of the option table (options.py), or of a command's
    own ``Opt``. ``fit``: the widest choice list shown as such (a command with long
    option names leaves less room; tests/test_help.py checks every command at 80)."""
    metavar, text = opt.metavar, opt.help
    if opt.choices is not None:
        names = [c.value for c in opt.choices]
        if len("|".join(names)) + 2 > fit:
            metavar = metavar or opt.key.upper()
            text = f"{text} One of: {', '.join(names)}."
    return typer.Option(*opt.names, help=text, metavar=metavar, show_default=opt.show_default)


def examples(*lines: str) -> str:
    """A command's help epilog: its examples, one command line each (two to four)."""
    # the leading line break keeps the indentation (typer dedents all but the first line)
    return "\nExamples:\n" + "".join(f"  {line}\n" for line in lines).rstrip("\n")


app = typer.Typer(
    name="fundwatch",
    help="Track EU funding calls and their deadlines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    epilog=examples(
        "fundwatch init --sample",
        "fundwatch upcoming --within 2w",
        "fundwatch export ics -o deadlines.ics",
        "fundwatch list --status open --format csv",
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
)


FileOpt = Annotated[Path | None, option(options.FILE)]
AsOfOpt = Annotated[str | None, option(options.AS_OF)]
DebugOpt = Annotated[bool, option(options.DEBUG)]

_GLOBAL_PARAMS = [
    inspect.Parameter("_file", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=FileOpt),
    inspect.Parameter("_as_of", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=AsOfOpt),
    inspect.Parameter("_debug", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=DebugOpt),
]

_CTX_PARAM = inspect.Parameter("_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)

_FILTER_PARAMS = [
    inspect.Parameter(
        f"_{opt.key}", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[list[opt.choices or str] | None, option(opt)],  # type: ignore[misc]
    )
    for opt in options.FILTERS
]  # fmt: skip


def command(
    name: str | None = None,
    filters: bool = False,
    group: typer.Typer | None = None,
    example: Sequence[str] = (),
) -> Callable[[F], F]:
    """Register a command that also takes the global options (and the shared filters).

    The wrapped function receives ``session`` (the run's Session, from ``ctx.obj``) and,
    when ``filters`` is set, ``filters`` (a query.Filters). FundwatchError becomes
    ``error: ...`` on stderr and its exit code. ``example``: the command lines its
    ``--help`` ends with.
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

                kwargs["filters"] = Filters(**{o.key: values(f"_{o.key}") for o in options.FILTERS})
            return run(session, fn, *args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        epilog = examples(*example) if example else None
        (group or app).command(name, epilog=epilog)(wrapper)
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
    except OSError as exc:
        if run_session.debug or debug_from_env():
            raise
        fail(os_error_line(exc))
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


def os_error_line(exc: OSError) -> str:
    """An operating-system error as one line: a full disk or /dev/full as the output it
    could not write, anything else with the file it names."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO):
        return f"cannot write the output: {exc.strerror}"
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


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
