"""SQLAlchemy tables of the catalog; the schema itself is owned by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back with its zone on every store.

    PostgreSQL keeps the offset; SQLite keeps none and hands back naive values,
    so without this the same column would compare and print differently on the
    two stores. A naive value given to it is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of all tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    web: Mapped[str | None] = mapped_column(String(500))


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"))
    ags: Mapped[str | None] = mapped_column(String(12))


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")


class Authority(Base):
    __tablename__ = "authorities"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(80), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    web: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    kinds: Mapped[list[AuthorityKind]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    areas: Mapped[list[AuthorityArea]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class AuthorityKind(Base):
    __tablename__ = "authority_kinds"

    authority_id: Mapped[str] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(80), primary_key=True)


class AuthorityArea(Base):
    __tablename__ = "authority_areas"

    authority_id: Mapped[str] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"), primary_key=True)


class Location(Base):
    """A place where an authority receives people (a counter site)."""

    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(80), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    web: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    slot_minutes: Mapped[int | None] = mapped_column(Integer)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    topic_id: Mapped[str | None] = mapped_column(ForeignKey("topics.id"))
    kind: Mapped[str] = mapped_column(String(80), index=True)
    appointment: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    prerequisites: Mapped[list[Any]] = mapped_column(default=list)
    documents: Mapped[list[Any]] = mapped_column(default=list)
    fees: Mapped[list[Any]] = mapped_column(default=list)
    processing_time: Mapped[str] = mapped_column(Text, default="")
    deadlines: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[list[Any]] = mapped_column(default=list)
    online_service: Mapped[str | None] = mapped_column(String(1000))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    questions: Mapped[list[Any]] = mapped_column(default=list)
    leika: Mapped[str | None] = mapped_column(String(300))  # may list several keys
    forms: Mapped[list[Any]] = mapped_column(default=list)
    links: Mapped[list[Any]] = mapped_column(default=list)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="demo")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ServiceLocation(Base):
    """Where a service is offered, with the appointment duration there."""

    __tablename__ = "service_locations"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    appointment: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceVersion(Base):
    """One edit of a service: who, when, what changed ({field: [old, new]})."""

    __tablename__ = "service_versions"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[str] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Embedding(Base):
    """A dense vector of a text, keyed by a hash of model and text (a durable cache)."""

    __tablename__ = "embeddings"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(80))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class CatalogState(Base):
    """A counter bumped by every catalog change, so search indexes know when to rebuild."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class StaffUser(Base):
    """A member of staff who logs in: agent, clerk, editor, supervisor or admin."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(
            "role in ('agent', 'clerk', 'editor', 'supervisor', 'admin')", name="ck_staff_role"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StaffSession(Base):
    """A login: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ApiToken(Base):
    """A token for a machine client (a telephony integration); only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Contact(Base):
    """One contact with a citizen (a call, a visit, an e-mail), without personal data."""

    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "channel in ('115', 'local', 'counter', 'email')", name="ck_contact_channel"
        ),
        CheckConstraint(
            "outcome in ('answered', 'appointment', 'forwarded', 'other')",
            name="ck_contact_outcome",
        ),
        CheckConstraint("ended_at >= started_at", name="ck_contact_times"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    service_id: Mapped[str | None] = mapped_column(String(120), index=True)
    municipality: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="desk")


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
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2), default="de")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    offers: Mapped[int] = mapped_column(Integer, default=0)
    appointment_id: Mapped[int | None] = mapped_column(Integer)


class Job(Base):
    """Background work (e-mails, reminders, expiry, deletion), claimed by a worker."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="ck_job_status"),
        Index("ix_jobs_due", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    run_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
