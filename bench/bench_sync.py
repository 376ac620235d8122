#!/usr/bin/env python3
"""How many requests and how long `fundwatch sync` takes for 200 watched topics and 5
saved searches.

A local server on 127.0.0.1 plays the portal's search API: it reads the multipart
`query` part, answers the identifiers asked for (rows shaped like
tests/fixtures/sedia-search-page.json), answers each saved search's text with
``--results`` topics in pages (with ``totalResults``), and waits 100 ms before each
answer.

    python bench/bench_sync.py [--topics 200] [--searches 5] [--results 120] [--delay 0.1]

Targets (2 cores): the lookups at most 5 requests (issue 5); a saved search at most 4
requests for up to 300 results, 1 for one that is too broad (issue 15); 3 s in all.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sedia-search-page.json"


def serve(
    delay: float, template: dict[str, Any], counter: list[int], results: int, searched: list[int]
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            counter[0] += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(head + body)
            parts = {
                p.get_param("name", header="content-disposition"): p for p in message.iter_parts()
            }
            query = json.loads(parts["query"].get_payload(decode=True))
            wanted: list[str] = []
            for clause in query.get("bool", {}).get("must", []):
                wanted += clause.get("terms", {}).get("identifier", [])
            params = parse_qs(urlsplit(self.path).query)
            page = int(params.get("pageNumber", ["1"])[0])
            size = int(params.get("pageSize", ["100"])[0])
            if wanted:
                rows = [] if page > 1 else [_row(template, i) for i in wanted]
                total = len(wanted)
            else:  # a saved search: `results` topics for its text
                searched[0] += 1
                word = params.get("text", ["x"])[0].split()[0].upper()
                ids = [f"HORIZON-{word}-2026-{i:05d}" for i in range(results)]
                rows = [_row(template, i) for i in ids[(page - 1) * size : page * size]]
                total = results
            answer = json.dumps({**PAGE, "results": rows, "totalResults": total}).encode()
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


PAGE: dict[str, Any] = {}


def _row(template: dict[str, Any], identifier: str) -> dict[str, Any]:
    row = copy.deepcopy(template)
    row["metadata"]["identifier"] = [identifier]
    row["metadata"]["title"] = [f"Topic {identifier}"]
    row["reference"] = f"{identifier}TOPICSen"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--searches", type=int, default=5)
    parser.add_argument("--results", type=int, default=120, help="topics each search finds")
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()

    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    PAGE.update({k: v for k, v in data.items() if k != "results"})
    template = next(
        r for r in data["results"]
        if r["metadata"]["identifier"] == ["HORIZON-EIE-2026-01-CONNECT-02"]
    )  # fmt: skip
    counter, searched = [0], [0]
    server = serve(args.delay, template, counter, args.results, searched)
    work = Path(tempfile.mkdtemp(prefix="fundwatch-bench-sync-"))
    try:
        lines = ["version = 1"]
        for i in range(args.searches):
            # run before (seen recorded): this sync reports what is new
            lines += ["[[searches]]", f'name = "Search {i}"', f'text = "bench{i} topics"',
                      "seen = []"]  # fmt: skip
        for i in range(args.topics):
            lines += [
                "[[calls]]",
                f'id = "topic-{i:03d}"',
                f'title = "Old title {i}"',
                f'identifier = "HORIZON-BENCH-2026-{i:05d}"',
                "deadline = 2026-01-13T17:00:00",
            ]
        path = work / "calls.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDWATCH_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            HOME=str(work / "home"),
            FUNDWATCH_FILE=str(path),
            FUNDWATCH_AS_OF="2025-10-08",
            FUNDWATCH_PORTAL_URL=f"http://127.0.0.1:{server.server_address[1]}/search",
        )
        script = Path(sys.executable).parent / "fundwatch"
        cmd = [str(script)] if script.exists() else [sys.executable, "-m", "fundwatch"]
        t = time.perf_counter()
        done = subprocess.run([*cmd, "sync"], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        if done.returncode:
            sys.exit(f"sync failed: {done.stderr.strip()}")
        new = done.stdout.count("new for '")
        changed = done.stdout.count("\n") - new
        print(
            f"topics {args.topics}, saved searches {args.searches} of {args.results} results "
            f"each, server delay {args.delay * 1000:.0f} ms a request"
        )
        print(
            f"fundwatch sync: {counter[0]} requests ({counter[0] - searched[0]} lookups, "
            f"{searched[0]} searches), {elapsed:.2f} s, {changed} change lines, {new} new topics"
        )
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
