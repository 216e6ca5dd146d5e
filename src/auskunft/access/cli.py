"""Commands for staff accounts and API tokens: auskunft user ... | token ..."""

from __future__ import annotations

import click

from auskunft.access.service import OfficeDirectory
from auskunft.core.cli import component, work
from auskunft.core.errors import AuskunftError


@click.group()
def user() -> None:
    """Staff accounts: create, list, set a password, unlock."""


def _password(generate: bool) -> tuple[str, bool]:
    """The new password: generated (and shown), or asked for twice without echo."""
    from auskunft.access.service import check_password, generate_password

    if generate:
        return generate_password(), True
    while True:
        password: str = click.prompt("Passwort", hide_input=True, confirmation_prompt=True)
        try:
            return check_password(password), False
        except AuskunftError as exc:
            click.echo(exc.message, err=True)


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["agent", "clerk", "editor", "supervisor", "admin"]),
    help="What the account is for.",
)
@click.option(
    "--authority",
    "authorities",
    multiple=True,
    metavar="AUTHORITY_ID",
    help="An authority (Behörde) of the catalog the account works for; repeatable.",
)
@click.option(
    "--participant",
    "participants",
    multiple=True,
    metavar="PARTICIPANT_ID",
    help="A network participant (partner) the account works for; repeatable.",
)
@click.option("--generate", is_flag=True, help="Generate a random password and print it once.")
def user_create(
    username: str,
    role: str,
    authorities: tuple[str, ...],
    participants: tuple[str, ...],
    generate: bool,
) -> None:
    """Create a staff account (the password is asked for, or generated with --generate)."""
    from datetime import UTC, datetime

    from auskunft.access.service import check_new_username, check_offices, create_user

    with work() as uow:
        check_new_username(uow, username)
        directory: OfficeDirectory = component("offices")
        check_offices(uow, authorities, participants, directory)
        password, shown = _password(generate)
        create_user(
            uow,
            username,
            role,
            password,
            datetime.now(UTC),
            authorities=authorities,
            participants=participants,
            offices=directory,
        )
        uow.commit()
    click.echo(f"Benutzer {username} ({role}) angelegt.")
    offices = _offices(frozenset(authorities), frozenset(participants))
    if offices:
        click.echo(f"Dienststellen: {offices}")
    elif role == "clerk":
        click.echo(
            "Hinweis: Das Konto gehört zu keiner Behörde und keinem Verbundteilnehmer "
            "(--authority, --participant) und sieht darum keine Termine von Besuchern.",
            err=True,
        )
    if shown:
        click.echo(f"Passwort (wird nur jetzt angezeigt): {password}")


def _offices(authorities: frozenset[str], participants: frozenset[str]) -> str:
    """An account's offices in one line: "Behörden: a, b; Verbundteilnehmer: p"."""
    parts = []
    if authorities:
        parts.append("Behörden: " + ", ".join(sorted(authorities)))
    if participants:
        parts.append("Verbundteilnehmer: " + ", ".join(sorted(participants)))
    return "; ".join(parts)


@user.command("list")
def user_list() -> None:
    """List the staff accounts."""
    from datetime import UTC, datetime

    from auskunft.access.service import list_users

    with work() as uow:
        accounts = list_users(uow, datetime.now(UTC))
    for row in accounts:
        flags = (("demo", row.demo), ("gesperrt", row.locked), ("verzeichnis", row.directory))
        marks = " ".join(m for m, on in flags if on)
        offices = _offices(row.authorities, row.participants)
        click.echo(f"{row.username:<24} {row.role:<11} {marks:<13} {offices}".rstrip())


@user.command("password")
@click.argument("username")
@click.option("--generate", is_flag=True, help="Generate a random password and print it once.")
def user_password(username: str, generate: bool) -> None:
    """Set a new password; the account's sessions end."""
    from auskunft.access.service import get_user, set_password

    with work() as uow:
        get_user(uow, username)
        password, shown = _password(generate)
        set_password(uow, username, password)
        uow.commit()
    click.echo(f"Passwort von {username} geändert; alle Sitzungen sind beendet.")
    if shown:
        click.echo(f"Passwort (wird nur jetzt angezeigt): {password}")


@user.command("unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Forget the failed logins of a name (its logins need no proof of work any more)."""
    from auskunft.access.service import unlock

    with work() as uow:
        unlock(uow, username)
        uow.commit()
    click.echo(f"Die Fehlversuche für {username} sind vergessen.")


@click.group()
def token() -> None:
    """API tokens of integrations (telephony): create, revoke."""


@token.command("create")
@click.argument("name")
@click.option(
    "--user",
    "username",
    default=None,
    metavar="USERNAME",
    help="A staff member's own token: the JSON API with their role and offices.",
)
def token_create(name: str, username: str | None) -> None:
    """Create a token (printed once): an integration's, or with --user a staff member's."""
    from datetime import UTC, datetime

    from auskunft.access.service import create_api_token

    with work() as uow:
        value = create_api_token(uow, name, datetime.now(UTC), username=username)
        uow.commit()
    if username is None:
        click.echo(f"Token {name} (wird nur jetzt angezeigt): {value}")
        return
    click.echo(f"Persönliches Token {name} für {username} (wird nur jetzt angezeigt):")
    click.echo(value)


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Withdraw a token."""
    from auskunft.access.service import revoke_api_token

    with work() as uow:
        revoke_api_token(uow, name)
        uow.commit()
    click.echo(f"Token {name} ist zurückgezogen.")
