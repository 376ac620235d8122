"""Files written safely: atomic replacement (temp file, fsync, rename), a backup, a lock
held across read-modify-write, and output into pipes and devices.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from fundwatch.domain.errors import WatchlistError

LOCK_TIMEOUT = 30.0


def regular_file(path: Path) -> bool:
    """True when ``path`` is a regular file (through links), False when there is none.

    Anything else (a folder, a device such as /dev/null, a pipe, a socket) is an error:
    opening a pipe would wait forever, and replacing a device would destroy it."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise WatchlistError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return True
    if stat.S_ISDIR(mode):
        raise WatchlistError(f"{path} is a folder, not a watchlist file")
    raise WatchlistError(
        f"{path} is not a regular file (a device, a pipe or a socket)",
        hint="point --file or FUNDWATCH_FILE at a watchlist file",
    )


def read_text(path: Path) -> str:
    try:
        regular_file(path)
        # a byte-order mark (Notepad writes one) is no part of the text
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except FileNotFoundError:
        raise WatchlistError(
            f"no watchlist at {path}",
            hint="create one with `fundwatch init --sample`, or point --file at yours",
        ) from None
    except UnicodeDecodeError:
        raise WatchlistError(f"{path}: not a UTF-8 text file") from None
    except IsADirectoryError:
        raise WatchlistError(f"{path} is a folder, not a watchlist file") from None
    except OSError as exc:
        raise WatchlistError(f"cannot read {path}: {exc.strerror}") from None


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half.

    The file keeps its permissions (``mode`` if given); a symlink is followed, so the
    file it points to (in a synced folder, say) is the one replaced.
    """
    import tempfile

    path = Path(os.path.realpath(path))
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = _new_file_mode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WatchlistError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):
            os.unlink(tmp)
        raise WatchlistError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_output(path: Path, data: bytes) -> None:
    """An export's output: atomically to a file, straight into a device or a pipe
    (``-o /dev/stdout``, a FIFO), which must not be replaced by a file."""
    import stat

    try:
        special = not stat.S_ISREG(os.stat(path).st_mode) and not path.is_dir()
    except OSError:
        special = False
    if not special:
        atomic_write(path, data)
        return
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise WatchlistError(f"cannot write {path}: {exc.strerror}") from None


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the watchlist's lock (``calls.toml.lock`` beside it)."""
    from filelock import FileLock, Timeout

    path = Path(os.path.realpath(path))  # two links to one file share its lock
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT)
        lock.acquire()
    except Timeout:
        raise WatchlistError(
            f"{path} is locked by another fundwatch process",
            hint="try again when it has finished",
        ) from None
    except OSError as exc:
        raise WatchlistError(f"cannot lock {path}: {exc.strerror}") from None
    try:
        yield
    finally:
        lock.release()


def commit(path: Path, old: bytes | None, new: bytes) -> bool:
    """Write ``new`` over ``old`` (kept as the backup); False when nothing changed."""
    if new == old:
        return False
    path = Path(os.path.realpath(path))
    if old is not None:
        # the backup is no more readable than the watchlist itself
        atomic_write(backup_path(path), old, mode=os.stat(path).st_mode & 0o777)
    atomic_write(path, new)
    return True


def remove_leftovers(path: Path) -> None:
    """Temporary files of writers that were killed mid-write: every write happens under
    the lock, so while we hold it, any such file is a dead writer's."""
    real = Path(os.path.realpath(path))
    # atomic_write's names for the watchlist and its backup: .calls.toml[.bak].XXXXXXXX.tmp
    ours = re.compile(rf"\.{re.escape(real.name)}(\.bak)?\.[a-z0-9_]{{8}}\.tmp")
    with suppress(OSError):
        for leftover in real.parent.iterdir():
            if ours.fullmatch(leftover.name):
                with suppress(OSError):
                    leftover.unlink()
