"""Commands for appointment calendars: auskunft calendar list | close | reopen."""

from __future__ import annotations

from datetime import datetime

import click

from auskunft.core.cli import work


@click.group()
def calendar() -> None:
    """Appointment calendars: list them, close a day or give it special hours."""


@calendar.command("list")
def calendar_list() -> None:
    """List the locations that take bookings, with counters and services."""
    from auskunft.appointments.service.calendars import overview

    with work() as uow:
        for loc in overview(uow):
            click.echo(
                f"{loc['id']:<34} {loc['counters']:>2} Schalter  {loc['services']:>2} Leistungen"
                f"  {loc['name']}"
            )


def _hours(values: tuple[str, ...]) -> list[tuple[int, int]]:
    from auskunft.appointments.model.calendar import parse_clock

    spans = []
    for value in values:
        opens, _, closes = value.partition("-")
        try:
            spans.append((parse_clock(opens), parse_clock(closes)))
        except ValueError:
            raise click.BadParameter(f"{value!r}: Zeiten wie 08:00-12:00 angeben") from None
    return spans


@calendar.command("close")
@click.argument("location")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--hours", multiple=True, help="Special hours instead of closing, e.g. 08:00-12:00.")
@click.option("--counter", default=None, help="Only this counter (by name).")
@click.option("--reason", default="", help="Why (shown to staff).")
def calendar_close(
    location: str, day: datetime, hours: tuple[str, ...], counter: str | None, reason: str
) -> None:
    """Close a day at a location (or one counter), or set its special hours."""
    from auskunft.appointments.service.calendars import set_day

    spans = _hours(hours)
    with work() as uow:
        booked = set_day(
            uow, location_id=location, day=day.date(), hours=spans, counter=counter, reason=reason
        )
        uow.commit()
    what = "Sonderöffnungszeiten gesetzt" if spans else "geschlossen"
    click.echo(f"{location} am {day.date():%d.%m.%Y}: {what}.")
    if booked:
        click.echo(
            f"Achtung: {booked} gebuchte Termine an diesem Tag; bitte die Personen "
            "benachrichtigen und die Termine absagen oder verschieben."
        )


@calendar.command("reopen")
@click.argument("location")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--counter", default=None, help="Only this counter (by name).")
def calendar_reopen(location: str, day: datetime, counter: str | None) -> None:
    """Drop a day's closure or special hours; the weekly hours apply again."""
    from auskunft.appointments.service.calendars import reset_day

    with work() as uow:
        removed = reset_day(uow, location_id=location, day=day.date(), counter=counter)
        uow.commit()
    click.echo(f"{location} am {day.date():%d.%m.%Y}: {removed} Ausnahme(n) entfernt.")
