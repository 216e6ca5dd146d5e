"""Reading values that pages and the API take from forms and addresses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Path

from auskunft.core.errors import InvalidInput


def parse_day(value: str) -> date | None:
    """A day from a form ("YYYY-MM-DD"); None when empty."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise InvalidInput(
            "Bitte einen Tag im Format JJJJ-MM-TT angeben.",
            message_en="Please give a day as YYYY-MM-DD.",
        ) from exc


# Pages that list days (a day list, an agenda) take days this many years around today;
# further off, nothing can be listed and the date arithmetic near the years 1 and 9999
# overflows.
PLAUSIBLE_YEARS = 10


def plausible_day(day: date, *, today: date, years: int = PLAUSIBLE_YEARS) -> date:
    """The day, if it lies within `years` of today; InvalidInput (422) otherwise."""
    reach = timedelta(days=366 * years)
    earliest, latest = today - reach, today + reach
    if not earliest <= day <= latest:
        raise InvalidInput(
            f"Bitte einen Tag zwischen dem {earliest:%d.%m.%Y} und dem {latest:%d.%m.%Y} angeben.",
            message_en=f"Please give a day between {earliest.isoformat()} and "
            f"{latest.isoformat()}.",
        )
    return day


def parse_plausible_day(value: str, *, today: date, years: int = PLAUSIBLE_YEARS) -> date | None:
    """A day from a form ("YYYY-MM-DD") within `years` of today; None when empty."""
    day = parse_day(value)
    return None if day is None else plausible_day(day, today=today, years=years)


# The largest row number the stores keep (PostgreSQL's integer); a larger one in an address
# is a 422, not an overflow in the database driver (SQLite stops at 2**63 - 1).
ROW_ID_MAX = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="a row's number")]
