"""Who acts: the staff roles, the logged-in staff member, and the one tenancy rule.

The role names exist here once. Every slice's edge declares which roles may
enter (`core.web.deps.require`) and looks up tenant-owned objects through
`owned_or_not_found`, so an object of another office is "not found", never
"forbidden" (which would confirm that it exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from auskunft.core.errors import NotFound


class Role(StrEnum):
    """What a staff account may do."""

    AGENT = "agent"  # takes calls at the service center (desk)
    CLERK = "clerk"  # works in an office (Dienststelle): its calendars and visitors
    EDITOR = "editor"  # keeps the catalog current
    SUPERVISOR = "supervisor"  # leads the service center: every office, statistics
    ADMIN = "admin"  # runs the installation: accounts, every office
    DPO = "dpo"  # data-protection officer: reads the audit log, answers citizens' requests


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
# Roles that see every office's objects; the others only those of their own offices.
ALL_OFFICES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Login:
    """A resolved login: who, the token that protects their forms, and their offices."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    # Authorities (Behörden) and network participants the account belongs to.
    authorities: frozenset[str] = field(default_factory=frozenset)
    participants: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        """Whether the account has one of these roles."""
        return self.role in roles

    def keeps_catalog_of(self, participant: str) -> bool:
        """Whether the login may change (and check) the catalog of this participant: the
        leads everything; an editor of the service center (no participant memberships)
        everything; a partner's editor only their own participants'."""
        if self.role in (Role.SUPERVISOR, Role.ADMIN):
            return True
        if self.role != Role.EDITOR:
            return False
        return not self.participants or participant in self.participants

    def sees(self, *, authority: str | None = None, participant: str | None = None) -> bool:
        """Whether an object owned by this authority (or participant) is visible to the login."""
        if self.role in ALL_OFFICES:
            return True
        if authority is not None and authority in self.authorities:
            return True
        return participant is not None and participant in self.participants


T = TypeVar("T")


def owned_or_not_found(
    login: Login,
    found: T | None,
    *,
    authority: Callable[[T], str | None] = lambda _: None,
    participant: Callable[[T], str | None] = lambda _: None,
    what: tuple[str, str] = ("Das gibt es nicht.", "There is no such thing."),
) -> T:
    """The object if it exists and the login may see it; NotFound otherwise (both alike)."""
    if found is None or not login.sees(authority=authority(found), participant=participant(found)):
        raise NotFound(what[0], message_en=what[1])
    return found
