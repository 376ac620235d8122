"""Shared test set-up: every test gets its own watchlist, settings, cache and zone.

``fw(...)`` runs the ``fundwatch`` console script's entry (``fundwatch.cli.main.run``)
in-process, with the isolated environment; ``fw_proc(...)`` runs it in a real process
(as a user or cron would); ``fw_env`` is that environment.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import settings
from localserver import Portal, Server

# CI runs the property tests on the same examples each time (a new failing example is
# found by a developer's run, not by a run that decides whether a change lands)
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
MODULE = (sys.executable, "-m", "fundwatch")
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "data" / "calls.toml"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def fw_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """FUNDWATCH_* pointing into tmp_path; display zone Europe/Brussels; no colour."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("FUNDWATCH_", "XDG_")) and k not in ("TZ", "NO_COLOR", "FORCE_COLOR")
    }  # fmt: skip
    env.update(
        FUNDWATCH_FILE=str(tmp_path / "calls.toml"),
        FUNDWATCH_CONFIG=str(tmp_path / "config.toml"),
        FUNDWATCH_CACHE_DIR=str(tmp_path / "cache"),
        TZ="Europe/Brussels",
        NO_COLOR="1",
        COLUMNS="200",
        HOME=str(tmp_path / "home"),
        PYTHONIOENCODING="utf-8",
    )
    for key in [k for k in os.environ if k.startswith(("FUNDWATCH_", "XDG_"))]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        if key.startswith("FUNDWATCH_") or key in ("TZ", "NO_COLOR", "COLUMNS", "HOME"):
            monkeypatch.setenv(key, value)
    return env


# typer reads these once, when it is imported (its rich help and errors): import it now,
# in the environment fw_env gives every run, and run in a process of its own any run
# that sets them otherwise (FORCE_COLOR=1, say), lest it see another run's settings
TYPER_IMPORT_ENV = ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH",
                    "_TYPER_FORCE_DISABLE_TERMINAL", "TYPER_USE_RICH")  # fmt: skip
with pytest.MonkeyPatch.context() as _mp:
    _mp.delenv("FORCE_COLOR", raising=False)
    import typer.rich_utils  # noqa: F401

    TYPER_SAW = {key: os.environ.get(key) for key in TYPER_IMPORT_ENV}


def in_process(
    args: tuple[str, ...], env: dict[str, str], stdin: bytes = b"", prog_name: str = "fundwatch"
) -> tuple[int, bytes, bytes]:
    """``fundwatch ARGS`` in this interpreter, as the console script runs it
    (``fundwatch.cli.main.run``): sys.argv and the standard streams swapped for
    in-memory ones, the environment exactly ``env`` for the run; (code, stdout, stderr).

    stdout is a text stream over bytes, so that commands writing binary output through
    ``sys.stdout.buffer`` work as they do in a process.
    """
    from fundwatch.cli.main import run

    if any(env.get(key) != TYPER_SAW[key] for key in TYPER_IMPORT_ENV):
        script = shutil.which("fundwatch", path=str(Path(sys.executable).parent))
        command = [script] if script and prog_name == "fundwatch" else [*MODULE]
        proc = subprocess.run(
            [*command, *args], env=env, input=stdin, capture_output=True, timeout=60
        )
        return proc.returncode, proc.stdout, proc.stderr
    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8"),
        io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", line_buffering=True),
    )
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k not in env]:
            mp.delenv(key)
        for key, value in env.items():
            if os.environ.get(key) != value:
                mp.setenv(key, value)
        mp.setattr(sys, "argv", ["fundwatch", *args])
        mp.setattr(sys, "stdin", streams[0])
        mp.setattr(sys, "stdout", streams[1])
        mp.setattr(sys, "stderr", streams[2])
        try:
            code = run(args, prog_name=prog_name)
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                sys.stderr.write(f"{exc.code}\n")
                code = 1
        except Exception:  # what the interpreter prints for an uncaught exception
            traceback.print_exc(file=sys.stderr)
            code = 1
        finally:
            for stream in streams[1:]:
                stream.flush()
    return code, out.getvalue(), err.getvalue()


def in_process_text(data: bytes) -> str:
    """Bytes read back as ``subprocess.run(text=True)`` reads them (universal newlines)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()


@pytest.fixture
def fw(fw_env: dict[str, str]):
    """Run ``fundwatch ARGS...`` in-process; returns Result(code, out, err).

    ``env`` adds to (or overrides) the test's environment for this run; ``input`` is
    stdin (empty if not given). ``fw_proc`` runs a real process instead."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        code, out, err = in_process(args, {**fw_env, **(env or {})}, (input or "").encode("utf-8"))
        return Result(code, in_process_text(out), in_process_text(err))

    return run


@pytest.fixture
def fw_proc(fw_env: dict[str, str]):
    """Like ``fw``, in a real ``python -m fundwatch`` process (as a user or cron runs it):
    for signals, stdin pipes, start-up and what only a whole process shows."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "fundwatch", *args],
            env={**fw_env, **(env or {})},
            capture_output=True,
            text=True,
            encoding="utf-8",
            input=input,
            timeout=60,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


class BytesResult(NamedTuple):
    code: int
    out: bytes
    err: str


@pytest.fixture
def fw_bytes(fw_env: dict[str, str]):
    """Like ``fw`` but stdout as bytes (CSV and iCalendar line endings are the format's)."""

    def run(*args: str, env: dict[str, str] | None = None) -> BytesResult:
        code, out, err = in_process(args, {**fw_env, **(env or {})})
        return BytesResult(code, out, err.decode("utf-8"))

    return run


@pytest.fixture
def watchlist(fw_env: dict[str, str]) -> Path:
    """The path of the isolated watchlist (not created)."""
    return Path(fw_env["FUNDWATCH_FILE"])


@pytest.fixture
def sample(watchlist: Path) -> Path:
    """The isolated watchlist, filled with the bundled sample."""
    watchlist.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return watchlist


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    """A recording HTTP server on 127.0.0.1 (tests/localserver.py); no proxies."""
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv(key.lower(), raising=False)
    s = Server()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def portal(server, fw_env, monkeypatch):
    """The stand-in portal (``localserver.Portal``), FUNDWATCH_PORTAL_URL pointing at it."""
    server.respond = Portal()
    url = f"http://{server.host}/search-api/prod/rest/search"
    fw_env["FUNDWATCH_PORTAL_URL"] = url
    monkeypatch.setenv("FUNDWATCH_PORTAL_URL", url)
    return server


# --- helpers for the tests ---------------------------------------------------------------


def ok(r):
    assert r.code == 0, f"exit {r.code}\nstdout: {r.out}\nstderr: {r.err}"
    return r


def one_error(r, code: int = 1) -> str:
    """The run failed with ``code`` and said so in exactly one ``error:`` line."""
    assert r.code == code, f"exit {r.code}\nstdout: {r.out}\nstderr: {r.err}"
    assert "Traceback" not in r.err
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("error: "), r.err
    return lines[0]
