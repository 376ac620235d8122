"""Shared test set-up: every test gets its own watchlist, settings, cache and zone.

``fw(...)`` runs the real ``fundwatch`` console script in a subprocess (as a user or
cron would), with the isolated environment; ``fw_env`` is that environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import settings
from localserver import Server

# CI runs the property tests on the same examples each time (a new failing example is
# found by a developer's run, not by a run that decides whether a change lands)
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def fw(fw_env: dict[str, str]):
    """Run ``fundwatch ARGS...``; returns Result(code, out, err)."""

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
        proc = subprocess.run(
            [sys.executable, "-m", "fundwatch", *args],
            env={**fw_env, **(env or {})},
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        return BytesResult(proc.returncode, proc.stdout, proc.stderr.decode("utf-8"))

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
