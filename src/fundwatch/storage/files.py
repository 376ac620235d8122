"""Files written safely: atomic replacement (temp file, fsync, rename), a backup, a lock
held across read-modify-write, and output into pipes and devices.

On shared machines: a file is replaced by its name (a temp file beside it, renamed onto
the name), so a symbolic link planted where the backup or an output goes is replaced,
never followed; the watchlist's own link is followed only when the user or root owns
it (and, in a world-writable sticky folder such as /tmp, only the user's own); a
rewritten file keeps its owner, group and mode, or the write is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from fundwatch.domain.errors import WatchlistError

LOCK_TIMEOUT = 30.0


MAX_LINKS = 40


def _sticky_shared(folder: Path) -> bool:
    """A world-writable folder with the sticky bit (/tmp, a shared drop folder)."""
    import stat

    try:
        mode = os.stat(folder).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISVTX) and bool(mode & stat.S_IWOTH)


def trusted_link(link: Path, owner: int) -> bool:
    """May a symbolic link owned by ``owner`` be followed? When it is the user's own, or
    root's outside a world-writable sticky folder (where anyone may plant one)."""
    if not hasattr(os, "geteuid"):  # no owners to go by (Windows)
        return True
    me = os.geteuid()
    if owner == me:
        return True
    return owner == 0 and not _sticky_shared(link.parent)


def _owner_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def resolve(path: Path) -> Path:
    """``path`` with its symbolic links followed, each only if ``trusted_link``; a link
    that is not is an error (one line), never followed."""
    import stat

    path = Path(os.path.abspath(path))
    for _ in range(MAX_LINKS):
        try:
            st = os.lstat(path)
        except OSError:
            return path  # absent (or unreadable): the caller says so
        if not stat.S_ISLNK(st.st_mode):
            return path
        if not trusted_link(path, st.st_uid):
            raise WatchlistError(
                f"{path} is a symbolic link owned by {_owner_name(st.st_uid)}: not following it",
                hint="only your own links (or root's, outside shared sticky folders) are followed",
            )
        try:
            target = os.readlink(path)
        except OSError as exc:
            raise WatchlistError(f"cannot read {path}: {exc.strerror}") from None
        path = Path(os.path.abspath(os.path.join(path.parent, target)))
    raise WatchlistError(f"{path}: too many levels of symbolic links")


def regular_file(path: Path) -> bool:
    """True when ``path`` is a regular file (through links), False when there is none.

    Anything else (a folder, a device such as /dev/null, a pipe, a socket) is an error:
    opening a pipe would wait forever, and replacing a device would destroy it."""
    import stat

    path = resolve(path)
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


def check_writable(path: Path) -> None:
    """A watchlist made read-only (no write bit, or none for this user) is not replaced:
    an atomic write renames a new file over it, which the folder alone would allow,
    even for root."""
    try:
        st = os.stat(path)
    except OSError:
        return  # none yet, or unreadable: reading it says so
    if not st.st_mode & 0o222:
        raise WatchlistError(
            f"{path} is read-only", hint="make it writable (chmod u+w) to change it"
        )
    if not os.access(path, os.W_OK):
        owner = _owner_name(st.st_uid)
        raise WatchlistError(
            f"{path} is read-only for you (it is {owner}'s)",
            hint=f"ask {owner} to make the change or the file group-writable (chmod g+w)",
        )


def read_text(path: Path) -> str:
    try:
        path = resolve(path)
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


def atomic_write(
    path: Path, data: bytes, mode: int | None = None, like: os.stat_result | None = None
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half.

    ``path`` is replaced by its name: a temp file beside it is renamed onto it, so a
    symbolic link there is replaced, not followed (callers resolve the links they
    trust first). The new file keeps the owner, group and mode of the file it replaces
    (or of ``like``; ``mode`` if given); where the owner cannot be kept, the group is,
    as long as the owner keeps their access through it; else nothing is written.
    """
    import stat
    import tempfile

    path = Path(os.path.abspath(path))
    if like is None:
        with suppress(OSError):
            old = os.lstat(path)
            if stat.S_ISREG(old.st_mode):
                like = old
    if mode is None:
        mode = like.st_mode & 0o777 if like is not None else _new_file_mode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WatchlistError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            _keep_owner(f.fileno(), like, mode, path)
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            else:  # Windows
                os.chmod(tmp, mode)
            os.fsync(f.fileno())
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


def _keep_owner(fd: int, like: os.stat_result | None, mode: int, path: Path) -> None:
    """Give the temp file ``like``'s owner and group (root may; anyone may keep a group
    they belong to). WatchlistError when the old owner would lose access."""
    if like is None or not hasattr(os, "fchown"):
        return
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (like.st_uid, like.st_gid):
        return
    with suppress(PermissionError):
        os.fchown(fd, like.st_uid, like.st_gid)
        return
    try:
        if mine.st_gid != like.st_gid:
            os.fchown(fd, -1, like.st_gid)
    except PermissionError:
        raise WatchlistError(
            f"cannot write {path} keeping its group ({_group_name(like.st_gid)}): "
            "you are not a member",
            hint=f"ask {_owner_name(like.st_uid)} to make the change, or run as them",
        ) from None
    owner, group = (mode >> 6) & 7, (mode >> 3) & 7
    if like.st_uid != mine.st_uid and owner & ~group:
        raise WatchlistError(
            f"cannot write {path}: it would become yours and {_owner_name(like.st_uid)} "
            "would lose access (its group may not do what its owner may)",
            hint="make it group-writable (chmod g=u), or run as its owner",
        )


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return f"gid {gid}"


def write_output(path: Path, data: bytes) -> None:
    """An export's output: atomically to a file, replaced by its name (a symbolic link
    there is replaced, not followed); straight into a device or a pipe (``-o
    /dev/stdout``, a FIFO), which must not be replaced by a file, reached through a
    link only when ``trusted_link``. The folder must exist: a mistyped one is not made."""
    import stat

    target = Path(os.path.abspath(path))
    folder = target.parent
    if not folder.is_dir():  # a mistyped folder is not made
        what = "is not a folder" if folder.exists() else "does not exist"
        raise WatchlistError(
            f"cannot write {path}: {folder} {what}", hint="create the folder first, or fix -o"
        )
    special = False
    with suppress(OSError):
        st = os.lstat(target)
        if stat.S_ISLNK(st.st_mode) and trusted_link(target, st.st_uid):
            st = os.stat(target)
        special = not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)
        special = special and not stat.S_ISLNK(st.st_mode)
    if not special:
        atomic_write(target, data)
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

    path = resolve(path)  # two links to one file share its lock
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path = Path(os.path.realpath(path.parent)) / path.name  # and two to its folder
        _no_planted_link(Path(str(path) + ".lock"))
        lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT)
        lock.acquire()
    except Timeout:
        raise WatchlistError(
            f"{path} is locked by another fundwatch process",
            hint="try again when it has finished",
        ) from None
    except OSError as exc:
        raise WatchlistError(f"cannot lock {path}: {exc.strerror}") from None
    _share_lock(Path(str(path) + ".lock"), path)
    try:
        yield
    finally:
        lock.release()


def _no_planted_link(lock: Path) -> None:
    """A symbolic link where the lock goes is never opened (filelock before 3.20.1
    followed it and truncated its target: another user's link to your ~/.bashrc)."""
    import stat

    try:
        st = os.lstat(lock)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise WatchlistError(
            f"{lock} is a symbolic link (owned by {_owner_name(st.st_uid)}): "
            "not using it as a lock",
            hint="remove it, or keep the watchlist in a folder of your own",
        )


def _share_lock(lock: Path, path: Path) -> None:
    """A lock file we made gets the watchlist's owner (when we may: root may) and group,
    and write access for whoever may read the watchlist, so that the next writer of a
    team's file, or its owner after a `sudo fundwatch …`, can take it."""
    import stat

    with suppress(OSError, AttributeError):  # AttributeError: no uids (Windows)
        mine = os.lstat(lock)
        watched = os.stat(path)
        if not stat.S_ISREG(mine.st_mode) or mine.st_uid != os.geteuid():  # (POSIX only)
            return
        try:  # root's lock (sudo) is the owner's, who could not open it else
            if (mine.st_uid, mine.st_gid) != (watched.st_uid, watched.st_gid):
                os.chown(lock, watched.st_uid, watched.st_gid, follow_symlinks=False)
        except PermissionError:
            if mine.st_gid != watched.st_gid:
                os.chown(lock, -1, watched.st_gid, follow_symlinks=False)
        readers = watched.st_mode & 0o444
        os.chmod(lock, 0o600 | readers | readers >> 1)


def commit(path: Path, old: bytes | None, new: bytes) -> bool:
    """Write ``new`` over ``old`` (kept as the backup); False when nothing changed."""
    if new == old:
        return False
    path = resolve(path)
    if old is not None:
        check_writable(path)
        # the backup has the watchlist's owner, group and mode: no more readable than it
        like = os.stat(path)
        atomic_write(backup_path(path), old, like=like)
    atomic_write(path, new)
    return True


def remove_leftovers(path: Path) -> None:
    """Temporary files of writers that were killed mid-write: every write happens under
    the lock, so while we hold it, any such file is a dead writer's."""
    real = resolve(path)
    # atomic_write's names for the watchlist and its backup: .calls.toml[.bak].XXXXXXXX.tmp
    ours = re.compile(rf"\.{re.escape(real.name)}(\.bak)?\.[a-z0-9_]{{8}}\.tmp")
    with suppress(OSError):
        for leftover in real.parent.iterdir():
            if ours.fullmatch(leftover.name):
                with suppress(OSError):
                    leftover.unlink()
