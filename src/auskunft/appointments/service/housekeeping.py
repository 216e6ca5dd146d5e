"""Deleting what is no longer needed: personal data of past visits and finished waitlist places.

The visit itself stays (code, time, place, services, status) for the
statistics; name, e-mail address and phone number go once the retention
period after its time has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auskunft.appointments.model.calendar import epoch_minutes
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.db.uow import UnitOfWork


@dataclass(frozen=True)
class Purged:
    """How many rows lost their personal data."""

    appointments: int
    waitlist: int


def purge_personal_data(uow: UnitOfWork, policy: BookingPolicy, *, now: datetime) -> Purged:
    """Blank name, e-mail and phone of visits that ended more than the retention period ago.

    Waitlist entries that ended (booked, left, expired) and joined before the
    same cut-off are blanked too.
    """
    cutoff = now - timedelta(days=policy.retention_days)
    appointments = uow.repo(AppointmentRepository).to_purge(epoch_minutes(cutoff))
    for row in appointments:
        row.name = row.email = row.email_key = row.phone = ""
        row.purged = True
    entries = uow.repo(AppointmentRepository).waitlist_to_purge(cutoff)
    for entry in entries:
        entry.name = entry.email = entry.phone = ""
    uow.repo(AppointmentRepository).flush()
    return Purged(len(appointments), len(entries))
