"""The `fundwatch` console script (and `python -m fundwatch`): the fast path when it
applies, else the typer application with every command registered.

``run(argv)`` is one whole run (what the console script does, minus ``sys.exit``):
the tests call it in-process with their own streams and environment."""

from __future__ import annotations

import os
import sys

# not typing's, nor collections.abc imported here: `fundwatch --version` imports neither
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer


def application() -> typer.Typer:
    """The typer app with every command module registered (each registers on import)."""
    from fundwatch.cli.app import app
    from fundwatch.cli.commands import (  # noqa: F401
        export,
        imports,
        portal,
        publish,
        remind,
        sync,
        timeline,
        watchlist,
    )

    return app


def main() -> None:
    sys.exit(run(sys.argv[1:]))


def run(argv: Sequence[str], prog_name: str | None = None) -> int:
    """Run fundwatch with these arguments on sys.stdin/stdout/stderr; the exit code.

    The fast path first (unless FUNDWATCH_DEBUG or FUNDWATCH_NO_FASTPATH), else typer.
    ``prog_name`` is the name usage lines show (typer's guess from sys.argv by default).
    """
    args = list(argv)
    if args == ["--version"]:  # answered before any import: scripts ask it often
        from fundwatch import __version__

        sys.stdout.write(f"fundwatch {__version__}\n")
        return 0
    from fundwatch.cli.context import debug_from_env

    prog = prog_name or program_name()
    try:
        if not debug_from_env() and not os.environ.get("FUNDWATCH_NO_FASTPATH"):
            from fundwatch.cli import fast

            if fast.run(args):
                sys.stdout.flush()
                return 0
        code = typer_run(args, prog)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (`fundwatch list | head`): leave quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 1
    except OSError as exc:  # the output cannot be written: a full disk, /dev/full
        if debug_from_env():
            raise
        from fundwatch.cli.app import os_error_line

        sys.stderr.write(f"error: {os_error_line(exc)}\n")
        return 1


def program_name() -> str:
    """What usage lines call the program: ``fundwatch``, or ``python -m fundwatch``."""
    package = getattr(sys.modules.get("__main__"), "__package__", None)
    if package:
        return f"python -m {package}"
    return os.path.basename(sys.argv[0]) or "fundwatch"


def command_path(prog: str, args: list[str]) -> str:
    """``fundwatch export ics``: the command that ``args`` name (for a mistake that typer
    reports without its command, such as an option's missing value)."""
    import typer.main

    command, path = typer.main.get_command(application()), [prog]
    for token in args:
        sub = getattr(command, "commands", {}).get(token)
        if sub is not None:
            command = sub
            path.append(token)
    return " ".join(path)


def typer_run(args: list[str], prog_name: str = "fundwatch") -> int:
    """Run the typer application (``run`` tries the fast path first); the exit code.

    Usage mistakes come out as one line, like every other error, with exit code 2,
    and point at the command's own ``--help``.
    """
    import typer

    try:
        code = application()(args=args, prog_name=prog_name, standalone_mode=False)
    except typer.TyperException as exc:  # click's exceptions (typer's copy) derive from it
        ctx = getattr(exc, "ctx", None)
        # no_args_is_help: typer reports "no arguments" as an error whose message is the
        # help; matched by name, as typer's own rich_utils does, to avoid a private import
        if type(exc).__name__ == "NoArgsIsHelpError" and hasattr(exc, "show"):
            exc.show()
            return 0
        where = ctx.command_path if ctx is not None else command_path(prog_name, args)
        sys.stderr.write(f"error: {exc.format_message()} (see '{where} --help')\n")
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        return 1
    return code if isinstance(code, int) else 0
