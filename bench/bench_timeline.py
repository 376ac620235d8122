#!/usr/bin/env python3
"""How long `fundwatch timeline` takes at 500 calls, as a whole process and in-process.

Uses the watchlist of bench_upcoming.py (single deadlines, two-stage topics, multiple
cut-offs, all-day dates, several zones, spread over 1.5 years), then runs the
installed `fundwatch` console script and prints the median and 90th percentile of
`timeline` piped (text), `--format svg` and `--format html`, next to `upcoming` for
comparison; then the layout model and each renderer in-process.

    python bench/bench_timeline.py [--runs 11] [--sizes 500]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_upcoming import AS_OF, build, setting_up, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--sizes", default="500")
    args = parser.parse_args()

    fundwatch, work, env = setting_up()
    env.update(COLUMNS="120")
    print(f"python {sys.version.split()[0]}  runs: {args.runs}  cores: {os.cpu_count()}")
    print(f"{'case':<36} {'calls':>6} {'median ms':>10} {'p90 ms':>8} {'rows':>5}")
    python = statistics.median(timed([sys.executable, "-c", "pass"], env, args.runs))
    print(f"{'python -c pass':<36} {'':>6} {python:>10.1f}")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            path = work / f"calls-{n}.toml"
            build(n, path)
            base = [*fundwatch, "--file", str(path)]
            cases = [
                ("upcoming --format json", ["upcoming", "--format", "json"]),
                ("timeline (text, piped)", ["timeline"]),
                ("timeline --months 12", ["timeline", "--months", "12"]),
                ("timeline --format svg", ["timeline", "--format", "svg"]),
                ("timeline --format html", ["timeline", "--format", "html"]),
            ]
            for name, argv in cases:
                timed(base + argv, env, 2)  # warm: bytecode, cache, page cache
                t = sorted(timed(base + argv, env, args.runs))
                p90 = t[min(len(t) - 1, round(0.9 * (len(t) - 1)))]
                rows = ""
                if argv[0] == "timeline" and len(argv) == 1:
                    import subprocess

                    out = subprocess.run(base + argv, env=env, capture_output=True, text=True)
                    rows = str(len(out.stdout.splitlines()) - 4)
                print(f"{name:<36} {n:>6} {statistics.median(t):>10.1f} {p90:>8.1f} {rows:>5}")
            inprocess(path, n)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def inprocess(path: Path, n: int) -> None:
    from fundwatch.domain.timeutil import Clock
    from fundwatch.output import timeline
    from fundwatch.storage.codec import parse_or_raise

    calls = parse_or_raise(path.read_text(encoding="utf-8"), path).calls
    clock = Clock.at("Europe/Brussels", AS_OF)
    first, last = timeline.window(date.fromisoformat(AS_OF), 6)
    steps = {
        "build (layout model)": lambda: timeline.build(calls, clock, first, last),
    }
    model = timeline.build(calls, clock, first, last)
    steps |= {
        "to_text (120 columns)": lambda: timeline.to_text(model, 120),
        "svg": lambda: timeline.svg(model),
        "mail_table": lambda: timeline.mail_table(model),
    }
    for name, step in steps.items():
        t = []
        for _ in range(7):
            start = time.perf_counter()
            step()
            t.append((time.perf_counter() - start) * 1000)
        print(f"  in-process {name:<24} {n:>6} {statistics.median(t):>10.1f}")


if __name__ == "__main__":
    main()
