"""Issue 11: `fundwatch --version` answers before importing anything of fundwatch's own
(bench/bench_version.py measures it)."""

from __future__ import annotations

import subprocess
import sys

import fundwatch


def test_version_imports_nothing_heavy():
    code = (
        "import sys; from fundwatch.cli.main import run; assert run(['--version']) == 0; "
        "print(sorted(m for m in sys.modules if m.startswith(('fundwatch', 'typer', 'typing'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    version, modules = out.stdout.splitlines()
    assert version == f"fundwatch {fundwatch.__version__}"
    assert modules == "['fundwatch', 'fundwatch.cli', 'fundwatch.cli.main']"


def test_version_through_typer_says_the_same(fw):
    fast = fw("--version")
    slow = fw("--debug", "--version")  # not the bare command line: typer answers
    assert fast.out == slow.out == f"fundwatch {fundwatch.__version__}\n"
    assert fast.code == slow.code == 0
