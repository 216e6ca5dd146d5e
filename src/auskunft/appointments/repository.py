"""Repository of calendars, appointments, their capacity cells and the waitlist."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import HOLDING
from auskunft.catalog import tables as catalog_tables

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
_SL = catalog_tables.ServiceLocation.__table__.c


def _one_of(column: Any, values: Sequence[str]) -> Any:
    """column IN (values) as plain comparisons: an IN list is expanded anew on every
    run of a statement, which the hot statements of booking should not pay for."""
    return or_(*(column == value for value in values))


_BUSY = select(_A.counter_id, _A.start_minute, _A.busy_until).where(
    _A.location_id == bindparam("location"),
    _A.start_minute < bindparam("end"),
    # A visit starts at most a day before the range and still holds time in it.
    _A.start_minute >= bindparam("earliest"),
    _A.busy_until > bindparam("start"),
    _one_of(_A.status, HOLDING),
)
_BUSY_EXCEPT = _BUSY.where(_A.id != bindparam("exclude"))
_K = t.Calendar.__table__.c
# The calendar's version and kind, with every service bookable there and its
# duration (none: one row with NULLs), in one round trip.
_STAMP_AND_OFFER = (
    select(_K.version, _K.kind, _SL.service_id, _SL.duration_minutes)
    .select_from(
        t.Calendar.__table__.outerjoin(
            catalog_tables.ServiceLocation.__table__,
            (_SL.location_id == _K.location_id) & _SL.appointment.is_(True),
        )
    )
    .where(_K.location_id == bindparam("location"))
)


_INSERT_VISIT = insert(cast(Table, t.Appointment.__table__)).returning(_A.id)
_INSERT_SERVICES = insert(cast(Table, t.AppointmentService.__table__))
_VISIT_COLUMNS = (
    "code",
    "location_id",
    "counter_id",
    "start_at",
    "end_at",
    "start_minute",
    "busy_until",
    "status",
    "channel",
    "booked_by",
    "name",
    "email",
    "email_key",
    "phone",
    "language",
    "created_at",
    "changed_at",
    "expires_at",
)


def _visit_in_one() -> Select[Any]:
    """PostgreSQL: a new visit, its services and its cells on one counter in one statement.

    Data-modifying WITH clauses all run, once, whether or not the final SELECT
    reads them; it answers the new id and how many cells were taken (conflicting
    ones are skipped, as in `_CLAIM_STEPS`).
    """
    cells_table = cast(Table, t.CounterCell.__table__)
    visit = (
        insert(cast(Table, t.Appointment.__table__))
        .values({**{name: bindparam(name) for name in _VISIT_COLUMNS}, "purged": False})
        .returning(_A.id)
        .cte("visit")
    )
    names = (
        func.unnest(bindparam("services", type_=ARRAY(String)))
        .table_valued("service_id", with_ordinality="position")
        .render_derived()
    )
    added = _INSERT_SERVICES.from_select(
        ["appointment_id", "position", "service_id"],
        # visit is one row: the join's "ON true" pairs it with every name.
        select(visit.c.id, names.c.position - 1, names.c.service_id).select_from(
            visit.join(names, true())
        ),
    ).cte("added")
    steps = (
        func.generate_series(
            bindparam("first", type_=Integer),
            bindparam("last", type_=Integer),
            bindparam("step", type_=Integer),
        )
        .table_valued("cell")
        .render_derived()
    )
    taken = (
        pg_insert(cells_table)
        .from_select(
            ["counter_id", "cell", "appointment_id"],
            select(bindparam("counter", type_=Integer), steps.c.cell, visit.c.id).select_from(
                visit.join(steps, true())
            ),
        )
        .on_conflict_do_nothing()
        .returning(cells_table.c.cell)
        .cte("taken")
    )
    count = select(func.count()).select_from(taken).scalar_subquery()
    return select(visit.c.id, count).add_cte(added)


_VISIT_IN_ONE = _visit_in_one()
_SET_COUNTER = (
    update(cast(Table, t.Appointment.__table__))
    .where(_A.id == bindparam("appointment"))
    .values(counter_id=bindparam("counter"))
)


def _active(by_email: bool, by_phone: bool, services: int) -> Select[int]:
    who = [_A.email_key == bindparam("email")] if by_email else []
    if by_phone:
        who.append(_A.phone == bindparam("phone"))
    return (
        select(func.count(func.distinct(_A.id)))
        .select_from(t.Appointment.__table__.join(t.AppointmentService.__table__))
        .where(
            or_(*who),
            or_(*(_AS.service_id == bindparam(f"service{i}") for i in range(services))),
            _one_of(_A.status, ("booked", "provisional", "offered")),
            _A.start_minute >= bindparam("now"),
        )
    )


# By who is asked for (e-mail, phone or both) and how many services.
_ACTIVE = {
    (e, p, n): _active(e, p, n)
    for e, p in ((True, False), (False, True), (True, True))
    for n in range(1, 6)
}


# The first half of the per-person advisory locks' keys (PostgreSQL's two-integer form
# keeps them apart from any other use of advisory locks): "lim" in ASCII.
_PERSON_LOCKS = 0x6C696D


def _lock_key(text: str) -> int:
    """A stable signed 32-bit key of a text (a clash only makes two people wait in turn)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), signed=True)


# By statement and driver (the SQL text and its placeholders are the driver's).
_COMPILED: dict[tuple[Select[Any], str, str], SQLCompiler] = {}


def _driver_rows(
    connection: Connection, statement: Select[Any], values: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """Run a built statement of plain columns (integers, strings, no type conversion)
    on the driver's own cursor, in the connection's transaction, and fetch its rows
    as the driver's tuples: for thousands of rows a third cheaper than `execute`."""
    dialect = connection.dialect
    key = (statement, dialect.name, f"{dialect.driver}:{dialect.paramstyle}")
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = statement.compile(dialect=dialect)
        _COMPILED[key] = compiled
    params = compiled.construct_params(values) or {}
    positions = compiled.positiontup
    args = [params[name] for name in positions] if positions else params
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    except dialect.loaded_dbapi.Error as error:
        # The driver's own error, wrapped as SQLAlchemy's execute would wrap it: a lost
        # connection (a database restart) is an OperationalError, which the web answers
        # with 503, not 500.
        raise DBAPIError.instance(
            compiled.string, args, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()


def _steps(cells: Sequence[int]) -> dict[str, int] | None:
    """First, last and step of evenly spaced cells (as a visit's are); None otherwise."""
    if not cells:
        return None
    step = cells[1] - cells[0] if len(cells) > 1 else 1
    if step > 0 and list(range(cells[0], cells[-1] + 1, step)) == list(cells):
        return {"first": cells[0], "last": cells[-1], "step": step}
    return None


def _escaped(text: str) -> str:
    """A text for LIKE, its wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AppointmentRepository:
    """Reads and writes of the booking engine within a unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _current(self) -> Connection:
        """The transaction's connection, after writing what the session holds.

        The hot statements run on the connection itself, past the ORM's
        execution layer (which costs more than they do), so the ORM's autoflush
        is done here.
        """
        self.session.flush()
        return self.session.connection()

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

    def lock_person(self, service_ids: Sequence[str], email_key: str, phone: str) -> None:
        """Make other bookings of the same person (mailbox or phone) for the same services
        wait until this transaction ends, before the limit is counted.

        Without it two bookings on PostgreSQL count at once and both stay under the
        limit. A transaction-level advisory lock per (service, person) serialises
        them, whatever the limit; the keys are taken in one order, so two bookings
        never wait for each other. SQLite needs nothing more than `lock_for_write`.
        """
        connection = self._current()
        if connection.dialect.name != "postgresql":
            return
        people = [f"e:{email_key}"] if email_key else []
        if phone:
            people.append(f"p:{phone}")
        keys = sorted({_lock_key(f"{s}\x00{p}") for s in service_ids for p in people})
        if not keys:
            return
        # One round trip; PostgreSQL evaluates a select list from left to right.
        calls = ", ".join(f"pg_advisory_xact_lock(:kind, :k{i})" for i in range(len(keys)))
        values = {"kind": _PERSON_LOCKS} | {f"k{i}": key for i, key in enumerate(keys)}
        connection.execute(text(f"SELECT {calls}"), values)

    def claim_cells(self, counter_id: int, cells: Sequence[int], appointment_id: int) -> bool:
        """Take every cell for the appointment, or none; tell whether it worked.

        Conflicting rows are skipped instead of raising, so a failed attempt does
        not abort a PostgreSQL transaction and the next counter can be tried.
        """
        if not cells:
            return True
        steps = _steps(cells)
        if steps is not None:
            # A visit's cells are evenly spaced: one fixed statement counts them out in
            # the database (a VALUES list per visit costs more to build than to run).
            params = {**steps, "counter": counter_id, "appointment": appointment_id}
            taken = len(self.session.connection().execute(_CLAIM_STEPS, params).all())
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

    def stamp_and_offer(
        self, location_id: str
    ) -> tuple[tuple[int, str], dict[str, int | None]] | None:
        """Version and kind of a location's calendar (enough to tell a cached one is
        current), with the services bookable there and their duration there."""
        found = self.session.connection().execute(_STAMP_AND_OFFER, {"location": location_id})
        rows = found.all()
        if not rows:
            return None
        offered = {row[2]: row[3] for row in rows if row[2] is not None}
        return (int(rows[0][0]), str(rows[0][1])), offered

    def calendars(self) -> Sequence[tuple[t.Calendar, catalog_tables.Location]]:
        query = (
            select(t.Calendar, catalog_tables.Location)
            .join(catalog_tables.Location, catalog_tables.Location.id == t.Calendar.location_id)
            .order_by(catalog_tables.Location.authority_id, catalog_tables.Location.name)
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

    def services_by_location(self) -> dict[str, list[str]]:
        query = (
            select(
                catalog_tables.ServiceLocation.location_id,
                catalog_tables.ServiceLocation.service_id,
            )
            .where(catalog_tables.ServiceLocation.appointment.is_(True))
            .order_by(
                catalog_tables.ServiceLocation.location_id,
                catalog_tables.ServiceLocation.service_id,
            )
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
        # A slot search over weeks reads thousands of rows of three integers: they
        # come as the driver gives them, without SQLAlchemy's rows around them.
        values: dict[str, Any] = {"location": location_id, "start": start, "end": end}
        values["earliest"] = start - 24 * 60
        if exclude is None:
            found = _driver_rows(self._current(), _BUSY, values)
        else:
            found = _driver_rows(self._current(), _BUSY_EXCEPT, {**values, "exclude": exclude})
        return cast(Sequence[tuple[int, int, int]], found)

    def insert_visit(
        self, values: dict[str, Any], services: Sequence[str], counter_id: int, cells: Sequence[int]
    ) -> tuple[int, bool]:
        """Store a new visit and its services, and try to take its cells on a counter.

        Returns the new id and whether the cells were taken (none are kept if
        not). On PostgreSQL this is one round trip instead of three.
        """
        connection = self.session.connection()
        steps = _steps(cells)
        if steps is not None and connection.dialect.name == "postgresql":
            params = {**values, "services": list(services), "counter": counter_id, **steps}
            found = connection.execute(_VISIT_IN_ONE, params).one()
            new_id, taken = int(found[0]), int(found[1])
            if taken == len(cells):
                return new_id, True
            if taken:
                self.release_cells(new_id)
            return int(new_id), False
        new_id = int(connection.execute(_INSERT_VISIT, values).scalar_one())
        rows = [
            {"appointment_id": new_id, "position": i, "service_id": s}
            for i, s in enumerate(services)
        ]
        connection.execute(_INSERT_SERVICES, rows)
        return new_id, self.claim_cells(counter_id, cells, new_id)

    def set_counter(self, appointment_id: int, counter_id: int) -> None:
        self.session.connection().execute(
            _SET_COUNTER, {"appointment": appointment_id, "counter": counter_id}
        )

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

    def active_for_person(
        self, service_ids: Sequence[str], email_key: str, phone: str, now_minute: int
    ) -> int:
        """How many coming visits for any of the services a person holds: by the mailbox
        the address reaches (core.email.limit_key) or by phone."""
        if not (email_key or phone):
            return 0
        query = _ACTIVE.get((bool(email_key), bool(phone), len(service_ids)))
        if query is None:  # more services than a visit may have: built for this call
            query = _active(bool(email_key), bool(phone), len(service_ids))
        values: dict[str, Any] = {"email": email_key, "phone": phone}
        values |= {f"service{i}": s for i, s in enumerate(service_ids)}
        return int(self._current().scalar(query, {**values, "now": now_minute}) or 0)

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

    # -- a person's data (DSGVO Art. 15 and 17) ---------------------------------------
    # A search by phone compares digits (core.phone), which no index holds: it reads the
    # numbers of the rows that still have one, a range of the column's index ("> ''"
    # skips the empty values of purged rows, on every collation), so its cost grows with
    # the retention period, not with the years of history.
    def of_mailbox(self, email_key: str, *, for_update: bool = False) -> Sequence[t.Appointment]:
        """Every visit booked with an address that reaches this mailbox (core.email.limit_key)."""
        query = select(t.Appointment).where(t.Appointment.email_key == email_key)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query.order_by(t.Appointment.id)).all()

    def bookings_between(self, start: datetime, end: datetime) -> list[tuple[datetime, str, str]]:
        """(booked at, channel, status) of the visits booked in [start, end)."""
        query = select(t.Appointment.created_at, t.Appointment.channel, t.Appointment.status).where(
            t.Appointment.created_at >= start, t.Appointment.created_at < end
        )
        return [(row[0], row[1], row[2]) for row in self.session.execute(query)]

    def phones(self) -> Sequence[tuple[int, str]]:
        """(id, phone) of every visit that still holds a phone number."""
        query = select(t.Appointment.id, t.Appointment.phone).where(t.Appointment.phone > "")
        return [(int(i), str(p)) for i, p in self.session.execute(query).all()]

    def by_ids(self, ids: Sequence[int], *, for_update: bool = False) -> list[t.Appointment]:
        found: list[t.Appointment] = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            query = select(t.Appointment).where(t.Appointment.id.in_(wanted[start : start + 500]))
            if for_update:
                # Locked, and read anew: a row loaded before may have changed meanwhile.
                query = query.with_for_update().execution_options(populate_existing=True)
            found += self.session.scalars(query.order_by(t.Appointment.id)).all()
        return found

    def waitlist_emails(self, domain: str) -> Sequence[tuple[int, str]]:
        """(id, e-mail address) of every waitlist entry that still holds one at this domain
        (in any case); the caller compares the mailboxes."""
        query = select(t.WaitlistEntry.id, t.WaitlistEntry.email).where(
            t.WaitlistEntry.email > "",
            func.lower(t.WaitlistEntry.email).like("%@" + _escaped(domain.lower()), escape="\\"),
        )
        return [(int(i), str(e)) for i, e in self.session.execute(query).all()]

    def waitlist_phones(self) -> Sequence[tuple[int, str]]:
        """(id, phone) of every waitlist entry that still holds one."""
        query = select(t.WaitlistEntry.id, t.WaitlistEntry.phone).where(t.WaitlistEntry.phone > "")
        return [(int(i), str(p)) for i, p in self.session.execute(query).all()]

    def waitlist_entries(self, ids: Sequence[int]) -> list[t.WaitlistEntry]:
        found: list[t.WaitlistEntry] = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(t.WaitlistEntry).where(t.WaitlistEntry.id.in_(chunk))
            found += self.session.scalars(query.order_by(t.WaitlistEntry.id)).all()
        return found

    def delete_waitlist_entries(self, ids: Sequence[int]) -> int:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            self.session.execute(
                delete(t.WaitlistEntry)
                .where(t.WaitlistEntry.id.in_(chunk))
                .execution_options(synchronize_session="fetch")
            )
        return len(wanted)
