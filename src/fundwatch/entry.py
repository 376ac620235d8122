"""The `fundwatch` console script: the fast path when it applies, else the typer app."""

from __future__ import annotations

import os
import sys


def main() -> None:
    from fundwatch.app import debug_from_env

    if not debug_from_env() and not os.environ.get("FUNDWATCH_NO_FASTPATH"):
        from fundwatch import fast

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
    from fundwatch.cli import main as typer_main

    typer_main()
