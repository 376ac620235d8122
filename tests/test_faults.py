"""Faults: many writers at once, writers killed mid-write, a full disk, a read-only
folder and a watchlist the user may not read. Each ends in the old file or the new
one, and a failure is one clear error line."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import kill_writers

from fundwatch.domain.errors import WatchlistError
from fundwatch.storage import codec, store


def test_fifty_writers_at_once_lose_nothing(fw_env, watchlist):
    assert subprocess.run([sys.executable, "-m", "fundwatch", "init"], env=fw_env).returncode == 0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fundwatch",
                "add",
                f"Call {n}",
                "--id",
                f"call-{n:02d}",
                "--deadline",
                f"{1 + n % 28:02d}/03/2026 17:00",
            ],
            env=fw_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(50)
    ]
    results = [(*p.communicate(timeout=120), p.returncode) for p in procs]
    assert [code for _, _, code in results] == [0] * 50, [err for _, err, _ in results if err]
    watched, problems = codec.parse(watchlist.read_text(encoding="utf-8"), watchlist)
    assert problems == []
    assert sorted(c.id for c in watched.calls) == [f"call-{n:02d}" for n in range(50)]
    assert not list(watchlist.parent.glob(".calls.toml.*.tmp"))


def test_writers_killed_at_random_moments_never_tear_the_file():
    figures = kill_writers.run(rounds=20, calls=2000, seed=3)
    assert figures["torn"] == [] and figures["bak_torn"] == 0
    assert figures["old"] + figures["new"] == 20
    assert figures["next_ok"] and figures["leftover_temp"] == 0


# --- a full disk ------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(size_kib: int) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder on a filesystem of ``size_kib`` (a tmpfs, where this process may mount
    one); else an ordinary folder and a limit on the size of files the process writes
    (RLIMIT_FSIZE), which fails writes as a full disk does."""
    folder = Path(tempfile.mkdtemp(prefix="fundwatch-disk-"))
    mounted = False
    if os.geteuid() == 0 and shutil.which("mount"):
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs",
                               str(folder)], capture_output=True)  # fmt: skip
        mounted = done.returncode == 0
    try:
        yield folder, ({} if mounted else {"FSIZE": str(size_kib * 1024)})
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _limited(limit: dict[str, str]):
    if not limit:
        return None

    def apply() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        size = int(limit["FSIZE"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def test_a_full_disk_is_a_clear_error_and_keeps_the_watchlist(fw_env):
    with small_disk(64) as (folder, limit):
        path = folder / "calls.toml"
        text = 'version = 1\n\n[[calls]]\nid = "a"\ntitle = "A"\ndeadline = 2026-01-20\n'
        path.write_text(text + "# " + "x" * 30_000 + "\n", encoding="utf-8")
        before = path.read_bytes()
        env = dict(fw_env, FUNDWATCH_FILE=str(path))
        proc = subprocess.run(
            [sys.executable, "-m", "fundwatch", "add", "B" * 40_000, "--deadline", "2026-02-01"],
            env=env, capture_output=True, text=True, preexec_fn=_limited(limit),
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith(f"error: cannot write {path}")
        assert ("No space left on device" in proc.stderr) or ("File too large" in proc.stderr)
        assert proc.stderr.count("\n") == 1
        assert path.read_bytes() == before
        assert not list(folder.glob(".calls.toml.*.tmp"))


# --- permissions (as another user when the tests run as root, who may write anywhere) -----------


def _as_user(fn) -> tuple[int, str]:
    """Run ``fn()`` in a child process, as nobody when we are root; its exit code and
    its FundwatchError text (the library raises what the CLI prints). What the child
    imports is imported first: nobody may not read this Python's library."""
    import fnmatch  # noqa: F401
    import glob  # noqa: F401
    import secrets  # noqa: F401
    import tomllib  # noqa: F401

    import filelock  # noqa: F401
    import tomli_w  # noqa: F401

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        code, said = 0, ""
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            fn()
        except WatchlistError as exc:
            code, said = 1, str(exc)
        except BaseException as exc:
            code, said = 2, repr(exc)
        os.write(write, said.encode())
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), said


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own tmp folders are the owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="fundwatch-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for p in [folder, *folder.rglob("*")]:
            with contextlib.suppress(OSError):
                p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(folder, ignore_errors=True)


def _watchlist(folder: Path, mode: int) -> tuple[Path, bytes]:
    path = folder / "calls.toml"
    path.write_text('version = 1\n\n[[calls]]\nid = "a"\ntitle = "A"\ndeadline = 2026-01-20\n',
                    encoding="utf-8")  # fmt: skip
    path.chmod(mode)
    return path, path.read_bytes()


def _add(path: Path):
    def go() -> None:
        from fundwatch.domain.model import Call, Deadline

        with store.transaction(path) as watchlist:
            watchlist.calls.append(
                Call("b", "B", (Deadline(__import__("datetime").date(2026, 2, 1)),))
            )

    return go


def test_a_read_only_folder_is_a_clear_error_and_keeps_the_file(shared_folder):
    path, before = _watchlist(shared_folder, 0o666)
    shared_folder.chmod(0o555)
    code, said = _as_user(_add(path))
    assert code == 1, said
    assert said.startswith(f"cannot lock {path}: Permission denied") or said.startswith(
        f"cannot write {path}: Permission denied"
    ), said
    assert path.read_bytes() == before


def test_a_watchlist_the_user_may_not_read_is_a_clear_error(shared_folder):
    path, before = _watchlist(shared_folder, 0o600)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)  # root's file; the child is nobody
    shared_folder.chmod(0o777)
    code, said = _as_user(lambda: store.load(path, use_cache=False))
    assert (code, said) == (1, f"cannot read {path}: Permission denied")
    code, said = _as_user(_add(path))
    assert (code, said) == (1, f"cannot read {path}: Permission denied")
    assert path.read_bytes() == before
