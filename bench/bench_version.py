#!/usr/bin/env python3
"""How long `fundwatch --version` takes beside `python -c pass` (issue 11: within 30 ms).

    python bench/bench_version.py [--runs 41]

Runs the installed console script and the interpreter alone, interleaved, and prints
the median and 90th percentile of each and the difference of the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=41)
    args = parser.parse_args()
    script = shutil.which("fundwatch")
    if script is None:
        sys.exit("fundwatch is not installed (pip install -e .)")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "fundwatch --version": [script, "--version"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for argv in commands.values():  # warm the file cache
        timed(argv)
    for _ in range(args.runs):
        for name, argv in commands.items():
            times[name].append(timed(argv))
    medians = {}
    for name, values in times.items():
        values.sort()
        medians[name] = statistics.median(values)
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"{name:<22} median {medians[name] * 1000:6.1f} ms   p90 {p90 * 1000:6.1f} ms")
    gap = (medians["fundwatch --version"] - medians["python -c pass"]) * 1000
    print(f"{'difference':<22} {gap:6.1f} ms (target: 30 ms)")


if __name__ == "__main__":
    main()
