"""What statistics plugs into the core: kept monthly figures dropped with their records."""

from __future__ import annotations

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.events import Phase
from auskunft.core.registry import Registry
from auskunft.desk.model.events import ContactsChanged
from auskunft.statistics.service import kept
from auskunft.telephony.model.calls import CallsStored


def calls_changed(uow: UnitOfWork, event: CallsStored) -> None:
    kept.drop(uow, (kept.CALLS,), event.days)


def contacts_changed(uow: UnitOfWork, event: ContactsChanged) -> None:
    kept.drop(uow, kept.CONTACT_KINDS, event.days)


def setup(registry: Registry) -> None:
    registry.listen(CallsStored, calls_changed, Phase.IN_TRANSACTION)
    registry.listen(ContactsChanged, contacts_changed, Phase.IN_TRANSACTION)
