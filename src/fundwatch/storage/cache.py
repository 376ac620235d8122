"""A cache of parsed watchlists, keyed on the file's size, times and inode.

tomllib needs ~75 us a call (0.4 to 0.7 s for 5,000 calls), and unpickling 5,000
Call objects still ~0.1 s. So the cache holds each call pickled on its own plus a
sorted index of deadline instants: `upcoming` unpickles only the calls with a
deadline near its window. The cache is best effort: any problem reading or
writing it means the file is parsed as usual.
"""

from __future__ import annotations

import marshal
import os
import pickle
import sys
import zlib
from bisect import bisect_left, bisect_right
from contextlib import suppress
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from fundwatch import __version__
from fundwatch.domain.model import Call, Deadline
from fundwatch.storage.codec import Watchlist
from fundwatch.storage.settings import cache_dir

# What the pickled objects look like: a change of fields makes old entries stale even
# when the version number did not move (an editable install).
LAYOUT = (Call._fields, Call.__slots__, Deadline._fields, Deadline.__slots__)

# All-day deadlines are indexed at 00:00 UTC of their date; the display zone can be
# 14 h away and the day lasts 24 h, so look two days either side of the window.
MARGIN = 2 * 86400.0


class Snapshot(Watchlist):
    """A watchlist read from the cache: calls are unpickled when asked for."""

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
            call = pickle.loads(self._blobs[i])
            if not isinstance(call, Call):
                raise TypeError(f"cache entry {i} is a {type(call).__name__}")
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


def _where(path: Path) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    digest = zlib.crc32(os.fsencode(os.path.abspath(path)))
    return folder / f"watchlist-{digest:08x}.marshal"


def _key(path: Path, stamp: os.stat_result) -> tuple[Any, ...]:
    return (
        os.path.abspath(path),  # two files whose names share a checksum do not mix
        __version__,
        LAYOUT,
        tuple(sys.version_info[:2]),
        stamp.st_size,
        stamp.st_mtime_ns,
        stamp.st_ctime_ns,
        stamp.st_ino,
    )


def get(path: Path, stamp: os.stat_result) -> Watchlist | None:
    where = _where(path)
    if where is None:
        return None
    try:
        with open(where, "rb") as f:
            data = f.read()  # marshal.load(f) reads in small pieces, ~10x slower
        key, version, extra, times, owners, blobs = marshal.loads(data)
        if key != _key(path, stamp):
            return None
        return Snapshot(path, blobs, times, owners, version, pickle.loads(extra))
    except Exception:  # absent, stale format, truncated: parse the file instead
        return None


def put(path: Path, stamp: os.stat_result, watchlist: Watchlist) -> None:
    where = _where(path)
    if where is None:
        return
    index = sorted(
        (_instant(d.utc, d.at), i) for i, call in enumerate(watchlist.calls) for d in call.deadlines
    )
    record = (
        _key(path, stamp),
        watchlist.version,
        pickle.dumps(watchlist.extra, protocol=pickle.HIGHEST_PROTOCOL),
        [t for t, _ in index],
        [i for _, i in index],
        [pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL) for c in watchlist.calls],
    )
    with suppress(OSError, ValueError):
        if _key(path, os.stat(path)) != _key(path, stamp):  # changed while we read it
            return
        where.parent.mkdir(parents=True, exist_ok=True)
        tmp = where.with_name(f".{where.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            marshal.dump(record, f)
        os.replace(tmp, where)


def _instant(utc: datetime | None, day: Any) -> float:
    if utc is not None:
        return utc.timestamp()
    return datetime.combine(day, time(0), tzinfo=UTC).timestamp()
