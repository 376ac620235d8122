"""A cache of parsed watchlists, keyed on the file's size, times and inode.

tomllib needs ~75 us a call (0.4 to 0.7 s for 5,000 calls). So the cache holds each
call on its own, as plain data, plus a sorted index of deadline instants: `upcoming`
decodes only the calls with a deadline near its window. The cache is best effort: any
problem reading or writing it means the file is parsed as usual.

Safe on shared machines: entries are marshal data of built-in types only (str, int,
float, bool, None, tuples, lists, dicts: loading it runs nothing, unlike pickle), in a
folder of the user's own (0700; a folder owned by someone else is not used), in files
created 0600 with O_EXCL|O_NOFOLLOW under a random temporary name. An entry is used
only when it is a regular file the user owns and its key matches the watchlist it
claims to be (its path, device, inode, size and times); anything else is ignored, and
rebuilt.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from bisect import bisect_left, bisect_right
from contextlib import suppress
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from fundwatch import __version__
from fundwatch.domain.model import Call, Deadline
from fundwatch.storage.codec import Watchlist
from fundwatch.storage.settings import cache_dir

# What the entries look like: a change of fields makes old entries stale even when the
# version number did not move (an editable install). MAGIC changes with the encoding
# (entries of versions that pickled their calls are never read).
MAGIC = "fundwatch-cache-3"
LAYOUT = (Call._fields, Deadline._fields)

# All-day deadlines are indexed at 00:00 UTC of their date; the display zone can be
# 14 h away and the day lasts 24 h, so look two days either side of the window.
MARGIN = 2 * 86400.0


class Snapshot(Watchlist):
    """A watchlist read from the cache: calls are decoded when asked for."""

    def __init__(
        self, path: Path, blobs: list[bytes], times: list[float], owners: list[int],
        version: int, extra: dict[str, Any],
    ) -> None:  # fmt: skip
        self._path = path
        self._blobs = blobs
        self._times = times
        self._owners = owners
        self._loaded: dict[int, Call] = {}
        self._all: list[Call] | None = None
        self.version = version
        self.extra = extra

    def _call(self, i: int) -> Call:
        call = self._loaded.get(i)
        if call is None:
            call = _call(marshal.loads(self._blobs[i]))
            self._loaded[i] = call
        return call

    def _reread(self) -> list[Call]:
        """A damaged entry: parse the file itself, as if there were no cache."""
        from fundwatch.storage.codec import parse_or_raise
        from fundwatch.storage.files import read_text

        self._all = parse_or_raise(read_text(self._path), self._path).calls
        return self._all

    @property
    def calls(self) -> list[Call]:
        if self._all is None:
            try:
                self._all = [self._call(i) for i in range(len(self._blobs))]
            except Exception:
                return self._reread()
        return self._all

    @calls.setter
    def calls(self, value: list[Call]) -> None:
        self._all = value

    def calls_between(self, start: datetime, end: datetime) -> list[Call]:
        if self._all is not None:
            return self._all
        lo = bisect_left(self._times, start.timestamp() - MARGIN)
        hi = bisect_right(self._times, end.timestamp() + MARGIN)
        try:
            return [self._call(i) for i in sorted(set(self._owners[lo:hi]))]
        except Exception:
            return self._reread()


# --- plain data for calls ------------------------------------------------------------------
# TOML values are str, int, float, bool, lists, tables and dates/times; the dates and
# times (which marshal does not know) become tagged tuples, tuples become tagged lists.


def _enc(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return ("dt", value.isoformat())
    if isinstance(value, date):
        return ("d", value.isoformat())
    if isinstance(value, time):
        return ("t", value.isoformat())
    if isinstance(value, dict):
        return {str(k): _enc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, tuple):
        return ("tu", [_enc(v) for v in value])
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _dec(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {k: _dec(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dec(v) for v in value]
    if isinstance(value, tuple) and len(value) == 2:
        tag, inner = value
        if tag == "dt":
            return datetime.fromisoformat(inner)
        if tag == "d":
            return date.fromisoformat(inner)
        if tag == "t":
            return time.fromisoformat(inner)
        if tag == "tu":
            return tuple(_dec(v) for v in inner)
    raise TypeError(f"not cache data: {type(value).__name__}")


# The fields as _row writes and _call reads them; another layout is not cached.
_CALL_FIELDS = ("id", "title", "deadlines", "programme", "identifier", "url", "opens",
                "timezone", "tags", "budget", "notes", "state", "extra", "sequence",
                "modified", "fingerprint", "uid")  # fmt: skip
_DEADLINE_FIELDS = ("at", "timezone", "label", "extra")


def _when(value: date | datetime | None) -> str | None:
    if isinstance(value, datetime) and value.fold:
        return value.isoformat() + "|1"  # the second 02:30 of the night the clocks go back
    return None if value is None else value.isoformat()


def _when_of(text: str) -> date | datetime:
    if len(text) == 10:
        return date.fromisoformat(text)
    if text.endswith("|1"):
        return datetime.fromisoformat(text[:-2]).replace(fold=1)
    return datetime.fromisoformat(text)


def _row(call: Call) -> tuple[Any, ...]:
    """A call as a tuple of built-in values, in _CALL_FIELDS order."""
    return (
        call.id, call.title,
        [(_when(d.at), d.timezone, d.label, _enc(d.extra) if d.extra else None)
         for d in call.deadlines],
        call.programme, call.identifier, call.url, _when(call.opens), call.timezone,
        list(call.tags), _enc(call.budget), call.notes, call.state,
        _enc(call.extra) if call.extra else None, call.sequence, _when(call.modified),
        call.fingerprint, call.uid,
    )  # fmt: skip


def _call(row: Any) -> Call:
    (call_id, title, deadlines, programme, identifier, url, opens, tz, tags, budget, notes,
     state, extra, sequence, modified, fingerprint, uid) = row  # fmt: skip
    return Call(
        call_id, title,
        tuple(Deadline(_when_of(at), zone, label, _dec(more) if more else None)
              for at, zone, label, more in deadlines),
        programme, identifier, url, _when_of(opens) if opens else None, tz, tuple(tags),
        _dec(budget), notes, state, _dec(extra) if extra else None, sequence,
        datetime.fromisoformat(modified) if modified else None, fingerprint, uid,
    )  # fmt: skip


# --- where entries live, and who owns them ----------------------------------------------------


def _folder() -> Path | None:
    """The cache folder, made 0700 if need be; None when there is none or it is not the
    user's own (another user could read or plant entries there)."""
    import stat

    folder = cache_dir()
    if folder is None:
        return None
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = os.lstat(folder)
        except OSError:
            return None
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != _euid():
        return None
    if st.st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)
        except OSError:
            return None
    return folder


def _euid() -> int:
    """The user's id; 0 where there are none (Windows, whose stat says 0 too)."""
    return os.geteuid() if hasattr(os, "geteuid") else 0


def _name(path: Path) -> str:
    digest = zlib.crc32(os.fsencode(os.path.abspath(path)))
    return f"watchlist-{digest:08x}.marshal"


def _key(path: Path, stamp: os.stat_result) -> tuple[Any, ...]:
    """What an entry claims to be: this file (its path, device and inode), as it is now
    (size, modification and change times; no user can set a change time back)."""
    return (
        MAGIC,
        os.path.abspath(path),  # two files whose names share a checksum do not mix
        __version__,
        LAYOUT,
        tuple(sys.version_info[:2]),
        stamp.st_size,
        stamp.st_mtime_ns,
        stamp.st_ctime_ns,
        stamp.st_ino,
        stamp.st_dev,
    )


def _read_own(where: Path) -> bytes | None:
    """The bytes of an entry that is a regular file of the user's own, else None."""
    import stat

    try:
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != _euid() or st.st_mode & 0o077:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()  # marshal.load(f) reads in small pieces, ~10x slower
    finally:
        os.close(fd)


def get(path: Path, stamp: os.stat_result) -> Watchlist | None:
    folder = _folder()
    if folder is None:
        return None
    try:
        data = _read_own(folder / _name(path))
        if data is None:
            return None
        key, version, extra, times, owners, blobs = marshal.loads(data)
        if key != _key(path, stamp):
            return None
        if not (isinstance(version, int) and isinstance(times, list)
                and isinstance(owners, list) and isinstance(blobs, list)):  # fmt: skip
            return None
        return Snapshot(path, blobs, times, owners, version, _dec(extra))
    except Exception:  # absent, stale format, truncated: parse the file instead
        return None


def put(path: Path, stamp: os.stat_result, watchlist: Watchlist) -> None:
    folder = _folder()
    if folder is None:
        return
    where = folder / _name(path)
    try:
        index = sorted(
            (_instant(d.utc, d.at), i)
            for i, call in enumerate(watchlist.calls)
            for d in call.deadlines
        )
        if Call._fields != _CALL_FIELDS or Deadline._fields != _DEADLINE_FIELDS:
            return
        record = (
            _key(path, stamp),
            watchlist.version,
            _enc(watchlist.extra),
            [t for t, _ in index],
            [i for _, i in index],
            [marshal.dumps(_row(c)) for c in watchlist.calls],
        )
    except (TypeError, ValueError):  # a value the cache cannot hold: no cache
        return
    with suppress(OSError, ValueError):
        if _key(path, os.stat(path)) != record[0]:  # changed while we read it
            return
        _write_own(where, marshal.dumps(record))


def _write_own(where: Path, data: bytes) -> None:
    """``data`` as ``where``: a new file 0600 under a random name (O_EXCL|O_NOFOLLOW, so
    nothing planted there is opened), renamed onto the name."""
    import secrets

    tmp = where.with_name(f".{where.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o600)
        os.replace(tmp, where)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _instant(utc: datetime | None, day: Any) -> float:
    if utc is not None:
        return utc.timestamp()
    return datetime.combine(day, time(0), tzinfo=UTC).timestamp()
