#!/usr/bin/env python3
"""How long `fundwatch --version` takes beside `python -c pass` (issue 11: within 30 ms).

    python bench/bench_version.py [--runs 41]

Runs the installed console script and the interpreter alone, interleaved, and prints
the median and 90th percentile of each (wall clock, and CPU time: user + system, which
other work on a shared machine disturbs less) and the difference of the medians.
Run it without PYTHONDONTWRITEBYTECODE (or once before), so that Python reads the
compiled modules instead of compiling them on every run.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=41)
    args = parser.parse_args()
    script = shutil.which("fundwatch")
    if script is None:
        sys.exit("fundwatch is not installed (pip install -e .)")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        # pip's console-script wrapper imports re before fundwatch: not ours to save
        "python -c 'import re'": [sys.executable, "-c", "import re"],
        "fundwatch --version": [script, "--version"],
    }
    walls: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    for argv in commands.values():  # warm the file cache
        timed(argv)
    for _ in range(args.runs):
        for name, argv in commands.items():
            wall, cpu = timed(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
    for label, times in (("wall", walls), ("cpu", cpus)):
        medians = {}
        for name, values in times.items():
            values.sort()
            medians[name] = statistics.median(values)
            p90 = values[int(0.9 * (len(values) - 1))]
            print(
                f"{label} {name:<23} median {medians[name] * 1000:6.1f} ms"
                f"   p90 {p90 * 1000:6.1f} ms"
            )
        gap = (medians["fundwatch --version"] - medians["python -c pass"]) * 1000
        print(f"{label} {'difference':<23} {gap:6.1f} ms (target: 30 ms)")


if __name__ == "__main__":
    main()
