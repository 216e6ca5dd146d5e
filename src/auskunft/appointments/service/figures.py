"""Bookings counted for the statistics: on which local day a visit was booked, by which
channel (online by the citizen, by phone through the desk), and what became of it."""

from __future__ import annotations

from datetime import date, datetime

from auskunft.appointments.repository import AppointmentRepository
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN

# Holds that never became bookings are no bookings.
NOT_BOOKED = ("provisional", "offered", "expired")


def bookings(uow: UnitOfWork, start: datetime, end: datetime) -> list[tuple[date, str, str]]:
    """(local day booked, channel, status) of the visits booked in [start, end)."""
    return [
        (booked.astimezone(BERLIN).date(), channel, status)
        for booked, channel, status in uow.repo(AppointmentRepository).bookings_between(start, end)
        if status not in NOT_BOOKED
    ]
