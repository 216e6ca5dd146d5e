"""The figures beyond the calls: contacts with first-contact resolution (measured and
self-reported), contacts per partner for the billing between partners, appointments
by booking channel, concerns per authority. The definitions are in docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auskunft.appointments.service import figures as appointment_figures
from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY, Jurisdiction
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import NotFound
from auskunft.core.hours import BERLIN
from auskunft.desk import service as desk
from auskunft.forwarding.service import concerns
from auskunft.statistics.service import kept
from auskunft.telephony.model.figures import GROUPS as CALL_GROUPS
from auskunft.telephony.model.figures import CallCounts, Definition, grouped, period_of
from auskunft.telephony.service import figures
from auskunft.telephony.service.figures import check_choice, check_range

# Contacts, partners and appointments are reported per day and longer (they carry no
# half hour); calls also per interval.
GROUPS = ("day", "week", "month", "year")
CONTACT_CHANNELS = desk.CHANNELS
# The City of Kassel runs the service center; every other participant is a partner
# whose contacts the billing between partners counts.
HOST = "stadt-kassel"
NO_SERVICE = "-"  # contacts without a service: no participant can be named


def _check(first: date, last: date, group: str) -> None:
    check_range(first, last)
    check_choice(group, GROUPS, "Gruppierung", "grouping")


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def local_start(day: date) -> datetime:
    """The first moment of a local day, in UTC."""
    return datetime.combine(day, time(0), BERLIN).astimezone(UTC)


def _periods(first: date, last: date, group: str, days: Iterable[date]) -> dict[date, str]:
    return {day: period_of(max(day, first), None, group) for day in days}


def call_report(
    uow: UnitOfWork,
    first: date,
    last: date,
    *,
    group: str,
    channel: str | None,
    definition: Definition,
) -> dict[str, Any]:
    """The call figures (telephony/model/figures.py), from the kept daily sums where they
    serve: all channels, per day or longer; per half hour or per channel from the calls."""
    if channel is not None or group == "interval":
        return figures.call_report(
            uow, first, last, group=group, channel=channel, definition=definition
        )
    check_range(first, last)
    check_choice(group, CALL_GROUPS, "Gruppierung", "grouping")
    rows = [(day, None, counts) for day, counts in kept.call_days(uow, first, last, definition)]
    periods = grouped(rows, group)
    total = CallCounts()
    for _, counts in periods:
        total.add(counts)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group": group,
        "channel": channel,
        "definition": definition.as_dict(),
        "rows": [counts.row(period, definition) for period, counts in periods],
        "total": total.row("total", definition),
    }


def contact_report(
    uow: UnitOfWork, first: date, last: date, *, group: str, channel: str | None
) -> dict[str, Any]:
    """Contacts per period: how they ended, and first-contact resolution measured (no call
    by the same caller about the same service within 7 days) beside self-reported."""
    _check(first, last, group)
    check_choice(channel, CONTACT_CHANNELS, "Kanal", "channel")
    counted = kept.contact_days(uow, first, last)
    sums: dict[str, dict[str, int]] = {}
    total = _empty_contacts()
    labels = _periods(first, last, group, {row[0] for row in counted})
    for day, row_channel, outcome, called_again, linked, count in sorted(counted):
        if channel is not None and row_channel != channel:
            continue
        period = sums.setdefault(labels[day], _empty_contacts())
        for target in (period, total):
            target["contacts"] += count
            target[outcome] += count
            if linked:
                target["linked"] += count
            if called_again:
                target["called_again"] += count
            if outcome in desk.RESOLVED:
                target["resolved_self_reported"] += count
                if not called_again:
                    target["resolved"] += count
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group": group,
        "channel": channel,
        "definition": {
            "resolved_outcomes": list(desk.RESOLVED),
            "repeat_window_days": desk.REPEAT_WINDOW.days,
        },
        "rows": [_contact_row(period, counts) for period, counts in sums.items()],
        "total": _contact_row("total", total),
    }


def _empty_contacts() -> dict[str, int]:
    keys = ("contacts", "linked", "called_again", "resolved", "resolved_self_reported")
    return dict.fromkeys((*keys, *desk.OUTCOMES), 0)


def _contact_row(period: str, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "period": period,
        **counts,
        "fcr": _ratio(counts["resolved"], counts["contacts"]),
        "fcr_self_reported": _ratio(counts["resolved_self_reported"], counts["contacts"]),
        "linked_share": _ratio(counts["linked"], counts["contacts"]),
    }


class Participants:
    """Whose a contact was: the participant running the authority responsible for its
    service in the caller's municipality (the catalog's jurisdiction rule; Kassel when the
    agent named no municipality), else the participant of the service itself."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.services = {s.id: (s.kind, s.participant_id) for s in catalog_reads.services(uow)}
        self.jurisdiction = Jurisdiction.build(
            catalog_reads.areas(uow), catalog_reads.authorities(uow)
        )
        self.names = catalog_reads.participants(uow)
        self._found: dict[tuple[str | None, str | None], str] = {}

    def of(self, service_id: str | None, municipality: str | None) -> str:
        key = (service_id, municipality)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._resolve(service_id, municipality)
        return found

    def _resolve(self, service_id: str | None, municipality: str | None) -> str:
        service = self.services.get(service_id) if service_id else None
        if service is None:
            return NO_SERVICE
        kind, own = service
        try:
            authority = self.jurisdiction.responsible(kind, municipality or DEFAULT_MUNICIPALITY)
        except NotFound:
            authority = None
        return authority.participant if authority is not None else own

    def describe(self, participant: str) -> tuple[str, bool]:
        """(name, is a partner) of a participant."""
        if participant == NO_SERVICE:
            return "ohne Leistung", False
        name, kind = self.names.get(participant, (participant, ""))
        return name, participant != HOST and kind in ("partner", "kommune")


def partner_report(uow: UnitOfWork, first: date, last: date, *, group: str) -> dict[str, Any]:
    """Contacts per period and participant (for the billing between the partners)."""
    _check(first, last, group)
    counted = kept.area_months(uow, first, last)
    participants = Participants(uow)
    labels = _periods(first, last, group, {row[0] for row in counted})
    sums: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    for day, service_id, municipality, count in counted:
        participant = participants.of(service_id, municipality)
        key = (labels[day], participant)
        sums[key] = sums.get(key, 0) + count
        totals[participant] = totals.get(participant, 0) + count

    def row(period: str, participant: str, contacts: int) -> dict[str, Any]:
        name, partner = participants.describe(participant)
        return {
            "period": period,
            "participant": participant,
            "name": name,
            "partner": partner,
            "contacts": contacts,
        }

    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group": group,
        "rows": [row(period, who, n) for (period, who), n in sorted(sums.items())],
        "total": [row("total", who, n) for who, n in sorted(totals.items())],
    }


def appointment_report(uow: UnitOfWork, first: date, last: date, *, group: str) -> dict[str, Any]:
    """Visits booked per period, by phone (the desk) and online (the citizen)."""
    _check(first, last, group)
    booked = appointment_figures.bookings(
        uow, local_start(first), local_start(last + timedelta(days=1))
    )
    sums: dict[str, dict[str, int]] = {}
    total = {"phone": 0, "online": 0, "cancelled": 0}
    for day, channel, status in sorted(booked):
        period = sums.setdefault(
            period_of(day, None, group), {"phone": 0, "online": 0, "cancelled": 0}
        )
        for target in (period, total):
            target[channel] += 1
            if status == "cancelled":
                target["cancelled"] += 1

    def row(period: str, counts: dict[str, int]) -> dict[str, Any]:
        booked = counts["phone"] + counts["online"]
        return {
            "period": period,
            "booked": booked,
            **counts,
            "phone_share": _ratio(counts["phone"], booked),
        }

    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group": group,
        "rows": [row(period, counts) for period, counts in sums.items()],
        "total": row("total", total),
    }


def concern_report(uow: UnitOfWork, first: date, last: date, *, now: datetime) -> dict[str, Any]:
    """Concerns received in the days first..last, per responsible authority."""
    check_range(first, last)
    rows = concerns.per_authority(
        uow, local_start(first), local_start(last + timedelta(days=1)), now=now
    )
    keys = ("forwarded", "answered_in_time", "answered_late", "overdue", "open")
    total: dict[str, Any] = {key: sum(row[key] for row in rows) for key in keys}
    judged = total["answered_in_time"] + total["answered_late"] + total["overdue"]
    total["in_time_rate"] = _ratio(total["answered_in_time"], judged)
    return {"from": first.isoformat(), "to": last.isoformat(), "rows": rows, "total": total}


def service_report(
    uow: UnitOfWork, first: date, last: date, *, english: bool = False
) -> dict[str, Any]:
    """Contacts per service and per topic (life situation) of the days first..last, most
    asked first; contacts without a service are counted apart."""
    check_range(first, last)
    counted = kept.area_months(uow, first, last)
    services = {s.id: s for s in catalog_reads.services(uow)}
    topics = {x.id: (x.name_en or x.name) if english else x.name for x in catalog_reads.topics(uow)}
    per_service: dict[str, int] = {}
    without = 0
    for _month, service_id, _municipality, count in counted:
        if service_id is None:
            without += count
        else:
            per_service[service_id] = per_service.get(service_id, 0) + count
    total = sum(per_service.values()) + without
    per_topic: dict[str, int] = {}
    rows = []
    for service_id, count in sorted(per_service.items(), key=lambda item: (-item[1], item[0])):
        service = services.get(service_id)
        topic = (service.topic_id or "") if service is not None else ""
        per_topic[topic] = per_topic.get(topic, 0) + count
        name = service_id
        if service is not None:
            name = (service.name_en or service.name) if english else service.name
        rows.append(
            {
                "service": service_id,
                "name": name,
                "topic": topic,
                "topic_name": topics.get(topic, topic),
                "contacts": count,
                "share": _ratio(count, total),
            }
        )
    topic_rows = [
        {"topic": topic, "name": topics.get(topic, topic), "contacts": count,
         "share": _ratio(count, total)}
        for topic, count in sorted(per_topic.items(), key=lambda item: (-item[1], item[0]))
    ]  # fmt: skip
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "services": rows,
        "topics": topic_rows,
        "without_service": without,
        "contacts": total,
    }
