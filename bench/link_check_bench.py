"""The link checker (issue 15): how long a round over many links takes, one at a time and
with the setting's concurrency, and that the concurrency bound holds.

A local HTTP server (threaded, 127.0.0.1) answers every link after `--delay` seconds: most
with 200, every tenth with 404, every twentieth through a redirect. The demo catalog's
services get `--links` form links to it (the demo's own links are taken off: they lead
out of this machine); then full rounds (`auskunft links check` does the same) run with
concurrency 1 and with `--concurrency`, on a fresh SQLite database each, loopback allowed
for the bench only. Reports the wall time of each round, the most requests the server
had at once, and the counts.

    .venv/bin/python bench/link_check_bench.py [--links 200] [--delay 0.05]
        [--concurrency 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.catalog.service import reads as catalog  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from auskunft.links.service import rounds  # noqa: E402


class Server:
    def __init__(self, delay: float) -> None:
        self.busy = 0
        self.most = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                with outer.lock:
                    outer.busy += 1
                    outer.most = max(outer.most, outer.busy)
                try:
                    time.sleep(delay)
                    n = int(self.path.rsplit("/", 1)[1])
                    if self.path.startswith("/moved/"):
                        self.send_response(301)
                        self.send_header("Location", f"/form/{n}")
                    else:
                        self.send_response(404 if n % 10 == 9 else 200)
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                finally:
                    with outer.lock:
                        outer.busy -= 1

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


def prepare(url: str, server: Server, links: int) -> None:
    engine, _ = open_catalog(url)
    with UnitOfWork(engine) as uow:
        services = list(catalog.services(uow))
        for row in services:
            row.online_service = None
            row.forms = []
        for n in range(links):
            path = f"/moved/{n}" if n % 20 == 19 else f"/form/{n}"
            row = services[n % len(services)]
            row.forms = [*row.forms, {"title": f"Formular {n}", "url": server.base + path}]
        catalog.mark_changed(uow)
        uow.commit()


def one_round(links: int, delay: float, concurrency: int) -> dict[str, Any]:
    server = Server(delay)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/links.sqlite3"
        prepare(url, server, links)
        engine, _ = open_catalog(url)
        settings = rounds.CheckSettings(concurrency=concurrency, timeout_s=5, allow_loopback=True)
        t0 = time.perf_counter()
        done = rounds.run(
            engine, settings, now=datetime.now(UTC), limit=None, seconds=None, everything=True
        )
        took = time.perf_counter() - t0
        engine.dispose()
    server.http.shutdown()
    return {
        "concurrency": concurrency,
        "seconds": round(took, 2),
        "checked": done.checked,
        "ok": done.ok,
        "failed": done.failed,
        "server_most_at_once": server.most,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    out = {
        "links": args.links,
        "delay_s": args.delay,
        "rounds": [one_round(args.links, args.delay, c) for c in (1, args.concurrency)],
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
