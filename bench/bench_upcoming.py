#!/usr/bin/env python3
"""How long `fundwatch upcoming --within 30d --format json` takes as a whole process.

Builds watchlists of 500 and 5,000 calls (single deadlines, two-stage topics,
multiple cut-offs, all-day dates, several zones), then runs the installed
`fundwatch` console script repeatedly and prints the median and 90th percentile.

    python bench/bench_upcoming.py [--runs 21] [--sizes 500,5000]

Rows: the normal run (fast path, warm cache); the same through the typer path
(FUNDWATCH_NO_FASTPATH=1); without the cache (every run parses the TOML); and
`python -c pass` for the interpreter's own start-up. Targets (issue 2, 2 cores):
100 ms at 500 calls, 150 ms at 5,000.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

AS_OF = "2025-10-08"
ZONES = ["Europe/Brussels"] * 8 + ["Europe/Kyiv", "America/New_York"]


def build(n: int, path: Path) -> None:
    """A watchlist of ``n`` calls whose deadlines spread over 1.5 years around AS_OF."""
    import tomli_w

    rng = random.Random(n)
    start = datetime(2025, 4, 1, 17, 0)
    calls = []
    for i in range(n):
        first = start + timedelta(days=rng.randint(0, 540))
        call = {
            "id": f"call-{i:05d}",
            "title": f"Topic {i}: {rng.choice(['AI', 'soil', 'health', 'space', 'security'])}",
            "programme": rng.choice(["Horizon Europe", "Digital Europe", "LIFE", "EU4Health"]),
            "identifier": f"HORIZON-BENCH-2026-{i:05d}",
            "url": f"https://example.org/topic/{i}",
            "state": rng.choice(["watching"] * 6 + ["preparing", "submitted"]),
            "tags": rng.sample(["sme", "cluster", "eic", "green", "digital"], 2),
            "timezone": rng.choice(ZONES),
        }
        kind = i % 10
        if kind == 0:
            call["deadlines"] = [
                {"at": first, "label": "Stage 1"},
                {"at": first + timedelta(days=150), "label": "Stage 2 (invited)"},
            ]
        elif kind == 1:
            call["deadlines"] = [
                {"at": first + timedelta(days=60 * k), "label": f"Cut-off {k + 1}"}
                for k in range(4)
            ]
        elif kind == 2:
            call["deadline"] = date(first.year, first.month, first.day)
        else:
            call["deadline"] = first
        calls.append(call)
    path.write_text(tomli_w.dumps({"version": 1, "calls": calls}), encoding="utf-8")


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True, close_fds=False)
        times.append((time.perf_counter() - t) * 1000)
    return times


def setting_up() -> tuple[list[str], Path, dict[str, str]]:
    """The installed console script, a fresh work folder, and a user's environment:
    default folders under a fresh HOME (settings and cache found the usual way), and
    compiled bytecode as any install has."""
    script = Path(sys.executable).parent / "fundwatch"
    fundwatch = [str(script)] if script.exists() else [sys.executable, "-m", "fundwatch"]
    work = Path(tempfile.mkdtemp(prefix="fundwatch-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNDWATCH_", "XDG_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(HOME=str(work / "home"), FUNDWATCH_AS_OF=AS_OF, TZ="Europe/Brussels")
    return fundwatch, work, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--sizes", default="500,5000")
    args = parser.parse_args()

    fundwatch, work, env = setting_up()
    print(f"fundwatch: {' '.join(fundwatch)}  python {sys.version.split()[0]}  "
          f"runs: {args.runs}  cores: {os.cpu_count()}")  # fmt: skip
    print(f"{'case':<44} {'calls':>6} {'median ms':>10} {'p90 ms':>8} {'rows':>5}")
    base = timed([sys.executable, "-c", "pass"], env, args.runs)
    print(f"{'python -c pass':<44} {'':>6} {statistics.median(base):>10.1f}")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            path = work / f"calls-{n}.toml"
            build(n, path)
            cmd = [
                *fundwatch,
                "--file",
                str(path),
                "upcoming",
                "--within",
                "30d",
                "--format",
                "json",
            ]
            rows = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            count = rows.stdout.count('"call_id"')
            cases = [
                ("upcoming --format json (fast path, cache)", env),
                ("same via typer (FUNDWATCH_NO_FASTPATH=1)", env | {"FUNDWATCH_NO_FASTPATH": "1"}),
                ("same without the cache", env | {"FUNDWATCH_CACHE_DIR": ""}),
            ]
            for name, case_env in cases:
                timed(cmd, case_env, 2)  # warm: bytecode, cache, page cache
                runs = (
                    args.runs
                    if case_env.get("FUNDWATCH_CACHE_DIR") != ""
                    else max(5, args.runs // 4)
                )
                t = sorted(timed(cmd, case_env, runs))
                p90 = t[min(len(t) - 1, round(0.9 * (len(t) - 1)))]
                print(f"{name:<44} {n:>6} {statistics.median(t):>10.1f} {p90:>8.1f} {count:>5}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
