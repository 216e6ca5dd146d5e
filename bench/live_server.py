"""`auskunft serve` as a subprocess on a fresh demo database, for the HTTP benchmarks.

    with demo_data(dense="auto", agent="bench-agent") as data:
        ...  # in-process work on data.database_url, before any server runs
        with serving(data, workers=1) as server:
            ...  # HTTP against server.base_url, log in with data.password

The data directory is a new temporary folder: `auskunft db init` seeds the demo
catalog into it, `auskunft user create` adds a staff account (its generated
password is read from the output), then the server starts on a free loopback
port and is ready once /healthz answers. The server always ends with the
block; its stderr goes to a file in the data directory and is shown when it
fails to start.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

PASSWORD_LINE = re.compile(r"^Passwort \(wird nur jetzt angezeigt\): (\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class DemoData:
    """A seeded data directory: the environment that points at it, the staff login."""

    data_dir: Path
    database_url: str
    env: dict[str, str]
    username: str | None
    password: str | None


@dataclass(frozen=True)
class LiveServer:
    """A running server on a DemoData, and where its stderr goes."""

    base_url: str
    data: DemoData
    stderr_path: Path
    pid: int

    def server_log(self, last: int = 4000) -> str:
        """The end of the server's stderr (for a failure message)."""
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-last:]
        except OSError:
            return ""


def auskunft_command() -> list[str]:
    """How to run the `auskunft` command of this interpreter's environment."""
    script = Path(sys.executable).parent / "auskunft"
    if script.exists():
        return [str(script)]
    found = shutil.which("auskunft")
    if found:
        return [found]
    return [sys.executable, "-c", "from auskunft.cli import main; main()"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(data_dir: Path, dense: str | None) -> dict[str, str]:
    """The environment of the CLI calls and the server: the data dir, the dense switch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUSKUNFT_")}
    env["AUSKUNFT_DATA_DIR"] = str(data_dir)
    env["AUSKUNFT_ENV"] = "development"
    if dense is not None:
        env["AUSKUNFT_SEARCH_DENSE"] = dense
    return env


def _cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*auskunft_command(), *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"auskunft {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def prepare_data_dir(data_dir: Path, env: dict[str, str], agent: str | None) -> str | None:
    """Seed the demo catalog; create the staff account and return its password."""
    _cli(["db", "init"], env)
    if agent is None:
        return None
    out = _cli(["user", "create", agent, "--role", "agent", "--generate"], env)
    found = PASSWORD_LINE.search(out)
    if found is None:
        raise RuntimeError(f"no password in the output of `auskunft user create`:\n{out}")
    return found.group(1)


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes], stderr_path: Path, timeout: float
) -> None:
    """Poll /healthz until it answers 200; fail with the server's stderr otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            why = (
                f"exited with {process.returncode}"
                if process.poll() is not None
                else f"did not answer /healthz in {timeout:.0f} s"
            )
            raise RuntimeError(f"auskunft serve {why}; its stderr:\n{log}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """End the server and its worker processes: SIGTERM to its group, SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


@contextmanager
def demo_data(*, dense: str | None = None, agent: str | None = "bench-agent") -> Iterator[DemoData]:
    """A fresh temporary data directory with the demo catalog and a staff account.

    `dense` sets AUSKUNFT_SEARCH_DENSE for the CLI calls and any server on it
    (None: the caller's own setting).
    """
    with tempfile.TemporaryDirectory(prefix="auskunft-bench-") as tmp:
        data_dir = Path(tmp)
        env = server_env(data_dir, dense)
        password = prepare_data_dir(data_dir, env, agent)
        yield DemoData(
            data_dir=data_dir,
            database_url=f"sqlite:///{(data_dir / 'auskunft.sqlite3').resolve()}",
            env=env,
            username=agent,
            password=password,
        )


@contextmanager
def serving(
    data: DemoData, *, workers: int = 1, port: int = 0, startup_timeout: float = 120.0
) -> Iterator[LiveServer]:
    """`auskunft serve` on loopback over a DemoData until the block ends.

    `port` 0 picks a free one. The server runs in its own process group, so that
    stopping it also stops the workers of `--workers N`.
    """
    chosen = port or free_port()
    base_url = f"http://127.0.0.1:{chosen}"
    stderr_path = data.data_dir / "server.stderr.log"
    command = [*auskunft_command(), "serve", "--host", "127.0.0.1", "--port", str(chosen)]
    command += ["--workers", str(workers)]
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            env=data.env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            wait_until_healthy(base_url, process, stderr_path, startup_timeout)
            yield LiveServer(base_url, data, stderr_path, process.pid)
        finally:
            stop(process)


@contextmanager
def demo_server(
    *, workers: int = 1, port: int = 0, dense: str | None = None, agent: str | None = None
) -> Iterator[LiveServer]:
    """Both at once: a fresh demo database and a server on it."""
    with (
        demo_data(dense=dense, agent=agent) as data,
        serving(data, workers=workers, port=port) as s,
    ):
        yield s
