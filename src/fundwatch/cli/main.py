"""The `fundwatch` console script (and `python -m fundwatch`): the fast path when it
applies, else the typer application with every command registered."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from fundwatch.cli.context import debug_from_env

    if not debug_from_env() and not os.environ.get("FUNDWATCH_NO_FASTPATH"):
        from fundwatch.cli import fast

        try:
            done = fast.run(sys.argv[1:])
        except KeyboardInterrupt:
            sys.stderr.write("\ninterrupted\n")
            sys.exit(130)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        if done:
            sys.stdout.flush()
            return
    typer_main()


def typer_main() -> None:
    """Run the typer application (main tries the fast path first).

    Usage mistakes come out as one line, like every other error, with exit code 2.
    """
    import typer

    # typer 0.28 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        code = application()(standalone_mode=False)
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
from fundwatch.cli.commands import export as _export  # noqa: E402,F401
from fundwatch.cli.commands import imports as _import  # noqa: E402,F401
from fundwatch.cli.commands import portal as _portal  # noqa: E402,F401
from fundwatch.cli.commands import publish as _publish  # noqa: E402,F401
from fundwatch.cli.commands import remind as _remind  # noqa: E402,F401
from fundwatch.cli.commands import sync as _sync  # noqa: E402,F401
from fundwatch.cli.commands import watchlist as _commands  # noqa: E402,F401
