"""What the appointments slice plugs into the worker and the event bus.

Registered through the entry point `auskunft.slices: appointments` (pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.appointments import mails
from auskunft.appointments.model.events import OfferEnded, SlotFreed
from auskunft.appointments.service import waitlist
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.appointments.service.housekeeping import purge_personal_data
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.events import Phase
from auskunft.core.registry import Registry

# The mail context of the settings the worker runs with: reading the secret (a file outside
# production) and the SMTP settings once per settings object, not once per e-mail.
_contexts: dict[int, tuple[Any, mails.MailContext]] = {}


def _context(settings: Any) -> mails.MailContext:
    found = _contexts.get(id(settings))
    if found is None or found[0] is not settings:
        found = _contexts[id(settings)] = (settings, mails.MailContext.from_settings(settings))
    return found[1]


def send_mail(
    engine: Engine, settings: Any, kind: str, payload: dict[str, Any], now: datetime
) -> None:
    """Compose and send an appointment or waitlist e-mail from the rows as they are now."""
    mails.send_job(engine, _context(settings), kind, payload, now)


def expire_holds(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """End unanswered waitlist offers and unconfirmed wedding reservations."""
    with UnitOfWork(engine) as uow:
        expired = waitlist.expire_holds(uow, BookingPolicy.from_settings(settings), now=now)
        uow.commit()
    return {"expired": expired}


def purge(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """Blank the personal data of visits and waitlist places past the retention."""
    with UnitOfWork(engine) as uow:
        purged = purge_personal_data(uow, BookingPolicy.from_settings(settings), now=now)
        uow.commit()
    return {"purged_appointments": purged.appointments, "purged_waitlist": purged.waitlist}


def offer_to_waitlist(uow: UnitOfWork, event: SlotFreed) -> None:
    """Freed time goes to those waiting first, in the transaction that frees it, so it never
    shows in the public slot search while someone waits for it."""
    waitlist.offer_free_slots(uow, event.policy, event.location_id, event.at)


def end_offer(uow: UnitOfWork, event: OfferEnded) -> None:
    waitlist.after_offer_ends(uow, event.waitlist_id, declined=event.declined)


def setup(registry: Registry) -> None:
    for kind in sorted(mails.KINDS):
        registry.job(kind, send_mail)
    registry.every_minute("appointments.expire_holds", expire_holds)
    registry.every_minute("appointments.purge", purge)
    registry.listen(SlotFreed, offer_to_waitlist, Phase.IN_TRANSACTION)
    registry.listen(OfferEnded, end_offer, Phase.IN_TRANSACTION)
