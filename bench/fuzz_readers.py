#!/usr/bin/env python3
"""Fuzzing of every reader: arbitrary and mutated inputs must give a clear error
(FundwatchError, which the CLI prints as one line) or a correct result, never
another exception (which the CLI would report as "unexpected ... please report it").

    python bench/fuzz_readers.py [--inputs 10000] [--seed 1] [--readers csv,ics,...]

Readers: the watchlist (TOML, as `check` and every command read it), the settings,
`import` of CSV, iCalendar, JSON and TOML (read, then merged into a watchlist), and
the portal's search answers and bulk file. Inputs: the seeds below (real-looking files
and the portal fixtures of tests/fixtures) mutated byte by byte and, for JSON,
value by value, plus random bytes. Failures are saved under bench/.work/fuzz/.
tests/test_fuzz.py runs a short round of the same.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
WORK = ROOT / "bench" / ".work" / "fuzz"
SPICE = [b'"', b"'", b";", b",", b"=", b":", b"\n", b"\r\n", b"\\", b"{", b"}", b"[", b"]",
         b"[[calls]]", b"\x00", b"\xff", b"\xc3", b"-", b"+", b"T", b"Z", b"9999", b"0000",
         b"31/02/2026", b"BEGIN:VEVENT", b"END:VEVENT", b"RRULE:FREQ=DAILY", b"TZID=X:",
         b"1e400", b"-1", b"null", b"true", b'"""', b"2026-03-29T02:30:00"]  # fmt: skip


def seeds() -> dict[str, list[bytes]]:
    """Inputs each reader is meant for, made the way fundwatch and its peers write them."""
    from fundwatch.domain.timeutil import Clock
    from fundwatch.output import calendar as ics
    from fundwatch.output import tables as formats
    from fundwatch.storage.codec import parse

    sample = (ROOT / "data" / "calls.toml").read_bytes()
    clock = Clock(datetime(2025, 10, 8, tzinfo=UTC), "Europe/Brussels")
    calls = parse(sample.decode(), Path("calls.toml"))[0].calls
    options = ics.Options(alarms=(), milestones=(ics.parse_milestone("Review=7d"),))
    records = [formats.call_record(c, clock) for c in calls]
    google = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Europe/Brussels\r\nBEGIN:VEVENT\r\n"
        b"UID:a@google.com\r\nDTSTART:20251126T160000Z\r\nSUMMARY:EIC\r\nCATEGORIES:a,b\r\n"
        b"RRULE:FREQ=MONTHLY;COUNT=4\r\nEXDATE:20251226T160000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
        b"UID:b\r\nDTSTART;TZID=W. Europe Standard Time:20260707T170000\r\nSUMMARY:B\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    excel = "\ufeffCall name;Closing date;Tags\r\nA;26/11/2025 17:00;x, y\r\n".encode()
    bulk = (FIXTURES / "grantsTenders-sample.json").read_bytes()
    page = (FIXTURES / "sedia-search-page.json").read_bytes()
    return {
        "watchlist": [sample],
        "settings": [b'display_timezone = "Europe/Kyiv"\ndeadline_time = "17:00"\n'
                     b'alarms = ["14d", "3d"]\nmilestones = ["Partner letters=21d"]\n'],
        "csv": [formats.calls_csv(calls, clock).encode(), excel],
        "ics": [ics.calendar(calls, clock, options), google],
        "json": [formats.to_json(records).encode()],
        "toml": [sample],
        "portal": [page],
        "bulk": [bulk],
    }  # fmt: skip


# --- the readers: each returns normally or raises FundwatchError ------------------------------


def _readers(tmp: Path) -> dict[str, Callable[[bytes], Any]]:
    from fundwatch.domain.timeutil import Clock
    from fundwatch.importers import merge, reader
    from fundwatch.importers.source import Source
    from fundwatch.portal import topics as portal
    from fundwatch.storage import store
    from fundwatch.storage.settings import load_settings

    clock = Clock(datetime(2025, 10, 8, tzinfo=UTC), "Europe/Brussels")

    def watchlist(data: bytes) -> Any:
        path = tmp / "calls.toml"
        path.write_bytes(data)
        return store.load(path, use_cache=False)

    def settings(data: bytes) -> Any:
        path = tmp / "config.toml"
        path.write_bytes(data)
        return load_settings(path)

    def importer(fmt: str) -> Callable[[bytes], Any]:
        def read(data: bytes) -> Any:
            source = Source("input", data, fmt)
            incoming = reader.read_calls(source, clock, "Europe/Brussels", None)
            return merge.merge([], incoming, clock)

        return read

    def answer(parse: Callable[[Any], Any]) -> Callable[[bytes], Any]:
        def read(data: bytes) -> Any:
            try:
                value = json.loads(data)
            except ValueError:  # the client's check, tested on its own
                return None
            return portal.merge(parse(value))

        return read

    return {
        "watchlist": watchlist,
        "settings": settings,
        **{fmt: importer(fmt) for fmt in ("csv", "ics", "json", "toml")},
        "portal": answer(portal.parse_search_page),
        "bulk": answer(portal.parse_bulk),
    }


# --- inputs -------------------------------------------------------------------------------------


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 10)):
        op = rng.random()
        p = rng.randrange(len(b) + 1)
        if op < 0.3 and b:
            b[min(p, len(b) - 1)] = rng.randrange(256)
        elif op < 0.6:
            b[p:p] = rng.choice(SPICE)
        elif op < 0.8:
            del b[p : p + rng.randint(1, 64)]
        elif b:  # a slice copied elsewhere
            q = rng.randrange(len(b))
            b[p:p] = b[q : q + rng.randint(1, 64)]
    return bytes(b)


_ODD = [None, True, False, 0, -1, 10**400, 1e308, "", "x" * 300, "9" * 400, [], {}, [None],
        "2026-02-31", "9999-12-31T23:59:59.000+0000", "0001-01-01", "31094501", "[1, 2", "{}",
        '{"a": 1}', "-1e400", float("nan")]  # fmt: skip


def mutate_json(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """The same document with a few values swapped for odd ones (types, sizes, dates)."""
    if rng.random() < 0.08 or depth > 12:
        return rng.choice(_ODD)
    if isinstance(value, dict):
        return {k: mutate_json(v, rng, depth + 1) for k, v in value.items() if rng.random() > 0.03}
    if isinstance(value, list):
        items = [mutate_json(v, rng, depth + 1) for v in value if rng.random() > 0.05]
        if items and rng.random() < 0.1:
            items.append(rng.choice(items))  # duplicates
        return items
    return value


def inputs(reader: str, seed_data: list[bytes], n: int, rng: random.Random) -> list[bytes]:
    out: list[bytes] = []
    documents = []
    if reader in ("json", "portal", "bulk"):
        documents = [json.loads(s) for s in seed_data]
    for i in range(n):
        kind = i % 10
        if kind == 0:
            out.append(rng.randbytes(rng.randint(0, 256)))
        elif kind < 4 and documents:
            text = json.dumps(mutate_json(rng.choice(documents), rng), allow_nan=True)
            out.append(text.encode())
        else:
            out.append(mutate(rng.choice(seed_data), rng))
    return out


# --- running ------------------------------------------------------------------------------------


def run(n: int, seed: int, only: list[str] | None = None, save: bool = True) -> dict[str, Any]:
    """Feed ``n`` inputs to each reader; returns the figures and the failures."""
    from fundwatch.domain.errors import FundwatchError

    rng = random.Random(seed)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        readers = _readers(Path(tmp))
        for name, seed_data in seeds().items():
            if only and name not in only:
                continue
            read = readers[name]
            figures = {"inputs": 0, "accepted": 0, "errors": 0, "failures": []}
            started = time.perf_counter()
            for data in inputs(name, seed_data, n, rng):
                figures["inputs"] += 1
                try:
                    read(data)
                    figures["accepted"] += 1
                except FundwatchError as exc:
                    figures["errors"] += 1
                    if not str(exc).strip():  # the CLI prints it on one line (cli.fail)
                        figures["failures"].append(("empty error", "", "(message)", data))
                except Exception as exc:  # the finding
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    figures["failures"].append(
                        (
                            type(exc).__name__,
                            str(exc)[:200],
                            f"{where.filename}:{where.lineno}",
                            data,
                        )
                    )
            figures["seconds"] = time.perf_counter() - started
            results[name] = figures
    if save:
        _save(results)
    return results


def _save(results: dict[str, Any]) -> None:
    for name, figures in results.items():
        for k, (_, _, _, data) in enumerate(figures["failures"][:20]):
            WORK.mkdir(parents=True, exist_ok=True)
            (WORK / f"{name}-{k}.bin").write_bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs per reader")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--readers", default="", help="comma-separated (default: all)")
    args = parser.parse_args()
    only = [r for r in args.readers.split(",") if r] or None
    results = run(args.inputs, args.seed, only)
    print(f"{'reader':<10} {'inputs':>7} {'accepted':>9} {'errors':>7} {'failures':>9} {'s':>6}")
    bad = 0
    for name, f in results.items():
        print(f"{name:<10} {f['inputs']:>7} {f['accepted']:>9} {f['errors']:>7} "
              f"{len(f['failures']):>9} {f['seconds']:>6.1f}")  # fmt: skip
        bad += len(f["failures"])
    for name, f in results.items():
        seen = set()
        for kind, message, where, _ in f["failures"]:
            if (kind, where) not in seen:
                seen.add((kind, where))
                print(f"  {name}: {kind} at {where}: {message}")
    if bad:
        print(f"failing inputs saved in {WORK}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
