"""Staff accounts: Argon2id passwords or the directory (LDAP), offices, the login throttle,
server-side sessions, demo accounts, API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auskunft.access import tables as t
from auskunft.access.directory import Directory, Grant
from auskunft.access.repository import LoginFailureRepository, Offices, StaffRepository
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import (
    AccountLocked,
    Conflict,
    Forbidden,
    InvalidInput,
    LimitReached,
    NotAuthenticated,
)
from auskunft.core.principal import ROLES
from auskunft.core.principal import Login as Login  # the web edge imports it from here

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Argon2id with the library's defaults (RFC 9106's second recommended profile).
_hasher = PasswordHasher()
# Verified against when a user name is unknown, so both cases take as long.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_hex(16))
# The password hash of a directory user's row: no password matches it (not a hash at all).
DIRECTORY_PASSWORD = "!directory"
LOCAL = "local"
LDAP = "ldap"
log = logging.getLogger("auskunft.access")
# A session's last-seen time is written at most this often (one write a minute, not a request).
_TOUCH_EVERY = timedelta(seconds=60)
# The office of the demo clerk, when the catalog has it (the demo catalog does).
DEMO_CLERK_AUTHORITY = "kassel-buergerbuero"


class OfficeDirectory(Protocol):
    """Which offices exist: the catalog's answer, handed in by the caller.

    The access slice stands below the catalog in the order of the slices (the
    import-linter contract "slices" in pyproject.toml), so it cannot ask the catalog
    itself; the composition (cli, bootstrap, tests) passes the module
    `auskunft.catalog.service.reads`, which is such a directory.
    """

    def authority(self, uow: UnitOfWork, authority_id: str, /) -> object | None: ...

    def participant_ids(self, uow: UnitOfWork, /) -> Collection[str]: ...


@dataclass(frozen=True)
class StaffAccount:
    """An account as the staff list shows it."""

    username: str
    role: str
    demo: bool
    locked: bool
    authorities: frozenset[str]
    participants: frozenset[str]
    directory: bool = False  # managed by the directory (LDAP), no local password


@dataclass(frozen=True)
class LoginPolicy:
    """How logins behave; built from the settings at the web and CLI edges.

    Failed logins are counted per user name (whether an account has it or not) and per
    client address over `window`. From `max_failures` on, a login for that name must
    bring a proof of work, twice as hard with every further failure (up to 32 times
    `proof_base`): a browser solves it in seconds, a password guesser pays it for every
    guess, and nobody can lock a colleague out. From `max_failures` failures from one
    address, logins from there bring the plain proof; an address with `client_limit`
    failures in the window is refused until it has waited (the accounts are not).
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    client_limit: int = 30
    proof_base: int = 50_000
    lifetime: timedelta = timedelta(hours=10)
    idle: timedelta = timedelta(hours=2)
    allow_demo: bool = True


def token_hash(token: str) -> str:
    """What is stored of a session or API token: its SHA-256 (the token has 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> str:
    """Return the user name if it is well-formed, else raise InvalidInput."""
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "Benutzernamen bestehen aus 2 bis 64 Kleinbuchstaben, Ziffern, Punkt, "
            "Binde- oder Unterstrich und beginnen mit einem Buchstaben oder einer Ziffer.",
            message_en="User names are 2 to 64 lower-case letters, digits, dot, hyphen or "
            "underscore, starting with a letter or a digit.",
        )
    return username


def check_password(password: str) -> str:
    """Return the password if it is long enough (length is what counts), else raise."""
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Das Passwort muss {MIN_PASSWORD_LENGTH} bis {MAX_PASSWORD_LENGTH} Zeichen lang sein.",
            message_en=f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
            "characters long.",
        )
    return password


def generate_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def create_user(
    uow: UnitOfWork,
    username: str,
    role: str,
    password: str,
    now: datetime,
    *,
    demo: bool = False,
    authorities: Sequence[str] = (),
    participants: Sequence[str] = (),
    offices: OfficeDirectory | None = None,
) -> t.StaffUser:
    """Add a staff account, member of these authorities and participants; the caller commits.

    Office ids are checked against `offices` (the catalog); an unknown one raises
    InvalidInput before anything is stored.
    """
    check_username(username)
    if role not in ROLES:
        raise InvalidInput(
            f"Unbekannte Rolle „{role[:40]}“; möglich sind {', '.join(ROLES)}.",
            message_en=f"Unknown role '{role[:40]}'; possible are {', '.join(ROLES)}.",
        )
    check_password(password)
    check_new_username(uow, username)
    own = check_offices(uow, authorities, participants, offices)
    user = t.StaffUser(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        demo=demo,
        failed_logins=0,
        created_at=now,
    )
    uow.repo(StaffRepository).add(user)
    uow.repo(StaffRepository).flush()
    if own.authorities or own.participants:
        uow.repo(StaffRepository).add_offices(user.id, own.authorities, own.participants)
        uow.repo(StaffRepository).flush()
    staff_acted(uow, None, "account.created", "account", username, role, actor="system")
    return user


def check_offices(
    uow: UnitOfWork,
    authorities: Sequence[str],
    participants: Sequence[str],
    offices: OfficeDirectory | None,
) -> Offices:
    """The offices named, if the catalog knows each of them; InvalidInput otherwise."""
    if not authorities and not participants:
        return Offices()
    if offices is None:
        raise TypeError("checking office ids needs the catalog's OfficeDirectory")
    unknown = [a for a in dict.fromkeys(authorities) if offices.authority(uow, a) is None]
    if unknown:
        raise _not_in_catalog(
            unknown,
            ("Die Behörde", "Diese Behörden"),
            ("There is no authority", "These authorities are"),
        )
    known = offices.participant_ids(uow) if participants else ()
    missing = [p for p in dict.fromkeys(participants) if p not in known]
    if missing:
        raise _not_in_catalog(
            missing,
            ("Den Verbundteilnehmer", "Diese Verbundteilnehmer"),
            ("There is no network participant", "These network participants are"),
        )
    return Offices(frozenset(authorities), frozenset(participants))


def _not_in_catalog(
    ids: list[str], german: tuple[str, str], english: tuple[str, str]
) -> InvalidInput:
    """The refusal that names every unknown office id (one, or several)."""
    names = ", ".join(f"„{i[:120]}“" for i in ids)
    names_en = ", ".join(f"'{i[:120]}'" for i in ids)
    if len(ids) == 1:
        return InvalidInput(
            f"{german[0]} {names} gibt es im Katalog nicht.",
            message_en=f"{english[0]} {names_en} in the catalog.",
        )
    return InvalidInput(
        f"{german[1]} gibt es im Katalog nicht: {names}.",
        message_en=f"{english[1]} not in the catalog: {names_en}.",
    )


def offices_of(uow: UnitOfWork, username: str) -> Offices:
    """The authorities and participants the account of this name belongs to."""
    return uow.repo(StaffRepository).offices(get_user(uow, username).id)


def has_accounts(uow: UnitOfWork, authority_id: str) -> bool:
    """Whether the authority works in the product (some staff account belongs to it)."""
    return uow.repo(StaffRepository).staffed(authority_id)


def username_of(uow: UnitOfWork, user_id: int | None) -> str | None:
    """The user name of an account, None when there is none."""
    return uow.repo(StaffRepository).username(user_id) if user_id is not None else None


def list_users(uow: UnitOfWork, now: datetime) -> list[StaffAccount]:
    """Every account with its role, marks and offices, by user name (two queries)."""
    repo = uow.repo(StaffRepository)
    users = repo.users()
    offices = repo.offices_of([u.id for u in users])
    accounts = []
    for user in users:
        own = offices.get(user.id, Offices())
        accounts.append(
            StaffAccount(
                username=user.username,
                role=user.role,
                demo=user.demo,
                locked=is_locked(user, now),
                authorities=own.authorities,
                participants=own.participants,
                directory=user.source == LDAP,
            )
        )
    return accounts


def check_new_username(uow: UnitOfWork, username: str) -> None:
    """Raise InvalidInput or Conflict unless the name is well-formed and free."""
    check_username(username)
    if uow.repo(StaffRepository).user_by_name(username) is not None:
        raise Conflict(
            f"Den Benutzer „{username}“ gibt es schon.",
            message_en=f"The user '{username}' exists already.",
        )


def get_user(uow: UnitOfWork, username: str) -> t.StaffUser:
    """The account of this name, or InvalidInput."""
    user = uow.repo(StaffRepository).user_by_name(username)
    if user is None:
        raise InvalidInput(
            f"Den Benutzer „{username[:64]}“ gibt es nicht.",
            message_en=f"There is no user '{username[:64]}'.",
        )
    return user


def set_password(uow: UnitOfWork, username: str, password: str) -> None:
    """Replace a password; every session of the account ends. The caller commits."""
    user = get_user(uow, username)
    if user.source == LDAP:
        raise InvalidInput(
            f"Das Konto „{username[:64]}“ wird im Verzeichnisdienst verwaltet; sein Passwort "
            "wird dort geändert.",
            message_en=f"The account '{username[:64]}' is managed by the directory; its "
            "password is changed there.",
        )
    user.password_hash = _hasher.hash(check_password(password))
    user.failed_logins = 0
    user.locked_until = None
    uow.repo(StaffRepository).delete_sessions_of(user.id)
    staff_acted(uow, None, "account.password_set", "account", username, actor="system")


def unlock(uow: UnitOfWork, username: str) -> None:
    """Forget the failed logins of a name (no proof of work asked for it any more) and
    lift a lockout of the old rule. The caller commits."""
    uow.repo(LoginFailureRepository).clear(_name_key(username))
    user = get_user(uow, username)
    user.failed_logins = 0
    user.locked_until = None
    staff_acted(uow, None, "account.unlocked", "account", username, actor="system")


def ensure_demo_accounts(
    uow: UnitOfWork, now: datetime, offices: OfficeDirectory | None = None
) -> list[tuple[str, str, str]]:
    """Create one demo account per role unless demo accounts exist.

    The demo clerk works at the Kassel Bürgerbüro when `offices` (the catalog) has it;
    a demo clerk of an older installation without any office is put there too.
    Returns (user name, role, password) of the accounts created now: the only
    moment their passwords are known, since only hashes are stored.
    """
    repo = uow.repo(StaffRepository)
    office = (
        [DEMO_CLERK_AUTHORITY]
        if offices is not None and offices.authority(uow, DEMO_CLERK_AUTHORITY) is not None
        else []
    )
    existing = repo.demo_users()
    if existing:
        for clerk in (u for u in existing if u.role == "clerk" and office):
            if repo.offices(clerk.id) == Offices():
                repo.add_offices(clerk.id, office, ())
        return []
    created = []
    for role in ROLES:
        password = generate_password()
        create_user(
            uow,
            f"demo-{role}",
            role,
            password,
            now,
            demo=True,
            authorities=office if role == "clerk" else (),
            offices=offices,
        )
        created.append((f"demo-{role}", role, password))
    return created


def is_locked(user: t.StaffUser, now: datetime) -> bool:
    """Whether the account is waiting out a lockout."""
    return user.locked_until is not None and user.locked_until > now


@dataclass(frozen=True)
class Gate:
    """What a login attempt for a name from an address must bring, before any password
    is checked: nothing, a proof of work up to `proof_max`, or nothing at all until
    `blocked_until` (too many failures from the address)."""

    proof_max: int | None
    blocked_until: datetime | None
    # Whether the proof is asked because of the address's failures (then for any name).
    for_address: bool = False


@dataclass(frozen=True)
class Attempt:
    """A login attempt past its gate: the stored hash to check the password against (a
    dummy one for a name no local account has, so both take as long), the account's id,
    and whether the directory is asked (a name without a local account, with the
    directory login on)."""

    username: str
    client: str
    user_id: int | None
    stored_hash: str
    directory: bool = False


@dataclass(frozen=True)
class Verdict:
    """What the expensive check found: whether the password is right and, for a directory
    user, what their groups give (None: no mapped group, refused like a wrong password)."""

    correct: bool
    grant: Grant | None = None


MAX_DOUBLINGS = 5  # the hardest proof asked is 2**5 = 32 times the base
PROOF_PURPOSE = "login"


def _name_key(username: str) -> str:
    return "name:" + hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:64]


def name_digest(username: str) -> str:
    """A short digest of a typed name, for keys that must not hold the name itself."""
    return _name_key(username)[5:37]


def _client_key(client: str) -> str:
    return "client:" + client[:72]


def login_gate(
    uow: UnitOfWork, username: str, client: str, policy: LoginPolicy, now: datetime
) -> Gate:
    """What an attempt for this name from this address must bring (no account is read:
    the answer is the same for names that exist and names that do not)."""
    since = now - policy.window
    found = uow.repo(LoginFailureRepository).counts(
        [_name_key(username), _client_key(client)], since
    )
    by_name = found.get(_name_key(username), (0, now))[0]
    by_client, client_last = found.get(_client_key(client), (0, now))
    blocked = client_last + policy.window if by_client >= policy.client_limit else None
    # The name's failures make its proof harder each time; an address's failures (many
    # colleagues behind one address mistype too) only ask for the plain one.
    level = by_name - policy.max_failures
    if level < 0 and by_client >= policy.max_failures:
        level = 0
    proof = policy.proof_base << min(level, MAX_DOUBLINGS) if level >= 0 else None
    return Gate(
        proof_max=proof,
        blocked_until=blocked,
        for_address=by_client >= policy.max_failures,
    )


def proof_params(username: str, max_number: int) -> dict[str, str]:
    """What a login's proof of work is issued for (signed into its salt): the name and
    how hard it is."""
    return {"for": PROOF_PURPOSE, "name": _name_key(username)[5:37], "max": str(max_number)}


def proof_fits(params: dict[str, str], username: str, required: int) -> bool:
    """Whether an accepted proof was issued for this name and at least this hard."""
    wanted = proof_params(username, required)
    issued = params.get("max", "")
    return (
        params.get("for") == wanted["for"]
        and params.get("name") == wanted["name"]
        and issued.isdigit()
        and int(issued) >= required
    )


def begin_login(uow: UnitOfWork, username: str, client: str, *, directory: bool = False) -> Attempt:
    """Find the account behind a name (after the gate let the attempt through).

    With the directory login on (`directory`), a local account of the name is checked
    here as always; any other well-formed name (a directory user's row, or none) is the
    directory's to check.
    """
    # A name no account can have is not looked up (PostgreSQL refuses NUL in text).
    well_formed = _USERNAME.fullmatch(username) is not None
    user = uow.repo(StaffRepository).user_by_name(username) if well_formed else None
    if user is not None and user.source == LOCAL:
        return Attempt(username, client, user.id, user.password_hash)
    ask = directory and well_formed
    return Attempt(username, client, user.id if user else None, _UNKNOWN_USER_HASH, ask)


def check_password_hash(stored_hash: str, password: str) -> bool:
    """The expensive part (Argon2id, 64 MiB): the web edge runs it with bounded concurrency."""
    return _verify(stored_hash, password)


def check_credentials(
    attempt: Attempt, password: str, directory: Directory | None = None
) -> Verdict:
    """Check a password the way the attempt asks: Argon2id against the stored hash, and for
    a directory attempt a bind at the directory. Blocking; the web edge runs it with
    bounded concurrency. DirectoryUnavailable when the directory does not answer.

    A directory attempt is checked against the dummy hash too, so that it costs what a
    local account's check costs and the time does not tell local accounts from others.
    """
    correct = check_password_hash(attempt.stored_hash, password)
    if not attempt.directory or directory is None:
        return Verdict(correct and not attempt.directory)
    found = directory.authenticate(attempt.username, password)
    if found is None:
        return Verdict(False)
    return Verdict(True, directory.grant(found.groups))


def finish_login(
    uow: UnitOfWork,
    attempt: Attempt,
    password: str,
    correct: bool,
    policy: LoginPolicy,
    now: datetime,
    *,
    grant: Grant | None = None,
    offices: OfficeDirectory | None = None,
) -> t.StaffUser:
    """Record the outcome of a checked password; the account on success.

    A wrong password or an unknown name counts one failure for the name and one for the
    address and raises NotAuthenticated, with the same text in both cases; so does a
    directory user whom no mapped group gives a role. A directory user the directory
    vouched for gets (or keeps) a row of their own, with the role and the offices their
    groups give now (`grant`; office ids the catalog, `offices`, does not know are left
    out). The caller commits in every case, also when this raises, so failures are
    counted.
    """
    failures = uow.repo(LoginFailureRepository)
    if attempt.directory:
        user = _directory_account(uow, attempt, correct, grant, now, offices)
    else:
        user = uow.repo(StaffRepository).user(attempt.user_id) if attempt.user_id else None
    if user is None or not correct:
        failures.count(
            [_name_key(attempt.username), _client_key(attempt.client)], now, now - policy.window
        )
        # The log names the account when there is one; a typed name nobody has (it may be
        # a password typed into the wrong field) only by its hash.
        named = user.username if user is not None else _name_key(attempt.username)[:21]
        staff_acted(uow, None, "login.failed", "account", named, actor=named)
        raise _wrong_login()
    if user.locked_until is not None and is_locked(user, now):
        raise _locked(user.locked_until)
    if user.demo and not policy.allow_demo:
        raise Forbidden(
            "Demo-Konten sind im Produktivbetrieb gesperrt.",
            message_en="Demo accounts are refused in production.",
        )
    if user.source == LOCAL and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    failures.clear(_name_key(attempt.username))
    user.failed_logins = 0
    user.last_login_at = now
    staff_acted(
        uow,
        None,
        "login.succeeded",
        "account",
        user.username,
        user.source,
        actor=user.username,
        actor_id=user.id,
    )
    return user


def authenticate(
    uow: UnitOfWork,
    username: str,
    password: str,
    policy: LoginPolicy,
    now: datetime,
    client: str = "local",
    *,
    directory: Directory | None = None,
    offices: OfficeDirectory | None = None,
) -> t.StaffUser:
    """Check a login in one go (for callers without a web edge: tests, tools).

    NotAuthenticated for a wrong password or an unknown name; LimitReached while the
    address is refused; ProofRequired where the throttle asks for a proof of work, which
    only the web edge can bring; DirectoryUnavailable when the directory (if one is
    given) does not answer. The caller commits in every case.
    """
    gate = login_gate(uow, username, client, policy, now)
    if gate.blocked_until is not None:
        raise client_blocked(gate.blocked_until, now)
    if gate.proof_max is not None:
        raise proof_required()
    attempt = begin_login(uow, username, client, directory=directory is not None)
    verdict = check_credentials(attempt, password, directory)
    return finish_login(
        uow, attempt, password, verdict.correct, policy, now, grant=verdict.grant, offices=offices
    )


def _directory_account(
    uow: UnitOfWork,
    attempt: Attempt,
    correct: bool,
    grant: Grant | None,
    now: datetime,
    offices: OfficeDirectory | None,
) -> t.StaffUser | None:
    """The row of a directory user the directory vouched for, made or brought up to date
    with what their groups give; None when they are refused."""
    repo = uow.repo(StaffRepository)
    if not correct:
        return None
    if grant is None:
        # In the directory, but in no mapped group (any more): refused, and sessions of an
        # earlier login end now.
        known = repo.user_by_name(attempt.username)
        if known is not None and known.source == LDAP:
            repo.delete_sessions_of(known.id)
        return None
    user = repo.directory_user(attempt.username, DIRECTORY_PASSWORD, grant.role, now)
    if user.source != LDAP:
        return None  # a local account of this name was made meanwhile: not the directory's
    user.role = grant.role
    authorities, participants = sorted(grant.authorities), sorted(grant.participants)
    if offices is not None:
        known_participants = offices.participant_ids(uow) if participants else ()
        unknown = [a for a in authorities if offices.authority(uow, a) is None]
        unknown += [p for p in participants if p not in known_participants]
        if unknown:
            log.warning("directory groups name offices the catalog lacks: %s", unknown)
        authorities = [a for a in authorities if a not in unknown]
        participants = [p for p in participants if p not in unknown]
    repo.set_offices(user.id, authorities, participants)
    return user


def client_blocked(until: datetime, now: datetime) -> LimitReached:
    """Too many failed logins from one address: wait (the account is not affected)."""
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return LimitReached(
        f"Zu viele fehlgeschlagene Anmeldungen von Ihrem Anschluss. Bitte versuchen Sie es "
        f"in {minutes} Minuten erneut.",
        message_en=f"Too many failed logins from your connection. Please try again in "
        f"{minutes} minutes.",
    )


def proof_required() -> NotAuthenticated:
    """A login that must bring a proof of work came without one (or with a used one)."""
    return NotAuthenticated(
        "Nach mehreren Fehlversuchen prüft Ihr Browser jede Anmeldung mit einer kurzen "
        "Rechenaufgabe. Bitte geben Sie das Passwort noch einmal ein und warten Sie einen "
        "Moment.",
        message_en="After several failed attempts your browser checks every login with a "
        "short computation. Please enter the password again and wait a moment.",
    )


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def _wrong_login() -> NotAuthenticated:
    return NotAuthenticated(
        "Benutzername oder Passwort ist falsch.",
        message_en="The user name or the password is wrong.",
    )


def _locked(until: datetime) -> AccountLocked:
    from auskunft.core.hours import BERLIN

    clock = until.astimezone(BERLIN).strftime("%H:%M")
    return AccountLocked(
        f"Zu viele Fehlversuche: Das Konto ist bis {clock} Uhr gesperrt.",
        message_en=f"Too many failed attempts: the account is locked until {clock}.",
    )


def start_session(
    uow: UnitOfWork, user: t.StaffUser, policy: LoginPolicy, now: datetime
) -> tuple[str, Login]:
    """Open a session; return the cookie token (shown once) and the login."""
    uow.repo(StaffRepository).purge_sessions(now)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    uow.repo(StaffRepository).add(
        t.StaffSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
        )
    )
    return token, _login(uow, user, csrf)


def resolve_session(
    uow: UnitOfWork, token: str, policy: LoginPolicy, now: datetime
) -> Login | None:
    """The login behind a cookie token, or None when it is unknown, expired or idle too long."""
    if not token or len(token) > 100:
        return None
    found = uow.repo(StaffRepository).session_and_user(token_hash(token))
    if found is None:
        return None
    row, user = found
    if row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        uow.repo(StaffRepository).delete_session(row.token_hash)
        return None
    if user.demo and not policy.allow_demo:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return _login(uow, user, row.csrf_token)


def _login(uow: UnitOfWork, user: t.StaffUser, csrf: str) -> Login:
    """The resolved login of an account, with its offices."""
    own = uow.repo(StaffRepository).offices(user.id)
    return Login(
        user.id,
        user.username,
        user.role,
        csrf,
        authorities=own.authorities,
        participants=own.participants,
    )


def end_session(uow: UnitOfWork, token: str) -> None:
    """Log out: the session row goes, so the cookie is worthless even if kept."""
    if token and len(token) <= 100:
        uow.repo(StaffRepository).delete_session(token_hash(token))


def create_api_token(
    uow: UnitOfWork, name: str, now: datetime, *, username: str | None = None
) -> str:
    """A new token, returned once and stored as a hash: an integration's machine token, or
    with `username` a staff member's own, which acts with their role and offices."""
    if not re.fullmatch(r"[A-Za-z0-9._-]{2,80}", name):
        raise InvalidInput(
            "Token-Namen bestehen aus 2 bis 80 Buchstaben, Ziffern, Punkt, Binde- oder "
            "Unterstrich.",
            message_en="Token names are 2 to 80 letters, digits, dot, hyphen or underscore.",
        )
    if uow.repo(StaffRepository).token_by_name(name) is not None:
        raise Conflict(
            f"Ein Token „{name}“ gibt es schon.", message_en=f"A token '{name}' exists already."
        )
    owner = get_user(uow, username).id if username is not None else None
    token = "ak_" + secrets.token_urlsafe(32)
    uow.repo(StaffRepository).add(
        t.ApiToken(name=name, token_hash=token_hash(token), created_at=now, user_id=owner)
    )
    staff_acted(uow, None, "token.created", "token", name, username or "", actor="system")
    return token


def check_api_token(uow: UnitOfWork, token: str, now: datetime) -> t.ApiToken | None:
    """The live token row behind a bearer token, or None."""
    if not token.startswith("ak_") or len(token) > 100:
        return None
    row = uow.repo(StaffRepository).token_by_hash(token_hash(token))
    if row is None or row.revoked:
        return None
    row.last_used_at = now
    return row


def token_login(
    uow: UnitOfWork, token: str, policy: LoginPolicy, now: datetime
) -> tuple[bool, Login | None]:
    """Whether a bearer token is live, and the staff member it acts for (None: a machine
    token). A personal token of a demo account counts only where demo accounts may log in."""
    row = check_api_token(uow, token, now)
    if row is None:
        return False, None
    if row.user_id is None:
        return True, None
    user = uow.repo(StaffRepository).user(row.user_id)
    if user is None or (user.demo and not policy.allow_demo):
        return False, None
    # No form token: a bearer token is not a browser session, so forms refuse it.
    return True, _login(uow, user, "")


def revoke_api_token(uow: UnitOfWork, name: str) -> None:
    """Withdraw a machine token; requests with it get 401 from now on. The caller commits."""
    row = uow.repo(StaffRepository).token_by_name(name)
    if row is None:
        raise InvalidInput(
            f"Ein Token „{name[:80]}“ gibt es nicht.",
            message_en=f"There is no token '{name[:80]}'.",
        )
    row.revoked = True
    staff_acted(uow, None, "token.revoked", "token", name, actor="system")
