"""Tables of appointments: calendars, counters, visits, cells, the waitlist."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auskunft.core.db.base import Base, UtcDateTime

# --- Appointments (Termine) -------------------------------------------------
# Capacity is enforced by the database: a visit takes one row per grid cell on
# its counter in `counter_cells`, whose primary key is (counter, cell). Two
# visits can never hold the same cell, whatever the concurrency.

APPOINTMENT_STATUSES = (
    "booked",
    "provisional",
    "offered",
    "cancelled",
    "expired",
    "arrived",
    "no_show",
)


class Calendar(Base):
    """Booking rules of a location (a Bürgerbüro, a wedding venue ...)."""

    __tablename__ = "calendars"
    __table_args__ = (
        CheckConstraint("kind in ('office', 'venue')", name="ck_calendar_kind"),
        CheckConstraint("grid_minutes in (5, 10, 15, 20, 30, 60)", name="ck_calendar_grid"),
        CheckConstraint("buffer_minutes >= 0", name="ck_calendar_buffer"),
    )

    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="office")
    grid_minutes: Mapped[int] = mapped_column(Integer, default=10)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    horizon_days: Mapped[int | None] = mapped_column(Integer)  # None: the setting
    lead_minutes: Mapped[int | None] = mapped_column(Integer)
    phone_share: Mapped[int | None] = mapped_column(Integer)  # percent
    version: Mapped[int] = mapped_column(Integer, default=1)


class Counter(Base):
    """A counter or workstation of a location (Schalter); a wedding room at a venue."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("location_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)


class OpeningRule(Base):
    """A counter's weekly hours on one weekday, valid within a date range."""

    __tablename__ = "opening_rules"
    __table_args__ = (
        CheckConstraint("weekday between 0 and 6", name="ck_rule_weekday"),
        CheckConstraint("opens >= 0 and closes <= 1440 and opens < closes", name="ck_rule_times"),
        CheckConstraint(
            "valid_to is null or valid_from is null or valid_from <= valid_to",
            name="ck_rule_validity",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    counter_id: Mapped[int] = mapped_column(
        ForeignKey("counters.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[int] = mapped_column(Integer)
    closes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class CalendarException(Base):
    """A closure or special hours on one day, for a whole location or one counter."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (
        CheckConstraint("(opens is null) = (closes is null)", name="ck_exception_pair"),
        CheckConstraint(
            "opens is null or (opens >= 0 and closes <= 1440 and opens < closes)",
            name="ck_exception_times",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    opens: Mapped[int | None] = mapped_column(Integer)
    closes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Appointment(Base):
    """A booked visit; cancelled ones stay (without cells) so that none is ever lost."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(
            "status in ('booked', 'provisional', 'offered', 'cancelled', 'expired', "
            "'arrived', 'no_show')",
            name="ck_appointment_status",
        ),
        CheckConstraint("channel in ('online', 'phone')", name="ck_appointment_channel"),
        CheckConstraint("end_at > start_at", name="ck_appointment_times"),
        CheckConstraint("busy_until > start_minute", name="ck_appointment_busy"),
        # Covering: the busy read of every slot search is answered from the index.
        Index(
            "ix_appointments_busy",
            "location_id",
            "start_minute",
            "busy_until",
            "status",
            "counter_id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime())
    end_at: Mapped[datetime] = mapped_column(UtcDateTime())
    start_minute: Mapped[int] = mapped_column(Integer)  # epoch minutes, for range queries
    busy_until: Mapped[int] = mapped_column(Integer)  # end plus buffer, epoch minutes
    status: Mapped[str] = mapped_column(String(12), default="booked")
    channel: Mapped[str] = mapped_column(String(10), default="online")
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # The staff member behind the last change (cancel, move, arrival, confirmation).
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    # The mailbox the address reaches (core.email.limit_key): the per-address limit counts it.
    email_key: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    language: Mapped[str] = mapped_column(String(2), default="de")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    waitlist_id: Mapped[int | None] = mapped_column(Integer)
    purged: Mapped[bool] = mapped_column(Boolean, default=False)

    services: Mapped[list[AppointmentService]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AppointmentService.position"
    )


class AppointmentService(Base):
    """One service of a visit (a visit may cover several; durations add up)."""

    __tablename__ = "appointment_services"

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)


class CounterCell(Base):
    """One grid cell of one counter, taken by one visit: the capacity lock."""

    __tablename__ = "counter_cells"

    counter_id: Mapped[int] = mapped_column(
        ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[int] = mapped_column(Integer, primary_key=True)  # epoch minute
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )


class WaitlistEntry(Base):
    """A citizen waiting for a slot of a service at a location, served in order."""

    __tablename__ = "waitlist"
    __table_args__ = (
        CheckConstraint(
            "status in ('waiting', 'offered', 'booked', 'left', 'expired')",
            name="ck_waitlist_status",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Indexed for the search of a person's data (privacy slice).
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    language: Mapped[str] = mapped_column(String(2), default="de")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    offers: Mapped[int] = mapped_column(Integer, default=0)
    appointment_id: Mapped[int | None] = mapped_column(Integer)
