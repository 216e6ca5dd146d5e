"""What staff did, as events the audit slice writes down (issue 13).

A slice never imports the audit log: it publishes `StaffActed` on its unit of work
(`staff_acted(uow, login, "appointment.cancelled", "appointment", code)`), and the audit
slice's listener appends the entry in the same transaction, so the entry exists exactly
when the change does. A view of personal data is published the same way and counts once
the page's unit of work commits.

The client address comes from the request being served (`ClientContext` in
core/web/client.py sets it); outside a request (CLI, worker) it is empty.

Action names are `<object>.<verb>` in English: `concern.viewed`, `appointment.moved`,
`account.created`, `login.succeeded`, `login.failed`; docs/privacy.md lists them all.
An entry holds no personal data of citizens beyond the object's id: the detail says
what happened, not to whom.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.events import Event
from auskunft.core.principal import Login

DETAIL_LIMIT = 300

_client: ContextVar[str] = ContextVar("auskunft_client_address", default="")


@dataclass(frozen=True)
class StaffActed(Event):
    """Staff (or someone trying to log in as staff) did something worth recording."""

    action: str
    object_type: str
    object_id: str
    actor_id: int | None
    actor: str
    detail: str = ""
    client: str = ""


def staff_acted(
    uow: UnitOfWork,
    login: Login | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: str = "",
    *,
    actor: str = "",
    actor_id: int | None = None,
) -> None:
    """Publish what `login` did (None: nobody logged in: a login attempt, the command
    line; then `actor` and `actor_id` say who)."""
    uow.publish(
        StaffActed(
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:80],
            actor_id=login.user_id if login is not None else actor_id,
            actor=(login.username if login is not None else actor)[:80],
            detail=" ".join(detail.split())[:DETAIL_LIMIT],
            client=current_client(),
        )
    )


def set_client(address: str) -> object:
    """Remember the client of the request being served; returns the token to reset."""
    return _client.set(address[:64])


def reset_client(token: object) -> None:
    _client.reset(token)  # type: ignore[arg-type]


def current_client() -> str:
    return _client.get()
