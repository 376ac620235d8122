#!/usr/bin/env python3
"""A writer killed with SIGKILL at a random moment leaves the old watchlist or the new
one, never a torn one, and the next command works (the lock dies with its process).

    python bench/kill_writers.py [--rounds 300] [--calls 3000] [--seed 1]

Each round runs `fundwatch edit` on a watchlist of --calls calls (large, so that the
write takes long enough to be hit) and kills it after a random delay spread over the
whole run; then the file must be byte for byte the version before the edit or the one
after, parse, and the .bak must be a whole earlier version too. Prints how many kills
landed before, during (old file kept) and after the write, and any torn file.
tests/test_faults.py runs a short round.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def build(path: Path, n: int) -> None:
    import tomli_w

    calls = [
        {"id": f"call-{i:05d}", "title": f"Topic {i}", "programme": "Horizon Europe",
         "notes": "x" * 80, "deadline": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T17:00:00"}
        for i in range(n)
    ]  # fmt: skip
    path.write_text(tomli_w.dumps({"version": 1, "calls": calls}), encoding="utf-8")


def env_for(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDWATCH_")}
    env.update(
        FUNDWATCH_FILE=str(folder / "calls.toml"),
        FUNDWATCH_CONFIG=str(folder / "config.toml"),
        FUNDWATCH_CACHE_DIR="",
        TZ="Europe/Brussels",
    )
    return env


def edit(env: dict[str, str], n: int) -> list[str]:
    return [sys.executable, "-m", "fundwatch", "edit", "call-00000", "--notes", f"round {n}"]


def run(rounds: int, calls: int, seed: int) -> dict[str, Any]:
    """Figures: kills before the file changed, after it changed, torn files (0)."""
    from fundwatch.storage import codec, files

    rng = random.Random(seed)
    figures: dict[str, Any] = {"rounds": rounds, "old": 0, "new": 0, "torn": [], "bak_torn": 0}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "calls.toml"
        build(path, calls)
        env = env_for(folder)
        started = time.perf_counter()  # how long one whole edit takes, to spread the kills
        subprocess.run(edit(env, -1), env=env, check=True, capture_output=True)
        whole = time.perf_counter() - started
        for n in range(rounds):
            before = path.read_bytes()
            proc = subprocess.Popen(edit(env, n), env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(rng.uniform(0, whole * 1.1))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            after = path.read_bytes()
            if after == before:
                figures["old"] += 1
            else:
                text = after.decode("utf-8", "replace")
                watchlist, problems = codec.parse(text, path)
                notes = watchlist.calls[0].notes if watchlist.calls else None
                if problems or len(watchlist.calls) != calls or notes != f"round {n}":
                    figures["torn"].append(n)
                    continue
                figures["new"] += 1
            bak = files.backup_path(path)
            if bak.exists() and codec.parse(bak.read_text(encoding="utf-8"), bak)[1]:
                figures["bak_torn"] += 1
        # the lock died with the last writer: the next command works
        done = subprocess.run(edit(env, rounds), env=env, capture_output=True, timeout=60)
        figures["next_ok"] = done.returncode == 0
        figures["leftover_temp"] = len(list(folder.glob(".calls.toml.*.tmp")))
        figures["seconds_per_edit"] = whole
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    f = run(args.rounds, args.calls, args.seed)
    print(f"{f['rounds']} kills of `fundwatch edit` on {args.calls} calls "
          f"({f['seconds_per_edit']:.2f} s an edit):")  # fmt: skip
    print(f"  old file kept: {f['old']}, new file whole: {f['new']}, torn: {len(f['torn'])}")
    print(f"  torn backups: {f['bak_torn']}; next command after the kills: "
          f"{'ok' if f['next_ok'] else 'FAILED'}; temp files left by killed writers: "
          f"{f['leftover_temp']}")  # fmt: skip
    return 1 if f["torn"] or f["bak_torn"] or not f["next_ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
