"""Seed the demo appointment calendars (data/catalog/calendars.toml)."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from typing import Any

from auskunft.appointments import tables as t
from auskunft.appointments.model.calendar import parse_clock
from auskunft.appointments.repository import AppointmentRepository
from auskunft.catalog.service import reads as catalog
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import ImportFailed
from auskunft.core.hours import WEEKDAYS


def _load() -> list[dict[str, Any]]:
    text = (
        resources.files("auskunft.appointments").joinpath("data/calendars.toml").read_text("utf-8")
    )
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
        for service_id in catalog.bookable_service_ids(uow, kinds):
            durations[service_id] = int(entry["default_duration"])
    for service_id, minutes in entry.get("services", {}).items():
        durations[service_id] = int(minutes)
    return durations


def seed_demo_calendars(uow: UnitOfWork) -> int:
    """Create the demo locations with counters, hours and services; return how many."""
    made = 0
    for entry in _load():
        if uow.repo(AppointmentRepository).calendar(entry["id"]) is not None:
            continue
        authority = catalog.authority(uow, entry["authority"])
        if authority is None:
            continue  # a catalog without this authority (a test's small catalog)
        catalog.ensure_location(
            uow,
            entry["id"],
            authority.id,
            entry["name"],
            note="Demo-Terminkalender",
            slot_minutes=entry["grid"],
        )
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
            catalog.offer_at(uow, service_id, entry["id"], minutes)
        made += 1
    uow.session.flush()
    return made
