"""Appointment e-mails: sent by the worker over real SMTP, read back as they arrived."""

from __future__ import annotations

import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.app import create_app
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking, waitlist
from auskunft.appointments.service.booking import Person
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.core.jobs import tables as t
from auskunft.core.jobs.worker import housekeeping, run_due
from tests.web.test_desk import Inbox, free_port

SECRET = "appointment-mail-test-secret-0123456789"
PUBLIC = "https://termine.kassel.example"
OFFICE = "kassel-buergerbuero-rathaus"
SERVICE = "personalausweis-beantragen"
NOW = datetime.combine(date(2027, 3, 1), time(6), tzinfo=BERLIN)  # a Monday morning
WEDNESDAY = date(2027, 3, 3)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture()
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    smtp[0].messages.clear()
    return smtp[0]


def settings_for(url: str, port: int, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "smtp_port": port,
        "smtp_timeout": 5,
        "public_url": PUBLIC,
        "secret_key": SECRET,
        "mail_from": "Stadt Kassel <termine@kassel.example>",
        "worker": "off",
    }
    return Settings(**(values | changes))


@pytest.fixture()
def settings(fresh_url: str, smtp: tuple[Inbox, int]) -> Settings:
    return settings_for(fresh_url, smtp[1])


def book(
    settings: Settings,
    *,
    day: date = WEDNESDAY,
    language: str = "de",
    email: str = "erika@example.de",
    location: str = OFFICE,
    service: str = SERVICE,
    now: datetime = NOW,
    skip: int = 0,
) -> booking.Booked:
    policy = BookingPolicy.from_settings(settings)
    with UnitOfWork(get_engine(settings.database_url)) as uow:
        found = booking.find_slots(
            uow, policy, service_ids=[service], location_id=location, first=day, last=day, now=now
        )
        done = booking.book(
            uow,
            policy,
            service_ids=[service],
            location_id=location,
            start=booking.from_epoch_minutes(found[skip].start),
            person=Person("Erika Mustermann", email, language=language),
            now=now,
        )
        uow.commit()
    return done


def jobs(url: str, kind: str | None = None) -> list[SimpleNamespace]:
    """The job rows as plain values."""
    with UnitOfWork(get_engine(url)) as uow:
        query = select(t.Job).order_by(t.Job.id)
        if kind:
            query = query.where(t.Job.kind == kind)
        columns = [c.name for c in t.Job.__table__.columns]
        return [
            SimpleNamespace(**{c: getattr(row, c) for c in columns})
            for row in uow.session.scalars(query)
        ]


def body_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def calendar_of(mail: EmailMessage) -> icalendar.Calendar:
    parts = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    cal = icalendar.Calendar.from_ical(parts[0].get_content())
    assert parts[0].get_param("method") == cal["method"]  # iMIP: the part names the method too
    assert parts[0].get_filename() == "termin.ics"
    return cal


def event_of(mail: EmailMessage) -> icalendar.Event:
    events = calendar_of(mail).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def manage_link(done: booking.Booked) -> str:
    return f"{PUBLIC}/termin/{done.appointment.code}?token={done.manage_token}"


def test_the_confirmation_is_german_with_the_manage_link_and_a_calendar_file(
    settings: Settings, inbox: Inbox
) -> None:
    done = book(settings)
    assert run_due(get_engine(settings.database_url), settings, now=NOW) == 1  # not the reminder
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "erika@example.de"
    assert mail["Content-Language"] == "de"
    assert mail["Subject"].startswith("Terminbestätigung: Mittwoch, 3. März 2027, ")
    body = body_of(mail)
    assert body.startswith("Guten Tag Erika Mustermann,")
    assert "Ihr Termin ist gebucht:" in body
    assert "Anliegen: Personalausweis beantragen" in body
    assert "Bürgerbüro im Rathaus, Obere Königsstraße 8, 34117 Kassel" in body
    assert f"Buchungsnummer: {done.appointment.code}" in body
    assert manage_link(done) in body.split()
    assert "30 Tage nach dem Termin gelöscht" in body

    cal = calendar_of(mail)
    assert cal["method"] == "REQUEST"
    event = event_of(mail)
    assert str(event["uid"]) == f"{done.appointment.code}@termine.kassel.example"
    start = event.decoded("dtstart")
    assert start == done.appointment.start_at
    assert start.utcoffset() == timedelta(hours=1)  # Berlin in March, before summer time
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtend") == done.appointment.end_at
    assert event.decoded("dtend") - start == timedelta(minutes=15)
    assert int(event["sequence"]) == 0
    assert str(event["summary"]) == "Termin: Personalausweis beantragen"
    assert "Obere Königsstraße 8, 34117 Kassel" in str(event["location"])
    assert manage_link(done) in str(event["description"])
    assert str(event["organizer"]) == "mailto:termine@kassel.example"
    assert [j.status for j in jobs(settings.database_url, "mail.confirmation")] == ["done"]


def test_an_english_booking_gets_english_mail(settings: Settings, inbox: Inbox) -> None:
    done = book(settings, language="en")
    run_due(get_engine(settings.database_url), settings, now=NOW)
    mail = inbox.messages[0]
    assert mail["Subject"].startswith("Appointment confirmed: Wednesday, 3 March 2027, ")
    body = body_of(mail)
    assert body.startswith("Hello Erika Mustermann,")
    assert "Concern: Apply for a German ID card" in body
    assert "deleted 30 days after the appointment" in body
    assert "Termin" not in body.replace(manage_link(done), "")
    assert str(event_of(mail)["summary"]) == "Appointment: Apply for a German ID card"


def test_the_reminder_goes_out_the_day_before_at_the_reminder_hour(
    settings: Settings, inbox: Inbox
) -> None:
    done = book(settings)
    engine = get_engine(settings.database_url)
    (reminder,) = jobs(settings.database_url, "mail.reminder")
    due = datetime.combine(WEDNESDAY - timedelta(days=1), time(10), tzinfo=BERLIN)
    assert reminder.run_at == due
    assert reminder.payload == {
        "appointment": done.appointment.id,
        "start": done.appointment.start_minute,
    }
    assert run_due(engine, settings, now=due - timedelta(minutes=1)) == 1  # the confirmation
    assert run_due(engine, settings, now=due - timedelta(minutes=1)) == 0
    assert run_due(engine, settings, now=due) == 1
    mail = inbox.messages[-1]
    assert mail["Subject"].startswith("Erinnerung: Ihr Termin am Mittwoch, 3. März 2027 um ")
    assert "wir erinnern Sie an Ihren Termin" in body_of(mail)
    assert manage_link(done) in body_of(mail)
    assert event_of(mail).decoded("dtstart") == done.appointment.start_at


def test_a_moved_appointment_is_updated_and_its_old_reminder_is_skipped(
    settings: Settings, inbox: Inbox
) -> None:
    done = book(settings)
    engine = get_engine(settings.database_url)
    run_due(engine, settings, now=NOW)
    policy = BookingPolicy.from_settings(settings)
    with UnitOfWork(engine) as uow:
        later = booking.find_slots(
            uow, policy, service_ids=[SERVICE], location_id=OFFICE,
            first=date(2027, 3, 5), last=date(2027, 3, 5), now=NOW,
        )  # fmt: skip
        moved = booking.reschedule(
            uow, policy, code=done.appointment.code, token=done.manage_token,
            start=booking.from_epoch_minutes(later[0].start), now=NOW + timedelta(minutes=30),
        )  # fmt: skip
        uow.commit()
        new_start = moved.start_at
    run_due(engine, settings, now=NOW + timedelta(minutes=30))
    mail = inbox.messages[-1]
    assert mail["Subject"].startswith("Termin verschoben: Freitag, 5. März 2027, ")
    event = event_of(mail)
    assert event.decoded("dtstart") == new_start
    assert str(event["uid"]) == f"{done.appointment.code}@termine.kassel.example"
    assert int(event["sequence"]) > 0
    assert calendar_of(mail)["method"] == "REQUEST"

    # Both reminders come due (Tuesday's for the old time, Thursday's for the new one).
    inbox.messages.clear()
    assert run_due(engine, settings, now=datetime(2027, 3, 4, 12, tzinfo=UTC)) == 2
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"].startswith("Erinnerung: Ihr Termin am Freitag")
    assert event_of(inbox.messages[0]).decoded("dtstart") == new_start
    assert {j.status for j in jobs(settings.database_url, "mail.reminder")} == {"done"}


def test_a_cancellation_is_told_and_removes_the_calendar_entry(
    settings: Settings, inbox: Inbox
) -> None:
    done = book(settings, language="en")
    engine = get_engine(settings.database_url)
    run_due(engine, settings, now=NOW)
    first = event_of(inbox.messages[0])
    with UnitOfWork(engine) as uow:
        booking.cancel(
            uow, BookingPolicy.from_settings(settings), code=done.appointment.code,
            token=done.manage_token, now=NOW + timedelta(hours=2),
        )  # fmt: skip
        uow.commit()
    assert run_due(engine, settings, now=NOW + timedelta(hours=2)) == 1
    mail = inbox.messages[-1]
    assert mail["Subject"].startswith("Appointment cancelled: Wednesday, 3 March 2027, ")
    assert "this appointment has been cancelled" in body_of(mail)
    cal = calendar_of(mail)
    assert cal["method"] == "CANCEL"
    event = event_of(mail)
    assert event["uid"] == first["uid"]
    assert int(event["sequence"]) > int(first["sequence"])
    assert str(event["status"]) == "CANCELLED"
    # The reminder is no longer sent.
    assert run_due(engine, settings, now=datetime(2027, 3, 2, 12, tzinfo=UTC)) == 1
    assert len(inbox.messages) == 2


def test_a_wedding_reservation_says_it_is_provisional_and_its_expiry_is_told(
    settings: Settings, inbox: Inbox
) -> None:
    done = book(
        settings, day=date(2027, 6, 5), location="kassel-trauort-rathaus", service="trauung-trauort"
    )
    engine = get_engine(settings.database_url)
    run_due(engine, settings, now=NOW)
    mail = inbox.messages[0]
    assert mail["Subject"].startswith("Vorläufige Reservierung: Samstag, 5. Juni 2027, ")
    body = " ".join(body_of(mail).split())
    assert "vorläufig, bis die Eheschließung beim Standesamt angemeldet ist" in body
    assert "Wir halten sie bis Montag, 15. März 2027, 06:00 Uhr" in body  # 14 days
    assert calendar_of(mail)["method"] == "REQUEST"

    expired = housekeeping(engine, settings, now=NOW + timedelta(days=14, minutes=1))
    assert expired.expired == 1
    run_due(engine, settings, now=NOW + timedelta(days=14, minutes=1))
    mail = inbox.messages[-1]
    assert mail["Subject"].startswith("Reservierung abgelaufen: Samstag, 5. Juni 2027, ")
    assert "nicht rechtzeitig beim Standesamt angemeldet" in " ".join(body_of(mail).split())
    assert calendar_of(mail)["method"] == "CANCEL"
    assert str(event_of(mail)["uid"]).startswith(done.appointment.code + "@")


def test_the_waitlist_mails_carry_the_place_in_line_and_the_offer(
    fresh_url: str, smtp: tuple[Inbox, int], inbox: Inbox
) -> None:
    # One counter, two days, nothing held back for the phone: a horizon that can be filled.
    settings = settings_for(fresh_url, smtp[1], booking_horizon_days=2, phone_share=0)
    policy = BookingPolicy.from_settings(settings)
    engine = get_engine(fresh_url)
    place, service = "niestetal-buergerbuero-rathaus", "personalausweis-beantragen"
    made: list[booking.Booked] = []
    while True:  # one unit of work per booking, as the web does it
        with UnitOfWork(engine) as uow:
            found = booking.find_slots(
                uow, policy, service_ids=[service], location_id=place,
                first=NOW.date(), last=NOW.date() + timedelta(days=3), now=NOW,
            )  # fmt: skip
            if not found:
                break
            made.append(
                booking.book(
                    uow,
                    policy,
                    service_ids=[service],
                    location_id=place,
                    start=booking.from_epoch_minutes(found[0].start),
                    person=Person("Filler", f"filler{len(made)}@example.de"),
                    now=NOW,
                )
            )
            uow.commit()
    waiting = []
    for who, language in (("Anna", "de"), ("Ben", "en")):
        with UnitOfWork(engine) as uow:
            entry, token = waitlist.join(
                uow, policy, service_id=service, location_id=place,
                person=Person(f"{who} Warte", f"{who.lower()}@example.de", language=language),
                now=NOW,
            )  # fmt: skip
            uow.commit()
            waiting.append((entry.id, token))
    (first_id, _), (second_id, token) = waiting
    for job in jobs(fresh_url, "mail.confirmation") + jobs(fresh_url, "mail.reminder"):
        with UnitOfWork(engine) as uow:  # only the waitlist mails are looked at here
            uow.session.delete(uow.session.get(t.Job, job.id))
            uow.commit()
    run_due(engine, settings, now=NOW)
    by_address = {m["To"]: m for m in inbox.messages}
    anna, ben = by_address["anna@example.de"], by_address["ben@example.de"]
    assert anna["Subject"] == "Sie stehen auf der Warteliste: Personalausweis beantragen"
    assert "Ihr Platz in der Reihe: 1" in body_of(anna)
    assert ben["Subject"] == "You are on the waitlist: Apply for a German ID card"
    assert "Your place in line: 2" in body_of(ben)
    assert f"{PUBLIC}/warteliste/{second_id}?token={token}" in body_of(ben).split()
    assert not list(ben.iter_attachments())

    inbox.messages.clear()
    with UnitOfWork(engine) as uow:
        booking.cancel(
            uow, policy, code=made[-1].appointment.code, token=made[-1].manage_token,
            now=NOW + timedelta(minutes=5),
        )  # fmt: skip
        uow.commit()
    run_due(engine, settings, now=NOW + timedelta(minutes=5))
    offers = [m for m in inbox.messages if m["To"] == "anna@example.de"]
    assert len(offers) == 1
    offer = offers[0]
    assert offer["Subject"].startswith("Ein Termin für Sie: ")
    body = " ".join(body_of(offer).split())
    assert "Wir halten diese Zeit bis Montag, 1. März 2027, 18:05 Uhr" in body  # 12 hours
    with UnitOfWork(engine) as uow:
        entry = uow.repo(AppointmentRepository).waitlist_entry(first_id)
        assert entry is not None and entry.appointment_id is not None
        held = uow.repo(AppointmentRepository).by_id(entry.appointment_id)
        assert held is not None and held.status == "offered"
        code = held.code
    token = booking.manage_token(SECRET.encode(), "appointment", code)
    assert f"{PUBLIC}/termin/{code}?token={token}" in body_of(offer).split()
    assert not list(offer.iter_attachments())  # an offer is not in the calendar yet


def test_mail_for_purged_or_deleted_rows_is_not_sent(settings: Settings, inbox: Inbox) -> None:
    done = book(settings)
    engine = get_engine(settings.database_url)
    with UnitOfWork(engine) as uow:
        row = uow.repo(AppointmentRepository).by_id(done.appointment.id)
        assert row is not None
        row.name = row.email = row.phone = ""
        row.purged = True
        uow.commit()
    assert run_due(engine, settings, now=NOW) == 1
    assert inbox.messages == []
    assert [j.status for j in jobs(settings.database_url, "mail.confirmation")] == ["done"]


def test_the_inline_worker_of_the_app_sends_the_confirmation(
    fresh_url: str, smtp: tuple[Inbox, int], inbox: Inbox
) -> None:
    settings = settings_for(
        fresh_url, smtp[1], worker="inline", worker_interval_seconds=0.2, rate_limits="off"
    )
    app = create_app(settings)
    today = datetime.now(BERLIN).date()
    with TestClient(app) as client:
        found = client.get(
            "/api/v1/slots",
            params={
                "service": SERVICE,
                "location": OFFICE,
                "from": (today + timedelta(days=1)).isoformat(),
                "to": (today + timedelta(days=21)).isoformat(),
            },
        ).json()["slots"]
        answer = client.post(
            "/api/v1/appointments",
            json={
                "services": [SERVICE],
                "location": OFFICE,
                "start": found[0]["start"],
                "name": "Inline Test",
                "email": "inline@example.de",
            },
        )
        assert answer.status_code == 201, answer.text
        booked = answer.json()
        deadline = clock.monotonic() + 20
        while not inbox.messages and clock.monotonic() < deadline:
            clock.sleep(0.1)
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "inline@example.de"
    link = f"{PUBLIC}/termin/{booked['code']}?token={booked['manage_token']}"
    assert link in body_of(mail).split()
    start = datetime.fromisoformat(booked["start"])
    assert event_of(mail).decoded("dtstart") == start
