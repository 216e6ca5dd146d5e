"""What the desk plugs into the core: contacts linked to calls stored after them."""

from __future__ import annotations

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.events import Phase
from auskunft.core.registry import Registry
from auskunft.desk import service
from auskunft.telephony.model.calls import CallsStored


def link_stored_calls(uow: UnitOfWork, event: CallsStored) -> None:
    """Contacts logged before their call reached us (a queue_log imported at night) get the
    caller's series now, in the same transaction as the calls."""
    service.link_calls(uow, dict(event.threads))


def setup(registry: Registry) -> None:
    registry.listen(CallsStored, link_stored_calls, Phase.IN_TRANSACTION)
