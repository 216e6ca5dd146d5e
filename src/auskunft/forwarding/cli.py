"""Commands of forwarding: auskunft service-calendar list | close | reopen, and auskunft
concerns escalate | purge | office-hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click

from auskunft.core.cli import work
from auskunft.core.config import get_settings
from auskunft.forwarding.service import calendar as service
from auskunft.forwarding.service import concerns

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


def _moment(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "ein Zeitpunkt nach ISO 8601 mit Zeitzone, z. B. 2026-12-07T09:00:00+01:00",
            param_hint="--now",
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter(
            "der Zeitpunkt braucht seine Zeitzone, z. B. 2026-12-07T09:00:00+01:00",
            param_hint="--now",
        )
    return moment.astimezone(UTC)


@click.group("concerns")
def concerns_group() -> None:
    """Concerns forwarded to the offices: escalation, deletion on schedule, offices' hours."""


@concerns_group.command("escalate")
@click.option("--now", "now_text", default=None, help="Run the pass as of this moment (ISO).")
def concerns_escalate(now_text: str | None) -> None:
    """One escalation pass: reminders at 75 % of the time, escalation at the due time (only
    in service time; what was sent once is not sent again)."""
    now = _moment(now_text)
    with work() as uow:
        done = concerns.escalate(uow, concerns.Policy.from_settings(get_settings()), now=now)
        uow.commit()
    if done.skipped_outside_service_time:
        click.echo("Außerhalb der Servicezeit: keine Erinnerungen und Eskalationen.")
        return
    click.echo(f"Erinnert: {done.reminded}, überfällig gemeldet: {done.overdue}")


@concerns_group.command("purge")
@click.option("--now", "now_text", default=None, help="Run as of this moment (ISO).")
def concerns_purge(now_text: str | None) -> None:
    """Delete the personal data of concerns closed longer than the retention."""
    now = _moment(now_text)
    with work() as uow:
        purged = concerns.purge(uow, concerns.Policy.from_settings(get_settings()), now=now)
        uow.commit()
    click.echo(f"Personenbezogene Daten gelöscht: {purged} Anliegen")


@concerns_group.command("office-hours")
@click.argument("authority")
@click.argument("hours", type=click.IntRange(1, 1000), required=False)
def concerns_office_hours(authority: str, hours: int | None) -> None:
    """Set the feedback hours an office promises (without HOURS: back to the default)."""
    with work() as uow:
        concerns.set_office_hours(uow, authority, hours)
        uow.commit()
    if hours is None:
        click.echo(f"{authority}: Rückmeldefrist wieder Standard.")
    else:
        click.echo(f"{authority}: Rückmeldung binnen {hours} Stunden Servicezeit.")
