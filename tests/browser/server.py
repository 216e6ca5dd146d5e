"""The app on a real port: uvicorn in a background thread, for browsers (tests, screenshots)."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from auskunft.app import create_app
from auskunft.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HTMX = ROOT / "src" / "auskunft" / "core" / "web" / "static" / "vendor" / "htmx.min.js"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def missing_front_end() -> list[str]:
    """What a browser run lacks on this machine, as readable reasons (empty: nothing)."""
    reasons = []
    if not CHROMIUM.exists():
        reasons.append(f"{CHROMIUM} is missing (make chromium)")
    for path in (HTMX, AXE):
        if not path.exists():
            reasons.append(f"{path.relative_to(ROOT)} is missing (make assets)")
    return reasons


@contextmanager
def live_server(
    data_dir: Path,
    timeout: float = 30.0,
    *,
    database_url: str | None = None,
    **settings: Any,
) -> Iterator[str]:
    """Serve the app (by default on a fresh seeded SQLite database in data_dir); yield its URL."""
    database_url = database_url or f"sqlite:///{data_dir / 'auskunft.sqlite3'}"
    app = create_app(Settings(database_url=database_url, data_dir=data_dir, env="test", **settings))
    # The socket is bound here, so the port is known and cannot be taken in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, thread, timeout)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_healthy(base: str, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if not thread.is_alive():
            raise RuntimeError("the test server stopped before it answered /healthz")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test server did not answer {base}/healthz in {timeout:.0f} s")
        time.sleep(0.05)
