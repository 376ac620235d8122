"""The `fundwatch` console script: the fast path when it applies, else the typer app."""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = sys.argv[1:]
    debug = os.environ.get("FUNDWATCH_DEBUG", "") not in ("", "0", "false", "no")
    if not debug and not os.environ.get("FUNDWATCH_NO_FASTPATH"):
        from fundwatch import fast

        try:
            done = fast.run(argv)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        if done:
            sys.stdout.flush()
            return
    from fundwatch.cli import main as typer_main

    typer_main()
