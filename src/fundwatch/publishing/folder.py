"""`publish FOLDER`: a static folder any web server, shared drive or GitHub Pages serves.

- ``deadlines.ics``: the feed (the events of `export ics`, cancellations included), with
  REFRESH-INTERVAL and X-PUBLISHED-TTL so that subscribers look again twice a day;
- ``deadlines.json``: the `upcoming --format json` rows of the next 365 days;
- ``index.html``: the members' page (output.page).

Each file is written atomically, and only when its bytes change: a second run with
nothing changed leaves the folder as it was (modification times included, so that
web servers' caches and subscribers' If-Modified-Since keep working).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fundwatch.domain.errors import FundwatchError, WatchlistError

FILES = ("deadlines.ics", "deadlines.json", "index.html")


def check_folder(folder: Path) -> None:
    """A folder we can write into (made if missing), or one clear error."""
    if folder.exists() and not folder.is_dir():
        raise FundwatchError(
            f"{folder} is not a folder", hint="publish writes a folder of three files"
        )


def write_folder(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write the files whose bytes differ from what is there; the names written."""
    from fundwatch.storage.files import atomic_write

    check_folder(folder)
    written = []
    for name, data in files.items():
        path = folder / name
        try:
            if path.is_file() and path.read_bytes() == data:
                continue
        except OSError:
            pass  # unreadable: write it anew (atomic_write says what is wrong)
        try:
            atomic_write(path, data)
        except WatchlistError as exc:  # the output's failure, not the watchlist's
            raise FundwatchError(exc.message, exc.hint) from None
        written.append(name)
    return written
