"""Seed the demo appointment calendars (data/catalog/calendars.toml)."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select

from auskunft.db import tables as t
from auskunft.db.uow import UnitOfWork
from auskunft.domain.calendar import parse_clock
from auskunft.domain.catalog import WEEKDAYS
from auskunft.domain.errors import ImportFailed


def _load() -> list[dict[str, Any]]:
    text = resources.files("auskunft").joinpath("data/catalog/calendars.toml").read_text("utf-8")
    locations: list[dict[str, Any]] = tomllib.loads(text)["location"]
    return locations


def _spans(values: list[str], where: str) -> list[tuple[int, int]]:
    spans = []
    for value in values:
        opens, _, closes = value.partition("-")
        try:
            spans.append((parse_clock(opens), parse_clock(closes)))
        except ValueError as exc:
            raise ImportFailed(f"{where}: {exc}") from exc
    return spans


def _services(uow: UnitOfWork, entry: dict[str, Any]) -> dict[str, int]:
    durations: dict[str, int] = {}
    kinds = set(entry.get("kinds", []))
    if kinds:
        query = select(t.Service.id).where(t.Service.kind.in_(kinds), t.Service.appointment)
        for service_id in uow.session.scalars(query.order_by(t.Service.id)):
            durations[service_id] = int(entry["default_duration"])
    for service_id, minutes in entry.get("services", {}).items():
        durations[service_id] = int(minutes)
    return durations


def seed_demo_calendars(uow: UnitOfWork) -> int:
    """Create the demo locations with counters, hours and services; return how many."""
    made = 0
    for entry in _load():
        if uow.appointments.calendar(entry["id"]) is not None:
            continue
        authority = uow.catalog.authority(entry["authority"])
        if authority is None:
            continue  # a catalog without this authority (a test's small catalog)
        if uow.session.get(t.Location, entry["id"]) is None:
            uow.session.add(
                t.Location(
                    id=entry["id"],
                    authority_id=authority.id,
                    name=entry["name"],
                    street=authority.street,
                    postcode=authority.postcode,
                    city=authority.city,
                    phone=authority.phone,
                    email=authority.email,
                    web=authority.web,
                    note="Demo-Terminkalender",
                    slot_minutes=entry["grid"],
                )
            )
            uow.session.flush()
        uow.session.add(
            t.Calendar(
                location_id=entry["id"],
                kind=entry["kind"],
                grid_minutes=entry["grid"],
                buffer_minutes=entry.get("buffer", 0),
                horizon_days=entry.get("horizon_days"),
                lead_minutes=entry.get("lead_minutes"),
                phone_share=entry.get("phone_share"),
                version=1,
            )
        )
        uow.session.flush()
        counters: dict[str, t.Counter] = {}
        for group in entry["counters"]:
            valid_from = date.fromisoformat(group["valid_from"]) if "valid_from" in group else None
            valid_to = date.fromisoformat(group["valid_to"]) if "valid_to" in group else None
            for name in group["names"]:
                if name not in counters:
                    counters[name] = t.Counter(
                        location_id=entry["id"], name=name, position=len(counters)
                    )
                    uow.session.add(counters[name])
                    uow.session.flush()
                for day_key, values in group["hours"].items():
                    for opens, closes in _spans(values, f"{entry['id']} {name} {day_key}"):
                        uow.session.add(
                            t.OpeningRule(
                                counter_id=counters[name].id,
                                weekday=WEEKDAYS.index(day_key),
                                opens=opens,
                                closes=closes,
                                valid_from=valid_from,
                                valid_to=valid_to,
                            )
                        )
        for day in entry.get("closed", []):
            uow.session.add(
                t.CalendarException(
                    location_id=entry["id"], day=date.fromisoformat(day), reason="geschlossen"
                )
            )
        for special in entry.get("special", []):
            for opens, closes in _spans(special["hours"], f"{entry['id']} {special['day']}"):
                uow.session.add(
                    t.CalendarException(
                        location_id=entry["id"],
                        day=date.fromisoformat(special["day"]),
                        opens=opens,
                        closes=closes,
                        reason=special.get("reason", ""),
                    )
                )
        for service_id, minutes in _services(uow, entry).items():
            if uow.catalog.service(service_id) is None:
                continue
            link = uow.session.get(t.ServiceLocation, (service_id, entry["id"]))
            if link is None:
                uow.session.add(
                    t.ServiceLocation(
                        service_id=service_id,
                        location_id=entry["id"],
                        duration_minutes=minutes,
                        appointment=True,
                    )
                )
        made += 1
    uow.session.flush()
    return made
