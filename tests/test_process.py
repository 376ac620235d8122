"""Every command once in a real process, as users and cron run it: the ``fundwatch``
console script and ``python -m fundwatch``. Each prints the same bytes, exits with the
same code and leaves the same watchlist as the in-process run that the other tests use
(``fw``), which shows that the in-process runs stand for the real thing.

search, watch and sync (which need the stand-in portal) do the same in
test_portal_client.py and test_sync_cli.py; tests/test_timeline.py runs `timeline`
on a terminal (a pty) too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_process

A = ("--as-of", "2025-10-08")
SCRIPT = shutil.which("fundwatch", path=str(Path(sys.executable).parent))
MODULE = (sys.executable, "-m", "fundwatch")

# (name, argv, stdin)
CASES: list[tuple[str, tuple[str, ...], bytes | None]] = [
    ("help", ("--help",), None),
    ("version", ("--version",), None),
    ("no-command", (), None),
    ("usage-mistake", ("upcoming", "--within"), None),
    ("init", ("init", "--sample", "--force"), None),
    ("add", ("add", "A new call", "--deadline", "26/11/2025 17:00", "--tag", "x", *A), None),
    ("edit", ("edit", "soil-living-labs", "--state", "preparing", "--notes", "n", *A), None),
    ("remove", ("remove", "eic-accelerator-2026", "--yes"), None),
    ("remove-unasked", ("remove", "eic-accelerator-2026"), b"y\n"),
    ("show", ("show", "eic-ukrainian-tech", *A), None),
    ("list", ("list", *A, "--format", "csv"), None),
    ("upcoming", ("upcoming", *A, "--within", "120d"), None),
    ("upcoming-typer", ("upcoming", *A, "--within", "120d", "--debug"), None),
    ("check", ("check",), None),
    ("config", ("config", "--format", "json"), None),
    ("export-ics", ("export", "ics", *A), None),
    ("import-stdin", ("import", "-", "--format", "csv", *A),
     b"Title,Deadline\nPiped call,2026-02-03\n"),
    ("remind", ("remind", *A, "--format", "markdown"), None),
    ("timeline", ("timeline", *A, "--months", "3"), None),
    ("searches", ("searches", "--format", "json"), None),
    ("error", ("show", "no-such-call"), None),
]  # fmt: skip


def test_the_console_script_is_installed():
    assert SCRIPT, "the fundwatch console script is not installed beside this python"


# `python -m fundwatch` for a few: it runs the same main()
MODULE_TOO = {"help", "usage-mistake", "add", "upcoming", "import-stdin", "error"}
RUNS = [(how, *case[1:]) for case in CASES for how in ("script", "module")
        if how == "script" or case[0] in MODULE_TOO]  # fmt: skip
IDS = [f"{how}-{case[0]}" for case in CASES for how in ("script", "module")
       if how == "script" or case[0] in MODULE_TOO]  # fmt: skip


@pytest.mark.parametrize(("how", "argv", "stdin"), RUNS, ids=IDS)
def test_a_real_process_does_what_the_in_process_run_does(
    fw_env, sample, argv, stdin, how, tmp_path
):
    start = sample.read_bytes()
    proc = subprocess.run(
        [SCRIPT or "fundwatch", *argv] if how == "script" else [*MODULE, *argv],
        env=fw_env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    after = sample.read_bytes()
    sample.write_bytes(start)
    # usage lines and hints name the program as it was started
    prog = "fundwatch" if how == "script" else "python -m fundwatch"
    code, out, err = in_process(argv, fw_env, stdin or b"", prog_name=prog)
    assert (proc.returncode, proc.stdout.decode(), proc.stderr.decode()) == (
        code,
        out.decode(),
        err.decode(),
    )
    assert sample.read_bytes() == after
    assert b"Traceback" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [
        ("upcoming", "--within", "120d"),  # the fast path
        ("upcoming", "--within", "120d", "--all"),
        ("list", "--format", "json"),
        ("export", "ics"),
        ("timeline",),
    ],
)
def test_output_that_cannot_be_written_is_one_line(fw_env, sample, args):
    """A full disk (here /dev/full) is one error line and exit 1, never a traceback."""

    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "fundwatch", "--as-of", "2025-10-08", *args],
            env={**fw_env, "FUNDWATCH_NO_FASTPATH": ""},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert proc.stderr == "error: cannot write the output: No space left on device\n"
