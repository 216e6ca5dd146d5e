"""Commands for the service center's calendar: auskunft service-calendar list | close | reopen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click

from auskunft.core.cli import work
from auskunft.forwarding.service import calendar as service

DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("service-calendar")
def service_calendar() -> None:
    """The service center's closure days, which the feedback clock skips."""


@service_calendar.command("list")
def closure_list() -> None:
    """List the closure days from today on."""
    today = datetime.now(UTC).date()
    with work() as uow:
        rows = service.closures(uow, first=today, last=today + timedelta(days=3 * 366))
    if not rows:
        click.echo("Keine Schließtage eingetragen.")
    for row in rows:
        shown = date.fromisoformat(row["day"])
        click.echo(f"{shown:%d.%m.%Y}  {row['reason']}".rstrip())


@service_calendar.command("close")
@click.argument("day", type=DAY)
@click.option("--reason", default="", help="Why the service center is closed (shown to staff).")
def closure_add(day: datetime, reason: str) -> None:
    """Close the service center on a day; feedback deadlines skip it."""
    with work() as uow:
        service.close_day(uow, day=day.date(), reason=reason, staff_id=None, now=datetime.now(UTC))
        uow.commit()
    click.echo(f"{day.date():%d.%m.%Y}: Schließtag eingetragen.")


@service_calendar.command("reopen")
@click.argument("day", type=DAY)
def closure_remove(day: datetime) -> None:
    """Take a closure day back."""
    with work() as uow:
        service.reopen_day(uow, day=day.date())
        uow.commit()
    click.echo(f"{day.date():%d.%m.%Y}: Schließtag entfernt.")
