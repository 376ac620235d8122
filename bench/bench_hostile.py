#!/usr/bin/env python3
"""Memory and time of fundwatch against hostile servers on 127.0.0.1 (issue 12).

Each case starts a server from tests/hostile.py (an endless body, a gzip bomb, a
server that drips a byte every 5 s, a long Retry-After), runs the import, webhook or
portal request in a fresh Python process and prints its time, its peak memory
(ru_maxrss) and what the server managed to send before fundwatch stopped reading.

    python bench/bench_hostile.py [WORD ...]   # only the cases whose name has WORD
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from hostile import Hostile, answer, bomb, drip, endless  # noqa: E402

CHILD = """
import resource, sys, time
sys.path.insert(0, {tests!r})
from fundwatch.domain.errors import FundwatchError
t = time.monotonic()
try:
    {action}
    said = "ok"
except FundwatchError as exc:
    said = exc.message
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(round(time.monotonic() - t, 2), rss, said)
"""
IMPORT = "from fundwatch.importers.source import read_source; read_source({url!r}, None, 30)"
POST = (
    "from test_webhook import MARKDOWN, REMINDER; from fundwatch.publishing import webhook; "
    "webhook.post({url!r}, MARKDOWN, REMINDER, 'slack', timeout=30, retries=0)"
)
PORTAL = (
    "from fundwatch.portal.client import search_pages; "
    "search_pages({url!r}, retries=0, progress=False)"
)
TEXT, ICS, JSON = (
    f"Content-Type: {t}\r\n" for t in ("text/plain", "text/calendar", "application/json")
)
CASES = [
    ("import, 404 with a 1 GiB body", endless("404 Not Found", TEXT), IMPORT, "/feed.ics"),
    ("import, 200 with a 1 GiB body", endless("200 OK", ICS), IMPORT, "/feed.ics"),
    ("webhook, 404 with a 1 GiB body", endless("404 Not Found", TEXT), POST, "/hooks/x"),
    ("webhook, 200 with a 1 MB gzip bomb (1 GiB decoded)", bomb(1024), POST, "/hooks/x"),
    ("portal, 200 with a 1 GiB page", endless("200 OK", JSON), PORTAL, "/search"),
    ("import, 1 byte every 5 s (budget 30 s)", drip(5.0), IMPORT, "/feed.ics"),
    ("import, 429 Retry-After: 3600", answer("429 Too Many Requests", "Retry-After: 3600\r\n"),
     IMPORT, "/feed.ics"),
]  # fmt: skip


def main() -> None:
    only = sys.argv[1:]
    for name, behave, action, path in CASES:
        if only and not any(word in name for word in only):
            continue
        server = Hostile(behave)
        code = CHILD.format(tests=str(TESTS), action=action.format(url=server.url(path)))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=200)  # fmt: skip
        time.sleep(0.2)  # the server notices that the client has gone
        if done.stdout:
            secs, rss, said = done.stdout.strip().split(" ", 2)
        else:
            secs, rss, said = "?", "?", done.stderr.strip()[-200:]
        sent = server.sent / 2**20
        print(
            f"{name:52s} {secs:>6s} s  maxrss {rss:>4s} MiB  sent {sent:7.1f} MiB  | {said[:100]}"
        )
        server.close()


if __name__ == "__main__":
    main()
