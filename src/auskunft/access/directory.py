"""Directory login: staff bound against LDAP or Active Directory (ldap3), their groups
mapped to a role and offices.

The directory is asked in three steps: find the person's entry (with the service account
of AUSKUNFT_LDAP_BIND_DN, or anonymously), bind as that entry with the typed password
(the directory checks it; no hash is ever compared here), then read the groups
(memberOf of the entry, or a search for groups naming the entry as member). A name the
directory does not know is bound once all the same, so it takes as many round trips as
a wrong password. A directory that cannot be reached raises DirectoryUnavailable;
nothing falls back to anything else.
"""

from __future__ import annotations

import logging
import math
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ldap3 import NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPException,
    LDAPInvalidDnError,
    LDAPPasswordIsMandatoryError,
    LDAPSASLPrepError,
)
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from auskunft.core.errors import Unavailable
from auskunft.core.principal import ROLES

log = logging.getLogger("auskunft.access.directory")

# The longest password handed to the directory (as for local accounts).
_MAX_PASSWORD = 1024
# Bound when the directory has no entry for a name: an entry nobody has, so the directory
# answers "invalid credentials" after the same round trip a wrong password costs.
_NOBODY = "cn=auskunft-no-such-entry"
_PLACEHOLDER = re.compile(r"\{(username|dn)\}")


class DirectoryUnavailable(Unavailable):
    """The directory service did not answer (or refused the service account)."""

    def __init__(self) -> None:
        super().__init__(
            "Der Verzeichnisdienst ist nicht erreichbar. Bitte versuchen Sie es in einigen "
            "Minuten noch einmal oder wenden Sie sich an die IT.",
            message_en="The directory service cannot be reached. Please try again in a few "
            "minutes or ask IT.",
        )


def normalize_dn(dn: str) -> str:
    """A DN as it is compared: attribute types and values in lower case, no spaces around
    the separators (directories write `CN=Leitung, OU=Gruppen` as they like)."""
    try:
        parts = parse_dn(dn.strip(), strip=True)
    except LDAPInvalidDnError:
        return dn.strip().lower()
    return ",".join(f"{kind.strip().lower()}={value.strip().lower()}" for kind, value, _ in parts)


@dataclass(frozen=True)
class Grant:
    """What a directory user's groups give: a role and offices."""

    role: str
    authorities: frozenset[str] = frozenset()
    participants: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DirectoryUser:
    """A person the directory vouched for (the password bound), with the groups found."""

    dn: str
    groups: frozenset[str]  # normalised DNs


@dataclass(frozen=True)
class Directory:
    """Where the directory is and how its groups map to roles and offices.

    `role_groups` and `office_groups` are keyed by normalised group DNs (`configure`
    builds them from the settings); the first role group of the mapping that a user
    belongs to decides the role, the office groups add up.
    """

    url: str
    user_base: str
    user_filter: str = "(uid={username})"
    bind_dn: str = ""
    bind_password: str = field(default="", repr=False)
    group_base: str = ""
    group_filter: str = "(|(member={dn})(uniqueMember={dn}))"
    start_tls: bool = False
    ca_file: str | None = None
    timeout: float = 5.0
    role_groups: Mapping[str, str] = field(default_factory=dict)
    office_groups: Mapping[str, Grant] = field(default_factory=dict)

    def grant(self, groups: Iterable[str]) -> Grant | None:
        """The role and offices these groups give, or None when no role group is among
        them (such a user is refused like a wrong password)."""
        own = {normalize_dn(g) for g in groups}
        role = next((r for dn, r in self.role_groups.items() if dn in own), None)
        if role is None:
            return None
        authorities: set[str] = set()
        participants: set[str] = set()
        for dn, offices in self.office_groups.items():
            if dn in own:
                authorities |= offices.authorities
                participants |= offices.participants
        return Grant(role, frozenset(authorities), frozenset(participants))

    def authenticate(self, username: str, password: str) -> DirectoryUser | None:
        """Bind as the person of this name; None for a name the directory does not know,
        a wrong password or an ambiguous name. DirectoryUnavailable when the directory
        does not answer. Blocking: the web edge runs it on its bounded login threads."""
        if not password:
            return None  # a bind without a password is an anonymous bind that "succeeds"
        try:
            return self._authenticate(username, password[:_MAX_PASSWORD])
        except (LDAPException, OSError) as exc:  # ssl.SSLError is an OSError
            log.warning("directory %s: %s", self.url, type(exc).__name__)
            raise DirectoryUnavailable() from None

    def _server(self) -> Server:
        # ldap3 checks no certificate unless told to: the name and the chain are checked.
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file)
        return Server(self.url, get_info=NONE, tls=tls, connect_timeout=self.timeout)

    def _connect(self, server: Server, user: str | None, password: str | None) -> Connection:
        """An open connection (TLS started where asked), not yet bound."""
        conn = Connection(
            server,
            user=user,
            password=password,
            authentication=SIMPLE if user else None,
            auto_bind="NONE",
            auto_referrals=False,
            read_only=True,
            raise_exceptions=False,
            # ldap3 packs it into a socket option as whole seconds.
            receive_timeout=max(1, math.ceil(self.timeout)),
        )
        conn.open()
        if self.start_tls and not server.ssl and not conn.start_tls():
            conn.unbind()
            raise DirectoryUnavailable()
        return conn

    def _authenticate(self, username: str, password: str) -> DirectoryUser | None:
        server = self._server()
        search = self._connect(server, self.bind_dn or None, self.bind_password or None)
        try:
            if not search.bind():
                # The service account is refused: the set-up is broken, not the login.
                log.error("directory %s refused the search bind: %s", self.url, search.result)
                raise DirectoryUnavailable()
            entry = self._find(search, username)
            dn = entry[0] if entry is not None else f"{_NOBODY},{self.user_base}"
            if not self._binds(server, dn, password) or entry is None:
                return None
            groups = entry[1] if not self.group_base else self._groups(search, dn, username)
            return DirectoryUser(dn, frozenset(normalize_dn(g) for g in groups))
        finally:
            search.unbind()

    def _find(self, conn: Connection, username: str) -> tuple[str, list[str]] | None:
        """The DN of the one entry the user filter finds for this name (and its memberOf)."""
        query = _fill(self.user_filter, username=username)
        attributes = ["memberOf"] if not self.group_base else []
        conn.search(self.user_base, query, SUBTREE, attributes=attributes, size_limit=2)
        self._check(conn)
        entries = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("directory: the user filter finds several entries for one name")
            return None
        attrs: dict[str, Any] = entries[0].get("attributes") or {}
        member_of = attrs.get("memberOf") or []
        return str(entries[0]["dn"]), [str(g) for g in _as_list(member_of)]

    def _binds(self, server: Server, dn: str, password: str) -> bool:
        """Whether the directory accepts this password for this entry."""
        conn = self._connect(server, dn, password)
        try:
            return bool(conn.bind())
        except (LDAPSASLPrepError, LDAPPasswordIsMandatoryError):
            return False  # characters no password may have (RFC 4013): never sent
        finally:
            conn.unbind()

    def _groups(self, conn: Connection, dn: str, username: str) -> list[str]:
        """The groups under the group base that name the entry as a member."""
        query = _fill(self.group_filter, dn=dn, username=username)
        conn.search(self.group_base, query, SUBTREE, attributes=[])
        self._check(conn)
        return [str(r["dn"]) for r in conn.response or [] if r.get("type") == "searchResEntry"]

    def _check(self, conn: Connection) -> None:
        """A search the directory did not answer as a search (busy, gone, unwilling)."""
        result = conn.result or {}
        # 0 success, 4 size limit exceeded (two entries for one name), 32 no such object.
        if result.get("result") not in (0, 4, 32):
            log.error("directory %s: search failed: %s", self.url, result.get("description"))
            raise DirectoryUnavailable()


def _fill(template: str, **values: str) -> str:
    """A filter with its {placeholders} replaced, in one pass, by escaped values (so a
    name cannot widen the search: `*)(uid=*` looks for exactly that)."""
    return _PLACEHOLDER.sub(
        lambda m: escape_filter_chars(values[m.group(1)]) if m.group(1) in values else m.group(0),
        template,
    )


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def configure(
    *,
    url: str,
    user_base: str,
    user_filter: str = "(uid={username})",
    bind_dn: str = "",
    bind_password: str = "",
    group_base: str = "",
    group_filter: str = "(|(member={dn})(uniqueMember={dn}))",
    start_tls: bool = False,
    ca_file: str | None = None,
    timeout: float = 5.0,
    role_groups: Mapping[str, str] | None = None,
    office_groups: Mapping[str, object] | None = None,
) -> Directory:
    """A directory from its settings: group DNs normalised, every role checked, office
    groups read as an authority id, a list of them, or {"authorities": [...],
    "participants": [...]}."""
    roles: dict[str, str] = {}
    for dn, role in (role_groups or {}).items():
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} for the group {dn!r}")
        roles.setdefault(normalize_dn(dn), role)
    offices = {normalize_dn(dn): office_grant(value) for dn, value in (office_groups or {}).items()}
    return Directory(
        url=url,
        user_base=user_base,
        user_filter=user_filter,
        bind_dn=bind_dn,
        bind_password=bind_password,
        group_base=group_base,
        group_filter=group_filter,
        start_tls=start_tls,
        ca_file=ca_file,
        timeout=timeout,
        role_groups=roles,
        office_groups=offices,
    )


def office_grant(value: object) -> Grant:
    """The offices one office group gives (the role is left empty)."""
    if isinstance(value, str):
        return Grant("", frozenset({value}))
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return Grant("", frozenset(value))
    if isinstance(value, Mapping) and set(value) <= {"authorities", "participants"}:
        authorities = value.get("authorities", [])
        participants = value.get("participants", [])
        if all(isinstance(v, str) for v in [*authorities, *participants]):
            return Grant("", frozenset(authorities), frozenset(participants))
    raise ValueError(
        'an office group maps to an authority id, a list of them, or {"authorities": [...], '
        '"participants": [...]}'
    )
