"""Open concerns in bulk for the concerns benchmark: 100,000 over 60 offices, clocks computed
by the real service calendar, placed so that a known share crosses its reminder or due time
at a chosen moment of service time.

    engine, _ = open_catalog(url)
    at = pass_moment(calendar, datetime.now(UTC))        # the latest moment of service time
    made = seed_concerns(engine, calendar, count=100_000, at=at, clerk_id=..., clerk_office=...)
    ...                                                  # escalate(uow, policy, now=at) claims
    unclaim(engine, made, at)                            # made.remind_new and made.due_new

Every concern is placed on the service clock (seconds of service time, counted from the
first opening in the calendar window): its receipt is a moment of service time chosen so
that, measured from `at`, it falls in one of these groups, and then its due and reminder
times are computed exactly as `concerns.create` does (`ServiceCalendar.after` from the
receipt, with the office's feedback hours and the 75 % reminder share):

- `fresh`: neither reminder nor due time reached;
- `reminded`: reminder time passed more than `lag` before `at` (claimed then), not due yet;
- `remind_new`: reminder time within the `lag` before `at`, not claimed yet;
- `due_new`: due time within the `lag` before `at`, not escalated yet (reminded before);
- `overdue`: due more than `lag` before `at`, reminded and escalated then;
- `waiting`: waiting for the citizen, the clock stopped (no due time).

`lag` (one hour) is how long the worker stood still before the pass: a deployment, a
restart. Reminded and escalated concerns carry their claim (`reminded_at`,
`escalated_at` a few seconds after the time) and their history line, as the
escalation pass leaves them. The shares follow from steady arrivals: of the concerns
not yet due, a quarter have passed their reminder.

Offices promise their own feedback hours where `OFFICE_HOURS` says so (rows of
`concern_offices`); the rest the default 24 hours. Rows are written in bulk with
explicit ids (PostgreSQL's sequences are moved past them afterwards), in the same
form the use cases write them: every concern has its "received" and "forwarded"
lines, taken ones a "taken" line, and so on.
"""

from __future__ import annotations

import bisect
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update

from auskunft.core.jobs import tables as job_tables
from auskunft.core.servicetime import ServiceCalendar
from auskunft.forwarding import tables as t
from auskunft.forwarding.model import tracking
from auskunft.forwarding.service.concerns import REMINDER_SHARE

# The offices that get concerns: 60 of the demo catalog's 65 (five federal ones without
# staff in the product are left out).
LEFT_OUT = ("bzst", "kba", "zoll", "beitragsservice", "bamf")
# Offices that promise more than the default 24 hours of service time.
OFFICE_HOURS = {
    "kassel-bauaufsicht": 120,
    "lk-kassel-bauaufsicht": 120,
    "finanzamt-kassel": 72,
    "finanzamt-dillenburg": 72,
    "jobcenter-kassel": 48,
    "jobcenter-lk-kassel": 48,
    "jobcenter-lahn-dill": 48,
    "drv": 240,
    "familienkasse": 120,
    "arbeitsagentur": 72,
    "lwv-hessen": 240,
    "amtsgericht-kassel": 72,
    "amtsgericht-dillenburg": 72,
}
DEFAULT_HOURS = 24
# Shares of the open concerns (the rest is `fresh`).
SHARES = {
    "waiting": 0.05,
    "overdue": 0.05,
    "due_new": 0.005,
    "remind_new": 0.01,
    "reminded": 0.21,
}
# Among the concerns whose clock runs: forwarded, being worked on, returned by the office.
STATUS_WEIGHTS = {"forwarded": 0.55, "in_progress": 0.43, "returned": 0.02}
CHANNEL_WEIGHTS = {
    "115": 0.55,
    "local": 0.15,
    "email": 0.12,
    "web": 0.12,
    "counter": 0.04,
    "letter": 0.02,
}
SOURCE_OF_CHANNEL = {
    "115": "desk",
    "local": "desk",
    "email": "api",
    "web": "portal",
    "counter": "desk",
    "letter": "api",
}
# How far back an overdue concern may have come in: six weeks of service time.
WINDOW = timedelta(hours=6 * 59)
LAG = timedelta(hours=1)
CHUNK = 5000

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "Deniz",
    "Elif",
    "Frank",
    "Greta",
    "Hakan",
    "Ines",
    "Jonas",
    "Katrin",
    "Lukas",
    "Marta",
    "Nils",
    "Olga",
    "Paul",
    "Rita",
    "Sven",
    "Tanja",
    "Yusuf",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Yilmaz",
    "Kaya",
    "Nowak",
    "Richter",
    "Wolf",
]
SENTENCES = [
    "Ich habe vor drei Wochen einen Antrag gestellt und noch keine Antwort erhalten.",
    "Können Sie mir sagen, welche Unterlagen ich noch nachreichen muss?",
    "Der Bescheid enthält meiner Meinung nach einen Fehler beim Einkommen.",
    "Bitte um Rückruf am Vormittag, ich arbeite nachmittags im Schichtdienst.",
    "Mein Termin wurde abgesagt und online finde ich keinen neuen.",
    "Es geht um die Ummeldung meiner Tochter, die zum Studium umgezogen ist.",
    "Die Straßenlaterne vor dem Haus ist seit einer Woche defekt.",
    "Ich brauche eine Bestätigung für meinen Arbeitgeber bis Ende des Monats.",
    "Wir haben Post mit einem Aktenzeichen bekommen, das wir nicht zuordnen können.",
    "Wie lange dauert die Bearbeitung ungefähr, und kann ich den Stand irgendwo sehen?",
]


@dataclass
class SeededConcerns:
    """What `seed_concerns` wrote, and the ids of the groups a pass at `at` claims."""

    at: datetime
    lag: timedelta
    count: int
    offices: list[str]
    groups: dict[str, int]
    statuses: dict[str, int]
    clerk_office: str
    clerk_office_concerns: int
    steps: int
    remind_new: list[int] = field(default_factory=list)
    due_new: list[int] = field(default_factory=list)
    # Due times of concerns not due at `at`, sorted: where a later pass would claim.
    later_dues: list[datetime] = field(default_factory=list)
    seconds: float = 0.0
    write_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "at": self.at.isoformat(),
            "lag_minutes": int(self.lag.total_seconds() // 60),
            "offices": len(self.offices),
            "groups": self.groups,
            "statuses": self.statuses,
            "clerk_office": self.clerk_office,
            "clerk_office_concerns": self.clerk_office_concerns,
            "steps": self.steps,
            "seed_s": round(self.seconds, 2),
            "of_it_writing_s": round(self.write_seconds, 2),
        }


class ServiceClock:
    """Moments of service time as seconds on one line (gaps of closed time left out)."""

    def __init__(self, calendar: ServiceCalendar, first: date, last: date) -> None:
        self.spans = calendar.intervals(first, last)
        self.opens = [opens for opens, _ in self.spans]
        self.starts: list[int] = []
        total = 0
        for opens, closes in self.spans:
            self.starts.append(total)
            total += int((closes - opens).total_seconds())
        self.total = total

    def coordinate(self, moment: datetime) -> int:
        """Service seconds before `moment` in the window (a closed moment: the next opening)."""
        i = bisect.bisect_right(self.opens, moment) - 1
        if i < 0:
            return 0
        o, c = self.spans[i]
        return self.starts[i] + int((min(moment, c) - o).total_seconds())

    def moment(self, coordinate: int) -> datetime:
        i = bisect.bisect_right(self.starts, coordinate) - 1
        opens, _ = self.spans[i]
        return opens + timedelta(seconds=coordinate - self.starts[i])


def pass_moment(calendar: ServiceCalendar, now: datetime) -> datetime:
    """The latest moment of service time at or before `now`, to the second."""
    now = now.astimezone(UTC).replace(microsecond=0)
    if calendar.is_service_time(now):
        return now
    day = now.date()
    for opens, closes in reversed(
        calendar.intervals(day - timedelta(days=30), day + timedelta(days=1))
    ):
        if opens <= now:
            return min(now, closes - timedelta(seconds=1))
    raise ValueError("no service time in the last 30 days")


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _group(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in SHARES.items():
        total += share
        if roll < total:
            return name
    return "fresh"


def seed_concerns(
    engine: Engine,
    calendar: ServiceCalendar,
    *,
    count: int,
    at: datetime,
    offices: list[str],
    clerk_office: str,
    clerk_id: int,
    lag: timedelta = LAG,
    seed: int = 12,
) -> SeededConcerns:
    """Write `count` open concerns and their history; see the module's docstring."""
    began = time.perf_counter()
    rng = random.Random(seed)
    day = at.astimezone(UTC).date()
    clock = ServiceClock(calendar, day - timedelta(days=80), day + timedelta(days=120))
    now_c = clock.coordinate(at)
    lag_s = int(lag.total_seconds())
    window_s = int(WINDOW.total_seconds())
    hours_of = {o: OFFICE_HOURS.get(o, DEFAULT_HOURS) for o in offices}
    with engine.begin() as conn:
        conn.execute(delete(t.ConcernOffice))
        conn.execute(
            insert(t.ConcernOffice),
            [
                {"authority_id": o, "feedback_hours": h}
                for o, h in hours_of.items()
                if h != DEFAULT_HOURS
            ],
        )
        services = list(conn.execute(text("select id from services order by id")).scalars())
        areas = list(conn.execute(text("select id from areas order by id")).scalars())
    codes: set[str] = set()
    concerns: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    groups: dict[str, int] = {}
    statuses: dict[str, int] = {}
    made = SeededConcerns(at, lag, count, offices, groups, statuses, clerk_office, 0, 0)
    later: list[datetime] = []

    def step(concern_id: int, at_: datetime, kind: str, actor: str, **more: Any) -> None:
        steps.append(
            {
                "id": len(steps) + 1,
                "concern_id": concern_id,
                "at": at_,
                "kind": kind,
                "actor_id": more.get("actor_id"),
                "actor": actor,
                "authority_id": more.get("authority_id"),
                "text": more.get("text", ""),
            }
        )

    for concern_id in range(1, count + 1):
        office = offices[rng.randrange(len(offices))]
        hours = hours_of[office]
        span_s = hours * 3600
        remind_s = int(span_s * REMINDER_SHARE)
        group = _group(rng)
        # The receipt on the service clock, so that the concern lands in its group at `at`.
        if group == "fresh":
            received_c = now_c - rng.randrange(0, remind_s)
        elif group == "remind_new":
            received_c = now_c - remind_s - rng.randrange(0, lag_s)
        elif group == "reminded":
            received_c = now_c - span_s + 1 + rng.randrange(0, span_s - remind_s - lag_s - 1)
        elif group == "due_new":
            received_c = now_c - span_s - rng.randrange(0, lag_s)
        elif group == "overdue":
            received_c = now_c - span_s - lag_s - 1 - rng.randrange(0, window_s - span_s - lag_s)
        else:  # waiting: came in some time in the window, asked back
            received_c = now_c - rng.randrange(0, window_s)
        received = clock.moment(received_c)
        # As concerns.create: the clock from the receipt, in the office's promised hours.
        due = calendar.after(received, timedelta(seconds=span_s)).astimezone(UTC)
        remind = calendar.after(received, timedelta(seconds=remind_s)).astimezone(UTC)
        status = "waiting_for_citizen" if group == "waiting" else _weighted(rng, STATUS_WEIGHTS)
        # The group as the pass will see it, from the computed moments (a moment at the end
        # of an interval and the next opening are the same second of service time).
        due_c, remind_c = clock.coordinate(due), clock.coordinate(remind)
        seen = (
            "waiting"
            if group == "waiting"
            else "overdue"
            if due_c <= now_c - lag_s
            else "due_new"
            if due <= at
            else "reminded"
            if remind_c <= now_c - lag_s
            else "remind_new"
            if remind <= at
            else "fresh"
        )
        if seen != group:
            raise AssertionError(f"concern {concern_id}: planned {group}, placed {seen}")
        groups[group] = groups.get(group, 0) + 1
        statuses[status] = statuses.get(status, 0) + 1
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        source = SOURCE_OF_CHANNEL[channel]
        code = tracking.new_code()
        while code in codes:
            code = tracking.new_code()
        codes.add(code)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        question = " ".join(rng.sample(SENTENCES, rng.randint(2, 5)))
        taken_by = clerk_id if status == "in_progress" and office == clerk_office else None
        reminded_at = escalated_at = None
        if group in ("reminded", "due_new", "overdue"):
            reminded_at = remind + timedelta(seconds=rng.randint(1, 59))
        if group == "overdue":
            escalated_at = due + timedelta(seconds=rng.randint(1, 59))
        updated = received + timedelta(minutes=rng.randint(1, 120))
        row = {
            "id": concern_id,
            "tracking_code": code,
            "status": status,
            "channel": channel,
            "source": source,
            "service_id": rng.choice(services),
            "municipality": rng.choice(areas),
            "authority_id": office,
            "taken_by": taken_by,
            "created_by": None,
            "question": question,
            "citizen_name": f"{first} {last}",
            "citizen_email": f"{first.lower()}.{concern_id}@example.org"
            if rng.random() < 0.8
            else "",
            "citizen_phone": f"0561 {rng.randint(100000, 999999)}" if rng.random() < 0.7 else "",
            "callback": "vormittags" if rng.random() < 0.3 else "",
            "answer_text": "",
            "address": "",
            "preferred": "email",
            "language": "de" if rng.random() < 0.95 else "en",
            "consent_at": received,
            "received_at": received,
            "feedback_hours": hours,
            "due_at": due,
            "remind_at": remind,
            "paused_seconds_left": None,
            "reminded_at": reminded_at,
            "escalated_at": escalated_at,
            "answered_at": None,
            "answer_via": None,
            "closed_at": None,
            "verdict": None,
            "reopened": 0,
            "purged_at": None,
            "link_nonce": None,
            "updated_at": min(updated, at),
        }
        if status == "waiting_for_citizen":
            row["paused_seconds_left"] = rng.randrange(60, span_s)
            row["due_at"] = row["remind_at"] = None
        concerns.append(row)
        if office == clerk_office:
            made.clerk_office_concerns += 1
        step(concern_id, received, "received", source)
        step(concern_id, received, "forwarded", source, authority_id=office)
        if status in ("in_progress", "waiting_for_citizen", "returned"):
            step(concern_id, updated, "taken", "sachbearbeitung")
        if status == "waiting_for_citizen":
            step(
                concern_id,
                updated,
                "asked_citizen",
                "sachbearbeitung",
                text="Bitte senden Sie uns eine Kopie des Bescheids.",
            )
        if status == "returned":
            step(
                concern_id,
                updated,
                "returned",
                "sachbearbeitung",
                authority_id=office,
                text="Nicht zuständig.",
            )
        if reminded_at is not None:
            step(concern_id, reminded_at, "reminded", "system")
        if escalated_at is not None:
            step(concern_id, escalated_at, "overdue", "system")
        counting = status != "waiting_for_citizen"
        if group == "remind_new" and counting:
            made.remind_new.append(concern_id)
        if group == "due_new" and counting:
            made.due_new.append(concern_id)
        if counting and group in ("fresh", "remind_new", "reminded"):
            later.append(due)
    later.sort()
    made.later_dues = later
    writing = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, len(concerns), CHUNK):
            conn.execute(insert(t.Concern), concerns[start : start + CHUNK])
        for start in range(0, len(steps), CHUNK):
            conn.execute(insert(t.ConcernStep), steps[start : start + CHUNK])
        if conn.dialect.name == "postgresql":
            for table in ("concerns", "concern_steps"):
                conn.exec_driver_sql(
                    f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(select max(id) from {table}))"
                )
    settle(engine)
    made.write_seconds = time.perf_counter() - writing
    made.steps = len(steps)
    made.seconds = time.perf_counter() - began
    return made


def settle(engine: Engine) -> None:
    """On PostgreSQL, vacuum and analyse what the bulk load or a reset left (autovacuum
    would do it soon anyway, but then beside the timing)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE concerns, concern_steps, jobs")


@dataclass
class Marks:
    """Where the history and the job queue ended before a pass."""

    step_id: int
    job_id: int


def marks(engine: Engine) -> Marks:
    with engine.connect() as conn:
        step_id = conn.execute(select(func.coalesce(func.max(t.ConcernStep.id), 0))).scalar_one()
        job_id = conn.execute(select(func.coalesce(func.max(job_tables.Job.id), 0))).scalar_one()
    return Marks(int(step_id), int(job_id))


def unclaim(engine: Engine, at: datetime, since: Marks) -> tuple[int, int]:
    """Undo what passes at `at` claimed (their claims carry `at` itself), and the history
    lines and jobs written after `since`; the numbers of reminders and escalations undone."""
    with engine.begin() as conn:
        reminded = conn.execute(
            update(t.Concern).where(t.Concern.reminded_at == at).values(reminded_at=None)
        ).rowcount
        escalated = conn.execute(
            update(t.Concern).where(t.Concern.escalated_at == at).values(escalated_at=None)
        ).rowcount
        conn.execute(delete(t.ConcernStep).where(t.ConcernStep.id > since.step_id))
        conn.execute(delete(job_tables.Job).where(job_tables.Job.id > since.job_id))
    settle(engine)
    return int(reminded), int(escalated)
