"""The tables of the statistics pages, built once for the page and for its exports: the
month's days (calls, contacts, appointments), its partners and its concerns, and a
day's half hours and abandoned calls. Headings in German and English."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.statistics.service import reports
from auskunft.statistics.service.exports import Table
from auskunft.telephony.model.figures import Definition
from auskunft.telephony.service import figures

# (key, German heading, English heading, kind): kind says how a page shows the value.
Column = tuple[str, str, str, str]

CALL_COLUMNS: tuple[Column, ...] = (
    ("period", "Zeitraum", "Period", "text"),
    ("offered", "Angeboten", "Offered", "int"),
    ("answered", "Angenommen", "Answered", "int"),
    ("abandoned", "Aufgelegt (> Kurzabbruch)", "Abandoned (> short)", "int"),
    ("abandoned_short", "Kurzabbrüche", "Short abandons", "int"),
    ("answered_within_30s", "In Zielzeit angenommen", "Answered within target", "int"),
    ("service_level", "Servicelevel", "Service level", "pct"),
    ("asa_s", "Mittlere Wartezeit (s)", "Average speed of answer (s)", "sec"),
    ("aht_s", "Mittlere Gesprächszeit (s)", "Average handling time (s)", "sec"),
    ("abandonment_rate", "Abbruchquote", "Abandonment rate", "pct"),
    ("share_115", "Anteil 115", "115 share", "pct"),
)
CONTACT_COLUMNS: tuple[Column, ...] = (
    ("period", "Zeitraum", "Period", "text"),
    ("contacts", "Kontakte", "Contacts", "int"),
    ("answered", "Direkt beantwortet", "Answered directly", "int"),
    ("appointment", "Termin gebucht", "Appointment booked", "int"),
    ("forwarded", "Weitergeleitet", "Forwarded", "int"),
    ("other", "Sonstiges", "Other", "int"),
    ("called_again", "Erneut angerufen (7 Tage)", "Called again (7 days)", "int"),
    ("fcr", "Erstlösungsquote (gemessen)", "First-contact resolution (measured)", "pct"),
    ("fcr_self_reported", "Erstlösungsquote (selbst erfasst)", "FCR (self-reported)", "pct"),
    ("linked_share", "Mit Anruf verknüpft", "Linked to a call", "pct"),
)
APPOINTMENT_COLUMNS: tuple[Column, ...] = (
    ("period", "Zeitraum", "Period", "text"),
    ("booked", "Gebucht", "Booked", "int"),
    ("phone", "Telefonisch", "By phone", "int"),
    ("online", "Online", "Online", "int"),
    ("cancelled", "Davon storniert", "Cancelled since", "int"),
    ("phone_share", "Anteil telefonisch", "Phone share", "pct"),
)
PARTNER_COLUMNS: tuple[Column, ...] = (
    ("name", "Beteiligte Stelle", "Participant", "text"),
    ("participant", "Kennung", "Id", "text"),
    ("partner_label", "Partner", "Partner", "text"),
    ("contacts", "Kontakte", "Contacts", "int"),
)
CONCERN_COLUMNS: tuple[Column, ...] = (
    ("name", "Zuständige Stelle", "Authority", "text"),
    ("forwarded", "Weitergeleitet", "Forwarded", "int"),
    ("answered_in_time", "Rechtzeitig beantwortet", "Answered in time", "int"),
    ("answered_late", "Verspätet beantwortet", "Answered late", "int"),
    ("overdue", "Offen, überfällig", "Open, overdue", "int"),
    ("open", "Offen, in Frist", "Open, in time", "int"),
    ("in_time_rate", "Rückmeldung in Frist", "Feedback in time", "pct"),
)
TOPIC_COLUMNS: tuple[Column, ...] = (
    ("name", "Lebenslage", "Life situation", "text"),
    ("contacts", "Kontakte", "Contacts", "int"),
    ("share", "Anteil", "Share", "pct"),
)
SERVICE_COLUMNS: tuple[Column, ...] = (
    ("name", "Leistung", "Service", "text"),
    ("topic_name", "Lebenslage", "Life situation", "text"),
    ("contacts", "Kontakte", "Contacts", "int"),
    ("share", "Anteil", "Share", "pct"),
)
ABANDONED_COLUMNS: tuple[Column, ...] = (
    ("entered_at", "Anruf um", "Called at", "text"),
    ("wait_s", "Gewartet (s)", "Waited (s)", "int"),
    ("short_label", "Kurzabbruch", "Short abandon", "text"),
    ("result", "Ende", "End", "text"),
    ("channel", "Kanal", "Channel", "text"),
)


@dataclass(frozen=True)
class PageTable:
    """A table with its kinds of columns, for the page; `table` is what is exported."""

    table: Table
    kinds: Sequence[str]
    total: dict[str, Any] | None = None


def month_of(text: str | None, today: date) -> tuple[date, date]:
    """The first and last day of a month given as YYYY-MM (today's month without one)."""
    if not text:
        year, month = today.year, today.month
    else:
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise InvalidInput(
                f"„{text[:20]}“ ist kein Monat (JJJJ-MM).",
                message_en=f"'{text[:20]}' is no month (YYYY-MM).",
            ) from None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _table(
    name: str,
    title: tuple[str, str],
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    english: bool,
    *,
    total: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> PageTable:
    headings = [(key, en if english else de) for key, de, en, _ in columns]
    table = Table(name, title[1] if english else title[0], headings, list(rows), notes)
    return PageTable(table, [kind for *_, kind in columns], total)


def definition_notes(definition: Definition, english: bool) -> list[str]:
    if english:
        return [
            f"Service level: answered within {definition.within_s} s, formula "
            f"{definition.formula.value}; abandons within {definition.short_abandon_s} s "
            "are counted apart and left out of the rates (docs/statistics.md)."
        ]
    return [
        f"Servicelevel: angenommen in {definition.within_s} s, Formel "
        f"{definition.formula.value}; Abbrüche bis {definition.short_abandon_s} s zählen "
        "getrennt und nicht in den Quoten (docs/statistics.md)."
    ]


def year_of(text: str) -> tuple[date, date]:
    """The first and last day of a year given as YYYY."""
    try:
        year = int(text)
        first = date(year, 1, 1)
    except ValueError:
        raise InvalidInput(
            f"„{text[:20]}“ ist kein Jahr (JJJJ).", message_en=f"'{text[:20]}' is no year (YYYY)."
        ) from None
    return first, date(year, 12, 31)


def _partner_rows(
    partners: dict[str, Any], months: Sequence[str] | None, english: bool, rate: float | None
) -> list[dict[str, Any]]:
    """One row per participant, most contacts first; with `months`, a column per month."""
    per_month: dict[str, dict[str, int]] = {}
    for row in partners["rows"]:
        per_month.setdefault(row["participant"], {})[row["period"]] = row["contacts"]
    found = []
    for row in sorted(partners["total"], key=lambda r: (-r["contacts"], r["participant"])):
        entry = {
            **row,
            "partner_label": ("yes" if english else "ja") if row["partner"] else "",
            "amount": round(row["contacts"] * rate, 2)
            if rate is not None and row["partner"]
            else None,
        }
        for month in months or ():
            entry[month] = per_month.get(row["participant"], {}).get(month, 0)
        found.append(entry)
    return found


def period_tables(
    uow: UnitOfWork,
    first: date,
    last: date,
    definition: Definition,
    *,
    english: bool,
    group: str,
    name: str,
    partner_rate: float | None = None,
) -> dict[str, Any]:
    """Everything the month page (rows per day) or the year page (rows per month) shows."""
    calls = reports.call_report(uow, first, last, group=group, channel=None, definition=definition)
    contacts = reports.contact_report(uow, first, last, group=group, channel=None)
    bookings = reports.appointment_report(uow, first, last, group=group)
    partners = reports.partner_report(uow, first, last, group="month")
    concerns = reports.concern_report(uow, first, last, now=datetime.now(UTC))
    asked = reports.service_report(uow, first, last, english=english)
    months = sorted({row["period"] for row in partners["rows"]}) if group == "month" else None
    partner_columns = [
        *PARTNER_COLUMNS,
        *((m, m, m, "int") for m in months or ()),
        *((("amount", "Betrag (€)", "Amount (€)", "eur"),) if partner_rate is not None else ()),
    ]
    notes = definition_notes(definition, english)
    each = ("je Tag", "per day") if group == "day" else ("je Monat", "per month")
    rate_note = []
    if partner_rate is not None:
        rate_note = [
            f"Rate per contact: {partner_rate:.2f} € (AUSKUNFT_PARTNER_RATE_EUR)."
            if english
            else f"Verrechnungssatz je Kontakt: {partner_rate:.2f} € ".replace(".", ",")
            + "(AUSKUNFT_PARTNER_RATE_EUR)."
        ]
    return {
        "calls": calls,
        "contacts": contacts,
        "bookings": bookings,
        "concerns": concerns,
        "tables": {
            "anrufe": _table(
                f"anrufe-{name}", (f"Anrufe {each[0]}", f"Calls {each[1]}"), CALL_COLUMNS,
                calls["rows"], english, total=calls["total"], notes=notes,
            ),
            "kontakte": _table(
                f"kontakte-{name}", (f"Kontakte {each[0]}", f"Contacts {each[1]}"),
                CONTACT_COLUMNS, contacts["rows"], english, total=contacts["total"],
            ),
            "termine": _table(
                f"termine-{name}",
                (f"Gebuchte Termine {each[0]}", f"Appointments booked {each[1]}"),
                APPOINTMENT_COLUMNS, bookings["rows"], english, total=bookings["total"],
            ),
            "partner": _table(
                f"partner-{name}", ("Kontakte je Partner", "Contacts per partner"),
                partner_columns, _partner_rows(partners, months, english, partner_rate), english,
                notes=rate_note,
            ),
            "anliegen": _table(
                f"anliegen-{name}", ("Anliegen je Stelle", "Concerns per authority"),
                CONCERN_COLUMNS, concerns["rows"], english, total=concerns["total"],
            ),
            "themen": _table(
                f"themen-{name}", ("Kontakte je Lebenslage", "Contacts per life situation"),
                TOPIC_COLUMNS, asked["topics"], english,
            ),
            "leistungen": _table(
                f"leistungen-{name}", ("Kontakte je Leistung", "Contacts per service"),
                SERVICE_COLUMNS, asked["services"], english,
                notes=[
                    f"Without a service: {asked['without_service']} contacts."
                    if english
                    else f"Ohne Leistung: {asked['without_service']} Kontakte."
                ],
            ),
        },
    }  # fmt: skip


def day_tables(
    uow: UnitOfWork, day: date, definition: Definition, *, english: bool
) -> dict[str, Any]:
    """Everything the day page shows: the half hours and the abandoned calls."""
    calls = figures.call_report(
        uow, day, day, group="interval", channel=None, definition=definition
    )
    rows = [{**row, "period": row["period"][11:16]} for row in calls["rows"]]
    gone = [
        {
            **row,
            "entered_at": row["entered_at"][11:19],
            "short_label": ("yes" if english else "ja") if row["short"] else "",
        }
        for row in figures.abandoned_calls(uow, day, definition)
    ]
    name = day.isoformat()
    return {
        "calls": calls,
        "tables": {
            "intervalle": _table(
                f"intervalle-{name}", ("Anrufe je halbe Stunde", "Calls per half hour"),
                CALL_COLUMNS, rows, english, total=calls["total"],
                notes=definition_notes(definition, english),
            ),
            "abbrueche": _table(
                f"abbrueche-{name}", ("Nicht angenommene Anrufe", "Calls not answered"),
                ABANDONED_COLUMNS, gone, english,
            ),
        },
    }  # fmt: skip


PLAN_COLUMNS: tuple[Column, ...] = (
    ("start", "Beginn", "Start", "text"),
    ("calls", "Anrufe (Prognose)", "Calls (forecast)", "sec"),
    ("erlang_c_agents", "Agenten Erlang C", "Agents Erlang C", "int"),
    ("erlang_c_service_level", "Servicelevel Erlang C", "Service level Erlang C", "pct"),
    ("erlang_a_agents", "Agenten Erlang A", "Agents Erlang A", "int"),
    ("erlang_a_service_level", "Servicelevel Erlang A", "Service level Erlang A", "pct"),
    ("simulated_service_level", "Servicelevel simuliert", "Service level simulated", "pct"),
    ("agents_scheduled", "Einzuplanen (mit Ausfallquote)", "To schedule (with shrinkage)", "int"),
)


def plan_table(found: dict[str, Any], *, english: bool) -> PageTable:
    """The week's plan as a table (the start as local "Mo 04.03. 08:00")."""
    days = (
        ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
        if not english
        else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    )
    rows = []
    for row in found["intervals"]:
        start = datetime.fromisoformat(row["start"])
        label = f"{days[start.weekday()]} {start:%d.%m. %H:%M}"
        rows.append({**row, "start": label})
    notes = [
        (
            f"Model {found['model']}, target {found['target']:.0%} in {found['within_s']} s, "
            f"handling time {found['aht_s']} s, patience {found['patience_s']} s, "
            f"shrinkage {found['shrinkage']:.0%} (docs/staffing.md)."
        )
        if english
        else (
            f"Modell {found['model']}, Ziel {found['target']:.0%} in {found['within_s']} s, "
            f"Gesprächszeit {found['aht_s']} s, Geduld {found['patience_s']} s, "
            f"Ausfallquote {found['shrinkage']:.0%} (docs/staffing.md)."
        )
    ]
    return _table(
        f"personal-{found['week']}", ("Personalbedarf je halbe Stunde", "Staffing per half hour"),
        PLAN_COLUMNS, rows, english, notes=notes,
    )  # fmt: skip
