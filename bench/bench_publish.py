#!/usr/bin/env python3
"""How long `fundwatch publish` takes for 1,000 deadlines, to a folder and to a CalDAV
calendar on a local Radicale, and what a second run with nothing changed sends.

    python bench/bench_publish.py [--deadlines 1000]

Radicale (pip install radicale, in the `test` extra) is started on 127.0.0.1 with a
temporary storage folder; each step is one whole `fundwatch publish` process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_upcoming import build

USER, PASSWORD = "bench", "bench-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_radicale(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    (work / "users").write_text(f"{USER}:{PASSWORD}\n")
    (work / "radicale.conf").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {work / 'users'}\n"
        "htpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {work / 'collections'}\n"
        "[rights]\ntype = owner_only\n[web]\ntype = none\n[logging]\nlevel = warning\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(work / "radicale.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    end = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > end or proc.poll() is not None:
                raise SystemExit("Radicale did not start") from None
            time.sleep(0.05)
    import httpx

    url = f"http://127.0.0.1:{port}/{USER}/deadlines/"
    r = httpx.request("MKCALENDAR", url, auth=(USER, PASSWORD))
    r.raise_for_status()
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadlines", type=int, default=1000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fundwatch-bench-publish-"))
    proc = None
    try:
        path = work / "calls.toml"
        build(round(args.deadlines / 1.4), path)
        # every call in the calendars: none submitted
        text = path.read_text(encoding="utf-8").replace('"submitted"', '"preparing"')
        path.write_text(text, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNDWATCH_", "XDG_"))}
        env.update(
            HOME=str(work / "home"), FUNDWATCH_AS_OF="2025-10-08", TZ="Europe/Brussels",
            FUNDWATCH_FILE=str(path), FUNDWATCH_CACHE_DIR=str(work / "cache"),
            FUNDWATCH_CALDAV_USER=USER, FUNDWATCH_CALDAV_PASSWORD=PASSWORD,
        )  # fmt: skip
        script = Path(sys.executable).parent / "fundwatch"
        base = [str(script)] if script.exists() else [sys.executable, "-m", "fundwatch"]

        def run(*argv: str) -> tuple[str, str]:
            """Wall time (and fundwatch's own CPU time: the machine may be busy), stdout."""
            import resource

            cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            done = subprocess.run(
                [*base, *argv], env=env, capture_output=True, text=True, check=True
            )
            wall = time.perf_counter() - t
            now = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = now.ru_utime + now.ru_stime - cpu.ru_utime - cpu.ru_stime
            return f"{wall:.2f} s (CPU {used:.2f} s)", done.stdout

        folder = work / "site"
        first, said = run("publish", str(folder))
        second, said2 = run("publish", str(folder))
        events = (folder / "deadlines.ics").read_bytes().count(b"BEGIN:VEVENT")
        print(f"{events} events (3 alarms each), watchlist of {path.stat().st_size:,} bytes")
        print(f"publish FOLDER, first run:      {first}  ({said.strip()})")
        print(f"publish FOLDER, nothing changed: {second}  ({said2.strip()})")

        proc, url = start_radicale(work)
        first, said = run("publish", url, "--format", "json")
        second, said2 = run("publish", url, "--format", "json")
        one, two = json.loads(said), json.loads(said2)
        print(
            f"publish URL (Radicale), first run:       {first}  "
            f"(created {one['created']}, {one['requests']} requests)"
        )
        print(
            f"publish URL (Radicale), nothing changed: {second}  "
            f"(unchanged {two['unchanged']}, {two['requests']} request(s), "
            f"created {two['created']}, updated {two['updated']})"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
