"""The watchlist file: load (through the cache) and transactions (lock, read, change,
write back atomically with a backup).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fundwatch.storage.codec import Watchlist, dumps, parse_or_raise
from fundwatch.storage.files import (
    check_writable,
    commit,
    locked,
    read_text,
    regular_file,
    remove_leftovers,
    resolve,
)


def load(path: Path, use_cache: bool = True) -> Watchlist:
    """The watchlist at ``path``, from the cache when the file has not changed."""
    if not use_cache:
        return parse_or_raise(read_text(path), path)
    from fundwatch.storage import cache

    try:
        path = resolve(path)  # a link is followed only when trusted
        stamp = os.stat(path)
    except OSError:
        return parse_or_raise(read_text(path), path)  # says what is wrong
    cached = cache.get(path, stamp)
    if cached is not None:
        return cached
    watchlist = parse_or_raise(read_text(path), path)
    cache.put(path, stamp, watchlist)
    return watchlist


@contextmanager
def transaction(path: Path, create: bool = False) -> Iterator[Watchlist]:
    """Lock, read, let the caller change the watchlist, then write it back atomically.

    Nothing is written if the body raises. With ``create``, a missing file starts empty.
    """
    regular_file(path)  # before the lock file is made beside a device
    with locked(path):
        remove_leftovers(path)
        old: bytes | None = None
        watchlist = Watchlist()
        if regular_file(path) or not create:
            text = read_text(path)
            check_writable(path)  # at the door: nothing is done that cannot be written
            old = text.encode("utf-8")
            watchlist = parse_or_raise(text, path)
        before = dumps(watchlist) if old is not None else None
        yield watchlist
        after = dumps(watchlist)
        if after != before:  # else keep the file as written, comments and all
            commit(path, old, after.encode("utf-8"))
