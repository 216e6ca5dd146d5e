"""Repository of calendars, appointments, their capacity cells and the waitlist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from auskunft.db import tables as t
from auskunft.domain.booking import HOLDING

# The cells first, first + step, ... last of one visit; conflicting ones are skipped,
# RETURNING tells how many were taken. "WHERE true" keeps SQLite from reading the
# ON of ON CONFLICT as a join's.
_CLAIM_STEPS = text(
    """
    INSERT INTO counter_cells (counter_id, cell, appointment_id)
    WITH RECURSIVE steps(cell) AS (
        SELECT CAST(:first AS INTEGER)
        UNION ALL
        SELECT cell + CAST(:step AS INTEGER) FROM steps WHERE cell < CAST(:last AS INTEGER)
    )
    SELECT CAST(:counter AS INTEGER), cell, CAST(:appointment AS INTEGER) FROM steps WHERE true
    ON CONFLICT DO NOTHING
    RETURNING cell
    """
)

# The statements of every slot search and booking, built once: building a
# statement costs more CPU than running it (the values are bound per call).
_A = t.Appointment.__table__.c
_AS = t.AppointmentService.__table__.c
_SL = t.ServiceLocation.__table__.c
_BUSY = select(_A.counter_id, _A.start_minute, _A.busy_until).where(
    _A.location_id == bindparam("location"),
    _A.start_minute < bindparam("end"),
    # A visit starts at most a day before the range and still holds time in it.
    _A.start_minute >= bindparam("earliest"),
    _A.busy_until > bindparam("start"),
    _A.status.in_(HOLDING),
)
_BUSY_EXCEPT = _BUSY.where(_A.id != bindparam("exclude"))
_K = t.Calendar.__table__.c
_STAMP = select(_K.version, _K.kind).where(_K.location_id == bindparam("location"))
_OFFERED = select(_SL.service_id, _SL.duration_minutes).where(
    _SL.location_id == bindparam("location"), _SL.appointment.is_(True)
)


def _active(by_email: bool, by_phone: bool) -> Select[int]:
    who = [_A.email == bindparam("email")] if by_email else []
    if by_phone:
        who.append(_A.phone == bindparam("phone"))
    return (
        select(func.count(func.distinct(_A.id)))
        .select_from(t.Appointment.__table__.join(t.AppointmentService.__table__))
        .where(
            or_(*who),
            _AS.service_id.in_(bindparam("services", expanding=True)),
            _A.status.in_(("booked", "provisional", "offered")),
            _A.start_minute >= bindparam("now"),
        )
    )


_ACTIVE = {(e, p): _active(e, p) for e, p in ((True, False), (False, True), (True, True))}


class AppointmentRepository:
    """Reads and writes of the booking engine within a unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing safely --------------------------------------------------
    def lock_for_write(self) -> None:
        """Take SQLite's write lock now, before the first read of a booking.

        In WAL mode a transaction that read first and writes later fails at
        once ("database is locked") when another writer committed in between;
        taking the lock up front makes concurrent bookings queue instead (the
        busy timeout waits). PostgreSQL needs nothing: the unique cells decide.
        """
        if self.session.get_bind().dialect.name != "sqlite":
            return
        driver = self.session.connection().connection.dbapi_connection
        # Already writing in this unit of work (several use cases in one): the lock is held.
        if driver is not None and not driver.in_transaction:
            self.session.execute(text("BEGIN IMMEDIATE"))

    def claim_cells(self, counter_id: int, cells: Sequence[int], appointment_id: int) -> bool:
        """Take every cell for the appointment, or none; tell whether it worked.

        Conflicting rows are skipped instead of raising, so a failed attempt does
        not abort a PostgreSQL transaction and the next counter can be tried.
        """
        if not cells:
            return True
        step = cells[1] - cells[0] if len(cells) > 1 else 1
        if step > 0 and list(range(cells[0], cells[-1] + 1, step)) == list(cells):
            # A visit's cells are evenly spaced: one fixed statement counts them out in
            # the database (a VALUES list per visit costs more to build than to run).
            params = {"first": cells[0], "last": cells[-1], "step": step}
            params |= {"counter": counter_id, "appointment": appointment_id}
            taken = len(self.session.execute(_CLAIM_STEPS, params).all())
        else:
            rows = [
                {"counter_id": counter_id, "cell": c, "appointment_id": appointment_id}
                for c in cells
            ]
            dialect = self.session.get_bind().dialect.name
            factory: Any = pg_insert if dialect == "postgresql" else sqlite_insert
            statement = (
                factory(t.CounterCell)
                .values(rows)
                .on_conflict_do_nothing()
                .returning(t.CounterCell.cell)
            )
            # RETURNING counts what was really inserted; rowcount is not reliable for
            # ORM-enabled inserts on every driver.
            taken = len(self.session.execute(statement).all())
        if taken == len(cells):
            return True
        if taken:
            self.release_cells(appointment_id)
        return False

    def release_cells(self, appointment_id: int) -> None:
        self.session.execute(
            delete(t.CounterCell).where(t.CounterCell.appointment_id == appointment_id)
        )

    # -- calendars -------------------------------------------------------
    def calendar(self, location_id: str) -> t.Calendar | None:
        return self.session.get(t.Calendar, location_id)

    def calendar_stamp(self, location_id: str) -> tuple[int, str] | None:
        """Version and kind of a location's calendar: enough to tell a cached one is current."""
        found = self.session.execute(_STAMP, {"location": location_id}).first()
        return (int(found[0]), str(found[1])) if found is not None else None

    def calendars(self) -> Sequence[tuple[t.Calendar, t.Location]]:
        query = (
            select(t.Calendar, t.Location)
            .join(t.Location, t.Location.id == t.Calendar.location_id)
            .order_by(t.Location.authority_id, t.Location.name)
        )
        return [(c, loc) for c, loc in self.session.execute(query).all()]

    def counters(self, location_id: str) -> Sequence[t.Counter]:
        query = select(t.Counter).where(t.Counter.location_id == location_id)
        return self.session.scalars(query.order_by(t.Counter.position, t.Counter.id)).all()

    def rules(self, location_id: str) -> Sequence[t.OpeningRule]:
        query = (
            select(t.OpeningRule)
            .join(t.Counter, t.Counter.id == t.OpeningRule.counter_id)
            .where(t.Counter.location_id == location_id)
        )
        return self.session.scalars(query).all()

    def exceptions(self, location_id: str) -> Sequence[t.CalendarException]:
        query = select(t.CalendarException).where(t.CalendarException.location_id == location_id)
        return self.session.scalars(query).all()

    def delete_exceptions(self, location_id: str, day: date, counter_id: int | None) -> int:
        """Remove a day's exceptions of one scope (a counter, or the whole location)."""
        scope = (
            t.CalendarException.counter_id.is_(None)
            if counter_id is None
            else t.CalendarException.counter_id == counter_id
        )
        result = self.session.execute(
            delete(t.CalendarException).where(
                t.CalendarException.location_id == location_id,
                t.CalendarException.day == day,
                scope,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def offered_services(self, location_id: str) -> dict[str, int | None]:
        """Services bookable at a location, with their duration there."""
        found = self.session.execute(_OFFERED, {"location": location_id}).all()
        return {sid: minutes for sid, minutes in found}

    def services_by_location(self) -> dict[str, list[str]]:
        query = (
            select(t.ServiceLocation.location_id, t.ServiceLocation.service_id)
            .where(t.ServiceLocation.appointment.is_(True))
            .order_by(t.ServiceLocation.location_id, t.ServiceLocation.service_id)
        )
        grouped: dict[str, list[str]] = {}
        for location_id, service_id in self.session.execute(query).all():
            grouped.setdefault(location_id, []).append(service_id)
        return grouped

    # -- appointments ----------------------------------------------------
    def busy(
        self, location_id: str, start: int, end: int, *, exclude: int | None = None
    ) -> Sequence[tuple[int, int, int]]:
        """(counter, start, busy until) of every visit holding time in [start, end)."""
        # Table columns, not ORM attributes, and the rows as they come (they unpack like
        # tuples): a slot search over weeks reads thousands, and converting them would
        # cost more than the query.
        values = {"location": location_id, "start": start, "end": end}
        values["earliest"] = start - 24 * 60
        if exclude is None:
            found = self.session.execute(_BUSY, values).all()
        else:
            found = self.session.execute(_BUSY_EXCEPT, {**values, "exclude": exclude}).all()
        return cast(Sequence[tuple[int, int, int]], found)

    def add(self, row: object) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def by_code(self, code: str, *, for_update: bool = False) -> t.Appointment | None:
        query = select(t.Appointment).where(t.Appointment.code == code)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_id(self, appointment_id: int) -> t.Appointment | None:
        return self.session.get(t.Appointment, appointment_id)

    def code_taken(self, code: str) -> bool:
        query = select(func.count()).select_from(t.Appointment).where(t.Appointment.code == code)
        return bool(self.session.scalar(query))

    def active_for_person(
        self, service_ids: Sequence[str], email: str, phone: str, now_minute: int
    ) -> int:
        """How many coming visits for any of the services a person (e-mail or phone) holds."""
        if not (email or phone):
            return 0
        query = _ACTIVE[(bool(email), bool(phone))]
        values = {"email": email, "phone": phone, "services": list(service_ids)}
        return int(self.session.scalar(query, {**values, "now": now_minute}) or 0)

    def day(self, location_id: str, start: int, end: int) -> Sequence[t.Appointment]:
        """Every visit of a location starting in [start, end), cancelled ones included."""
        query = (
            select(t.Appointment)
            .where(
                t.Appointment.location_id == location_id,
                t.Appointment.start_minute >= start,
                t.Appointment.start_minute < end,
            )
            .order_by(t.Appointment.start_minute, t.Appointment.counter_id)
        )
        return self.session.scalars(query).all()

    def holds_expired(self, now: datetime) -> Sequence[t.Appointment]:
        query = select(t.Appointment).where(
            t.Appointment.status.in_(("provisional", "offered")),
            t.Appointment.expires_at.is_not(None),
            t.Appointment.expires_at <= now,
        )
        # FOR UPDATE: a second worker's expiry waits and then skips the rows already ended.
        return self.session.scalars(query.order_by(t.Appointment.id).with_for_update()).all()

    def to_purge(self, before_minute: int) -> Sequence[t.Appointment]:
        query = select(t.Appointment).where(
            t.Appointment.purged.is_(False), t.Appointment.busy_until < before_minute
        )
        return self.session.scalars(query).all()

    def waitlist_to_purge(self, before: datetime) -> Sequence[t.WaitlistEntry]:
        """Finished waitlist entries that joined before a moment and still hold personal data."""
        query = select(t.WaitlistEntry).where(
            t.WaitlistEntry.status.in_(("booked", "left", "expired")),
            t.WaitlistEntry.created_at < before,
            or_(
                t.WaitlistEntry.name != "", t.WaitlistEntry.email != "", t.WaitlistEntry.phone != ""
            ),
        )
        return self.session.scalars(query).all()

    def count_cells_over_capacity(self) -> int:
        """Cells held by visits that are not holding time any more (should be none)."""
        query = (
            select(func.count())
            .select_from(t.CounterCell)
            .join(t.Appointment, t.Appointment.id == t.CounterCell.appointment_id)
            .where(t.Appointment.status.not_in(HOLDING))
        )
        return int(self.session.scalar(query) or 0)

    # -- waitlist --------------------------------------------------------
    def waiting(self, location_id: str) -> Sequence[t.WaitlistEntry]:
        query = select(t.WaitlistEntry).where(
            t.WaitlistEntry.location_id == location_id, t.WaitlistEntry.status == "waiting"
        )
        return self.session.scalars(query.order_by(t.WaitlistEntry.id)).all()

    def waitlist_entry(self, entry_id: int) -> t.WaitlistEntry | None:
        return self.session.get(t.WaitlistEntry, entry_id)

    def set_waitlist_status(self, entry_id: int, status: str) -> None:
        self.session.execute(
            update(t.WaitlistEntry).where(t.WaitlistEntry.id == entry_id).values(status=status)
        )
