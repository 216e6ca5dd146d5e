"""The day-by-day sums behind the reports, kept per past month (`figure_months`).

A month that has ended is summed once and kept as JSON; the current month is always
summed afresh. A kept month is dropped in the same transaction as any call or contact of
it is stored or changed (statistics/jobs.py listens to telephony's CallsStored and the
desk's ContactsChanged), so a kept figure is never older than the records. What a month
holds: the calls' sums per day (per definition of the service level), the contacts per
day, channel, outcome, called again and linked, and the contacts per service and
municipality (the partners' report resolves those to participants when read, so a
change of the catalog's jurisdiction shows at once).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Sequence
from dataclasses import astuple
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.desk import service as desk
from auskunft.statistics.repository import FigureRepository
from auskunft.telephony.model.figures import CallCounts, Definition
from auskunft.telephony.service import figures

CALLS = "calls"
CONTACTS = "contacts"
AREAS = "areas"
CONTACT_KINDS = (CONTACTS, AREAS)

Row = TypeVar("Row", bound=tuple[Any, ...])


def month_starts(first: date, last: date) -> list[date]:
    found = []
    month = first.replace(day=1)
    while month <= last:
        found.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return found


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _monthly(
    uow: UnitOfWork,
    kind: str,
    params: str,
    first: date,
    last: date,
    compute: Callable[[date, date], list[Row]],
    encode: Callable[[Row], list[Any]],
    decode: Callable[[list[Any]], Row],
    *,
    clip: bool = True,
) -> list[Row]:
    repo = uow.repo(FigureRepository)
    current = datetime.now(UTC).astimezone(BERLIN).date().replace(day=1)
    months = month_starts(first, last)
    kept = repo.kept(kind, [m for m in months if m < current], params)
    found: list[Row] = []
    for month in months:
        low, high = max(first, month), min(last, month_end(month))
        if month >= current or (not clip and (low, high) != (month, month_end(month))):
            found += compute(low, high)  # the current month, or a part of one unclipped
            continue
        payload = kept.get(month)
        if payload is not None:
            rows = [decode(item) for item in json.loads(payload)]
        else:
            rows = compute(month, month_end(month))
            _keep(uow, repo, kind, month, params, json.dumps([encode(r) for r in rows]))
        found += [r for r in rows if low <= r[0] <= high] if clip else rows
    return found


def _keep(
    uow: UnitOfWork, repo: FigureRepository, kind: str, month: date, params: str, payload: str
) -> None:
    """Keep a month's sums; another request keeping it at the same moment wins."""
    try:
        with uow.session.begin_nested():
            repo.keep(kind, month, params, payload, datetime.now(UTC))
    except IntegrityError:
        pass


def call_days(
    uow: UnitOfWork, first: date, last: date, definition: Definition
) -> list[tuple[date, CallCounts]]:
    """The calls' sums per local day, first..last."""

    def compute(low: date, high: date) -> list[tuple[date, CallCounts]]:
        return figures.day_counts(uow, low, high, definition)

    return _monthly(
        uow,
        CALLS,
        f"{definition.within_s}/{definition.short_abandon_s}",
        first,
        last,
        compute,
        lambda row: [row[0].isoformat(), list(astuple(row[1]))],
        lambda item: (date.fromisoformat(item[0]), CallCounts(*item[1])),
    )


def contact_days(
    uow: UnitOfWork, first: date, last: date
) -> list[tuple[date, str, str, bool, bool, int]]:
    """(day, channel, outcome, called again, linked, count) of the contacts first..last."""

    def compute(low: date, high: date) -> list[tuple[date, str, str, bool, bool, int]]:
        return desk.outcome_counts(uow, low, high, by_month=False)

    return _monthly(
        uow,
        CONTACTS,
        str(desk.REPEAT_WINDOW.days),
        first,
        last,
        compute,
        lambda row: [row[0].isoformat(), *row[1:]],
        lambda item: (date.fromisoformat(item[0]), *item[1:]),
    )


def area_months(
    uow: UnitOfWork, first: date, last: date
) -> list[tuple[date, str | None, str | None, int]]:
    """(first day of the month, service, municipality, count) of the contacts first..last."""

    def compute(low: date, high: date) -> list[tuple[date, str | None, str | None, int]]:
        return desk.service_area_counts(uow, low, high, by_month=True)

    return _monthly(
        uow,
        AREAS,
        "",
        first,
        last,
        compute,
        lambda row: [row[0].isoformat(), *row[1:]],
        lambda item: (date.fromisoformat(item[0]), *item[1:]),
        clip=False,
    )


def drop(uow: UnitOfWork, kinds: Sequence[str], days: Sequence[date]) -> None:
    """Forget the kept months of these days."""
    uow.repo(FigureRepository).drop(kinds, {day.replace(day=1) for day in days})
