"""A PostgreSQL server of the test's own, to stop and start at will: Debian's server binaries
(`initdb`, `pg_ctl` under /usr/lib/postgresql/*/bin, `make postgresql`), a new cluster in a
temporary folder on a free local port, trust authentication, removed afterwards.

As root the server runs as the `postgres` account (initdb refuses root), through `runuser`.
Without the binaries the tests that need them are skipped with the reason; when
AUSKUNFT_TEST_POSTGRES_URL is set (CI) they fail instead, since a machine with a PostgreSQL
for the tests has, or should have, its server binaries.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REQUIRED = bool(os.environ.get("AUSKUNFT_TEST_POSTGRES_URL"))
DATABASE = "auskunft"
# The cluster is thrown away: no fsync (a fast shutdown still writes everything out).
CONFIG = """
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{home}'
max_connections = 60
fsync = off
full_page_writes = off
"""


def _version(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


def server_binaries() -> Path | None:
    """The folder with initdb and pg_ctl: Debian's newest, else the ones on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    for bindir in found:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _run_as() -> tuple[list[str], pwd.struct_passwd | None] | str:
    """How to run the server's tools: as ourselves, or (as root) as `postgres`; or why not."""
    if os.geteuid() != 0:
        return [], None
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        return "running as root, and there is no postgres account to run the server as"
    runuser = shutil.which("runuser")
    if runuser is None:
        return "running as root, and runuser (util-linux) is missing"
    return [runuser, "-u", "postgres", "--"], account


def unavailable() -> str | None:
    """Why this machine cannot start a PostgreSQL server of its own (None: it can)."""
    if server_binaries() is None:
        return (
            "the PostgreSQL server binaries (initdb, pg_ctl) are missing "
            "(make postgresql, or apt-get install postgresql)"
        )
    how = _run_as()
    return how if isinstance(how, str) else None


def require_server() -> None:
    """Skip, or with AUSKUNFT_TEST_POSTGRES_URL set fail, when no server can be started."""
    why = unavailable()
    if why is None:
        return
    if REQUIRED:
        pytest.fail(f"{why} (AUSKUNFT_TEST_POSTGRES_URL is set)", pytrace=False)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    """A running cluster; `stop`, `start` and `restart` as an operator would."""

    bindir: Path
    home: Path  # the temporary folder (data, socket, log), owned by the server's account
    port: int
    prefix: list[str]  # runuser -u postgres -- (as root), else nothing

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        """The app's database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def tool(self, name: str, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [*self.prefix, str(self.bindir / name), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{name} {' '.join(args)}: {done.stderr or done.stdout}\n{tail}")
        return done.stdout

    def start(self) -> None:
        """Start and wait until it takes connections."""
        self.tool("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop (fast: open sessions are ended, running transactions rolled back)."""
        self.tool("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.tool(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart"
        )


@contextmanager
def pg_server() -> Iterator[PgServer]:
    """A new cluster with an empty database `auskunft`, running; stopped and removed after."""
    require_server()
    bindir = server_binaries()
    how = _run_as()
    assert bindir is not None and not isinstance(how, str)
    prefix, account = how
    # Not under pytest's tmp_path: that is private to the test's user (0700), and the
    # server's account must reach its folder.
    home = Path(tempfile.mkdtemp(prefix="auskunft-pg-"))
    if account is not None:
        os.chown(home, account.pw_uid, account.pw_gid)
    server = PgServer(bindir=bindir, home=home, port=free_port(), prefix=prefix)
    try:
        server.tool(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        with (server.data / "postgresql.conf").open("a") as conf:
            conf.write(CONFIG.format(port=server.port, home=home))
        server.start()
        admin = create_engine(
            server.admin_url.replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        admin.dispose()
        yield server
    finally:
        with suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(home, ignore_errors=True)
