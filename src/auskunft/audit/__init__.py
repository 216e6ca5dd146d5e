"""The audit log (issue 13): what staff did, append-only and tamper-evident."""

from __future__ import annotations

from auskunft.core.events import Phase
from auskunft.core.registry import Registry


def setup(registry: Registry) -> None:
    """Register the audit slice's listener and its retention task."""
    from auskunft.audit.service import on_staff_acted, prune_task
    from auskunft.core.audit import StaffActed

    registry.listen(StaffActed, on_staff_acted, Phase.IN_TRANSACTION)
    registry.every_minute("audit.prune", prune_task)
