"""A real OpenLDAP server for the directory login tests: Debian's slapd (`make slapd`),
started on a free local port with its own configuration and data, stopped afterwards.

Without /usr/sbin/slapd the tests that need it are skipped with the reason; with
AUSKUNFT_TEST_LDAP=required (CI) they fail instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE, Connection, Server

SLAPD = Path("/usr/sbin/slapd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
REQUIRED = os.environ.get("AUSKUNFT_TEST_LDAP") == "required"
SUFFIX = "dc=kassel,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "slapd-admin-geheim"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
# The account the app searches with (AUSKUNFT_LDAP_BIND_DN); it may read, not write.
SERVICE_DN = f"cn=auskunft,ou=system,{SUFFIX}"
SERVICE_PASSWORD = "dienstkonto-geheim-42"

CONFIG = """\
include {schemas}/core.schema
include {schemas}/cosine.schema
include {schemas}/inetorgperson.schema
include {schemas}/nis.schema
modulepath {modules}
moduleload back_mdb
moduleload memberof
pidfile {home}/slapd.pid
argsfile {home}/slapd.args

database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_password}
directory {home}/data
# memberOf on every person, kept by the server as groups change (the memberOf mode).
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
access to attrs=userPassword
    by self =xw
    by anonymous auth
    by * none
access to * by * read
"""


def require_slapd() -> None:
    """Skip (or, with AUSKUNFT_TEST_LDAP=required, fail) when slapd is not installed."""
    missing = [str(p) for p in (SLAPD, SCHEMAS / "core.schema") if not p.exists()]
    if not missing:
        return
    message = f"the directory login tests need OpenLDAP: {', '.join(missing)} missing (make slapd)"
    if REQUIRED:
        pytest.fail(message + " (AUSKUNFT_TEST_LDAP=required)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LdapServer:
    """A running slapd with the suffix dc=kassel,dc=example; the admin may change it."""

    url: str
    home: Path
    process: subprocess.Popen[bytes]

    def admin(self) -> Connection:
        return Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True)

    def add(self, dn: str, classes: list[str], attributes: dict[str, object]) -> None:
        with self.admin() as conn:
            if not conn.add(dn, classes, attributes):
                raise RuntimeError(f"slapd refused {dn}: {conn.result}")

    def add_person(self, uid: str, password: str) -> str:
        dn = f"uid={uid},{PEOPLE}"
        self.add(
            dn,
            ["inetOrgPerson"],
            {"cn": uid, "sn": uid.split(".")[-1], "userPassword": password},
        )
        return dn

    def add_group(self, name: str, members: Iterable[str], *, unique: bool = False) -> str:
        """A group of names (member), or of unique names (uniqueMember) with `unique`."""
        dn = f"cn={name},{GROUPS}"
        kind, attribute = (
            ("groupOfUniqueNames", "uniqueMember") if unique else ("groupOfNames", "member")
        )
        self.add(dn, [kind], {"cn": name, attribute: list(members) or [ADMIN_DN]})
        return dn

    def set_members(self, group: str, members: Iterable[str]) -> None:
        """Make these the members of a group of names (the admin stands in for none)."""
        with self.admin() as conn:
            changes = {"member": [(MODIFY_REPLACE, list(members) or [ADMIN_DN])]}
            if not conn.modify(group, changes):
                raise RuntimeError(f"slapd refused the change of {group}: {conn.result}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running_slapd(home: Path) -> Iterator[LdapServer]:
    """Start slapd in `home` on a free port, with the base entries; stop it afterwards."""
    require_slapd()
    (home / "data").mkdir(parents=True, exist_ok=True)
    conf = home / "slapd.conf"
    conf.write_text(
        CONFIG.format(
            schemas=SCHEMAS,
            modules=MODULES,
            home=home,
            suffix=SUFFIX,
            admin=ADMIN_DN,
            admin_password=ADMIN_PASSWORD,
        ),
        encoding="utf-8",
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (home / "slapd.log").open("wb")
    process = subprocess.Popen(
        [str(SLAPD), "-h", f"{url}/", "-f", str(conf), "-d", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LdapServer(url, home, process)
    try:
        _wait_until_up(server, log_file=home / "slapd.log")
        _base_entries(server)
        yield server
    finally:
        server.stop()
        log.close()


def _wait_until_up(server: LdapServer, log_file: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("slapd ended at once:\n" + log_file.read_text(errors="replace"))
        try:
            with server.admin():
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("slapd did not answer within 15 s:\n" + log_file.read_text(errors="replace"))


def _base_entries(server: LdapServer) -> None:
    server.add(SUFFIX, ["dcObject", "organization"], {"dc": "kassel", "o": "Stadt Kassel"})
    for unit in ("people", "groups", "system"):
        server.add(f"ou={unit},{SUFFIX}", ["organizationalUnit"], {"ou": unit})
    server.add(
        SERVICE_DN,
        ["organizationalRole", "simpleSecurityObject"],
        {"cn": "auskunft", "userPassword": SERVICE_PASSWORD},
    )
