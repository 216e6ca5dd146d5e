"""Staff login: the login page, session cookies, CSRF tokens and the login requirement."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from auskunft.access import directory as ldap
from auskunft.access import service as accounts
from auskunft.access.service import Login, LoginPolicy, OfficeDirectory
from auskunft.core.audit import staff_acted
from auskunft.core.config import Settings
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import (
    AccountLocked,
    Forbidden,
    InvalidInput,
    LimitReached,
    NotAuthenticated,
    Unavailable,
)
from auskunft.core.principal import Role
from auskunft.core.proof import challenge as make_challenge
from auskunft.core.proof import check as check_proof
from auskunft.core.web.client import client_address
from auskunft.core.web.deps import (
    Uow,
    check_csrf,
    csrf_failure,
    current_login,
    tokens_match,
)
from auskunft.core.web.render import language_of, render, safe_next

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "auskunft_session"
LOGIN_CSRF_COOKIE = "auskunft_login_csrf"
STAFF_HOME = "/desk"
REFUSAL_PAUSE = 1.0  # seconds before a login refused by the throttle is answered
# Where a login without another target leads, by role (the desk otherwise): the
# data-protection officer does not take calls; editors keep the catalog.
HOME_OF = {Role.DPO.value: "/admin/protokoll", Role.EDITOR.value: "/redaktion"}


def policy(settings: Settings) -> LoginPolicy:
    """The login rules the settings ask for."""
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_lockout_minutes),
        client_limit=settings.login_client_max_failures,
        proof_base=settings.altcha_max_number,
        lifetime=timedelta(hours=settings.session_hours),
        idle=timedelta(minutes=settings.session_idle_minutes),
        allow_demo=settings.env != "production",
    )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def directory_of(settings: Settings) -> ldap.Directory | None:
    """The directory the settings name (AUSKUNFT_LDAP_*), or None: local accounts only."""
    if not settings.ldap_url:
        return None
    return ldap.configure(
        url=settings.ldap_url,
        user_base=settings.ldap_user_base,
        user_filter=settings.ldap_user_filter,
        bind_dn=settings.ldap_bind_dn,
        bind_password=settings.ldap_password(),
        group_base=settings.ldap_group_base,
        group_filter=settings.ldap_group_filter,
        start_tls=settings.ldap_start_tls,
        ca_file=str(settings.ldap_ca_file) if settings.ldap_ca_file else None,
        timeout=settings.ldap_timeout,
        role_groups=settings.ldap_role_groups,
        office_groups=settings.ldap_authority_groups,
    )


def _directory(request: Request) -> ldap.Directory | None:
    """The app's directory (made on first use), or None."""
    state = request.app.state
    if not hasattr(state, "directory"):
        state.directory = directory_of(_settings(request))
    found: ldap.Directory | None = state.directory
    return found


def _offices(request: Request) -> OfficeDirectory | None:
    """The catalog's answer which offices exist, where the composition handed it over."""
    found: OfficeDirectory | None = getattr(request.app.state, "offices", None)
    return found


# Resolved logins are remembered for LoginCache.SECONDS, so the desk's live search (a
# request per pause in typing) does not ask the database each time. A logout in this
# process forgets its entry at once; a logout or password change in another process
# takes effect here within those seconds.
class LoginCache:
    """Session token -> resolved login, for SECONDS; one per app."""

    SECONDS = 5.0
    SIZE = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Login]] = {}

    def get(self, token: str) -> Login | None:
        entry = self._entries.get(token) if token else None
        if entry is None:
            return None
        if time.monotonic() - entry[0] > self.SECONDS:
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, login: Login) -> None:
        if len(self._entries) >= self.SIZE:
            self._entries.clear()
        self._entries[token] = (time.monotonic(), login)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)

    def clear(self) -> None:
        self._entries.clear()


def login_cache(request: Request) -> LoginCache:
    """The app's cache of resolved logins."""
    cache: LoginCache = request.app.state.logins
    return cache


def remembered_login(request: Request) -> Login | None:
    """The login of the session cookie if this process resolved it a moment ago."""
    return login_cache(request).get(request.cookies.get(SESSION_COOKIE, ""))


def authenticate(request: Request) -> Login | None:
    """The staff member behind the session cookie, or behind a personal API token
    (`Authorization: Bearer ...`), or None (the composition plugs this into `core.web.deps`)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and not request.cookies.get(SESSION_COOKIE):
        return verify_api_token(request, header[7:].strip())[1]
    token = request.cookies.get(SESSION_COOKIE, "")
    login = login_cache(request).get(token)
    if token and login is None:
        with UnitOfWork(request.app.state.engine) as uow:
            login = accounts.resolve_session(
                uow, token, policy(_settings(request)), datetime.now(UTC)
            )
            uow.commit()
        if login is not None:
            login_cache(request).put(token, login)
    return login


def _cookie_args(request: Request) -> dict[str, object]:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": _settings(request).secure_cookies,
        "path": "/",
    }


def _login_form(
    request: Request,
    next_page: str,
    error: str | None = None,
    status_code: int = 200,
    username: str = "",
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        csrf=token,
        next_page=next_page,
        error=error,
        username=username,
        logged_out=request.query_params.get("abgemeldet") == "1",
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_args(request))  # type: ignore[arg-type]
    return response


@router.get("/anmelden", response_class=HTMLResponse)
def login_page(request: Request, next: str = STAFF_HOME) -> Response:
    if current_login(request) is not None:
        return RedirectResponse(safe_next(next, STAFF_HOME), status_code=303)
    return _login_form(request, safe_next(next, STAFF_HOME))


T = TypeVar("T")


LOGIN_THREAD_NICENESS = 10


def _yield_to_the_desk() -> None:
    """Lower the scheduling priority of the calling thread (a password-check thread) by
    LOGIN_THREAD_NICENESS.

    On Linux a thread is a task of its own and `setpriority` on its id applies to it
    alone: while logins and the desk want the same cores, the scheduler gives the
    desk's threads the larger share, and Argon2 takes what is left. Elsewhere, or
    where it is not allowed, the thread keeps the normal priority."""
    try:
        thread = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, thread) + LOGIN_THREAD_NICENESS
        os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness))
    except (AttributeError, OSError):
        pass


class PasswordChecks:
    """Password checks with bounded work: at most `slots` run at once (Argon2id, 64 MiB
    each, or a bind at the directory), on threads of their own, so a flood of logins
    neither fills the memory nor takes the threads that serve the desk; more than
    `queue` waiting are refused at once (503)."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = slots
        self.queue = queue
        self._pool = ThreadPoolExecutor(
            max_workers=slots, thread_name_prefix="login", initializer=_yield_to_the_desk
        )
        self._waiting = 0
        self._lock = threading.Lock()

    def refuse_if_full(self) -> None:
        """Unavailable (503) while the queue is full: checked first, before any work."""
        if self._waiting >= self.queue:
            raise Unavailable(
                "Gerade melden sich sehr viele an. Bitte versuchen Sie es in einer Minute "
                "noch einmal.",
                message_en="Very many logins right now. Please try again in a minute.",
            )

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run one check (a blocking callable) on the pool, waiting without a thread."""
        with self._lock:
            self.refuse_if_full()
            self._waiting += 1
        try:
            return await asyncio.wrap_future(self._pool.submit(work, *args))
        finally:
            with self._lock:
                self._waiting -= 1

    async def check(self, stored_hash: str, password: str) -> bool:
        """Argon2id: whether the password matches the stored hash."""
        return await self.run(accounts.check_password_hash, stored_hash, password)


def password_checks(request: Request) -> PasswordChecks:
    """The app's bounded password checker (made on first use)."""
    state = request.app.state
    checks: PasswordChecks | None = getattr(state, "password_checks", None)
    if checks is None:
        settings = _settings(request)
        slots = settings.login_concurrency or max(1, (os.cpu_count() or 2) // 2)
        # Waiting costs a coroutine, not a thread or memory: a flood that waits its turn
        # sends no faster than the checks run, where refusing at once would invite it to
        # hammer the server with cheap requests. Only beyond this many it gets 503.
        checks = PasswordChecks(slots, queue=max(64, 32 * slots))
        state.password_checks = checks
    return checks


class RecentRefusals:
    """What the throttle refused a moment ago, remembered in this process: an address that
    waits out its limit, an address or a name that must bring a proof of work. A script's
    next attempts are refused without a database round trip, and the audit log gets one
    entry per address (or name) and reason while it is remembered, not one per request.
    Another process asks the database once and then remembers too."""

    SECONDS = 60.0
    SIZE = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, LimitReached | NotAuthenticated]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> LimitReached | NotAuthenticated | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._entries.pop(key, None)
                return None
            return entry[1]

    def put(self, key: str, refusal: LimitReached | NotAuthenticated, seconds: float) -> None:
        with self._lock:
            if len(self._entries) >= self.SIZE:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + min(seconds, self.SECONDS), refusal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def recent_refusals(request: Request) -> RecentRefusals:
    state = request.app.state
    found: RecentRefusals | None = getattr(state, "recent_refusals", None)
    if found is None:
        found = RecentRefusals()
        state.recent_refusals = found
    return found


def _remembered_refusal(
    request: Request, username: str, client: str, proof: str
) -> LimitReached | NotAuthenticated | None:
    """A refusal this process remembers for the address (or, without a proof, the name)."""
    memo = recent_refusals(request)
    refused = memo.get("client:" + client)
    if isinstance(refused, LimitReached) or (refused is not None and not proof):
        return refused
    if not proof:
        return memo.get("name:" + accounts.name_digest(username))
    return None


def _gate(
    request: Request, username: str, client: str, proof: str, now: datetime
) -> tuple[accounts.Attempt | None, Exception | None]:
    """Pass the throttle (and the proof of work where it asks for one) and look up the
    account, in one short transaction; or the refusal."""
    settings = _settings(request)
    rules = policy(settings)
    with UnitOfWork(request.app.state.engine) as uow:
        gate = accounts.login_gate(uow, username, client, rules, now)
        try:
            if gate.blocked_until is not None:
                raise accounts.client_blocked(gate.blocked_until, now)
            if gate.proof_max is not None:
                try:
                    params = check_proof(uow, settings.secret(), proof, now)
                except InvalidInput:
                    raise accounts.proof_required() from None
                if not accounts.proof_fits(params, username, gate.proof_max):
                    raise accounts.proof_required()
            attempt = accounts.begin_login(
                uow, username, client, directory=_directory(request) is not None
            )
        except (LimitReached, NotAuthenticated) as exc:
            why = "address" if isinstance(exc, LimitReached) else "proof"
            staff_acted(uow, None, "login.refused", "client", client, why, actor="")
            uow.commit()
            memo = recent_refusals(request)
            if gate.blocked_until is not None:
                memo.put("client:" + client, exc, (gate.blocked_until - now).total_seconds())
            elif not proof:  # only a request without any proof is refused from memory
                key = "client:" + client if gate.for_address else "name:"
                if key == "name:":
                    key += accounts.name_digest(username)
                memo.put(key, exc, RecentRefusals.SECONDS)
            return None, exc
        uow.commit()
    return attempt, None


def _finish(
    request: Request,
    attempt: accounts.Attempt,
    password: str,
    verdict: accounts.Verdict,
    now: datetime,
) -> tuple[str | None, Exception | str | None]:
    """Record the outcome: a new session's token and the role's home (if not the desk) on
    success, or the refusal."""
    rules = policy(_settings(request))
    with UnitOfWork(request.app.state.engine) as uow:
        try:
            user = accounts.finish_login(
                uow,
                attempt,
                password,
                verdict.correct,
                rules,
                now,
                grant=verdict.grant,
                offices=_offices(request),
            )
        except (NotAuthenticated, AccountLocked, Forbidden) as exc:
            uow.commit()  # failures count, also when the login is refused
            return None, exc
        token, started = accounts.start_session(uow, user, rules, now)
        uow.commit()
    return token, HOME_OF.get(started.role)


@router.post("/anmelden/pruefung")
async def login_proof(
    request: Request,
    username: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> JSONResponse:
    """What the login form's script asks before sending: whether this name, from this
    address, needs a proof of work now, and if so a challenge made for it. The answer
    does not depend on whether an account has the name."""
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        raise csrf_failure()
    name = username.strip().lower()[:256]
    now = datetime.now(UTC)
    settings = _settings(request)

    def gate() -> accounts.Gate:
        with UnitOfWork(request.app.state.engine) as uow:
            return accounts.login_gate(uow, name, client_address(request), policy(settings), now)

    found = await run_in_threadpool(gate)
    if found.proof_max is None:
        return JSONResponse({"required": False}, headers={"Cache-Control": "no-store"})
    task = make_challenge(
        settings.secret(), found.proof_max, now, accounts.proof_params(name, found.proof_max)
    )
    return JSONResponse({"required": True, **task}, headers={"Cache-Control": "no-store"})


@router.post("/anmelden")
async def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = STAFF_HOME,
    altcha: Annotated[str, Form()] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not tokens_match(cookie, csrf):
        raise csrf_failure()
    english = language_of(request) == "en"
    target = safe_next(next, STAFF_HOME)
    typed = username.strip()[:64]
    if not username.strip() or not password:
        problem = InvalidInput(
            "Bitte Benutzername und Passwort angeben.",
            message_en="Please enter user name and password.",
        )
        return _login_form(request, target, _message(problem, english), problem.status, typed)
    name = username.strip().lower()[:256]
    now = datetime.now(UTC)
    checks = password_checks(request)
    remembered = _remembered_refusal(request, name, client_address(request), altcha)
    if remembered is not None:
        await asyncio.sleep(REFUSAL_PAUSE)
        return _login_form(request, target, _message(remembered, english), remembered.status, typed)
    checks.refuse_if_full()
    attempt, refused = await run_in_threadpool(
        _gate, request, name, client_address(request), altcha, now
    )
    if attempt is None:
        assert isinstance(refused, LimitReached | NotAuthenticated)
        # Refused before any password is checked (the address over its limit, or no proof
        # of work where one is due): answered after a pause that costs the server nothing
        # but slows a script that would otherwise flood it with cheap requests. A browser
        # brings its proof before it sends and never waits here.
        await asyncio.sleep(REFUSAL_PAUSE)
        return _login_form(request, target, _message(refused, english), refused.status, typed)
    try:
        verdict = await checks.run(
            accounts.check_credentials, attempt, password, _directory(request)
        )
    except ldap.DirectoryUnavailable as exc:
        # Nothing is counted and nothing else is tried: the login waits for the directory.
        return _login_form(request, target, _message(exc, english), exc.status, typed)
    token, failed = await run_in_threadpool(_finish, request, attempt, password, verdict, now)
    if token is None:
        assert isinstance(failed, NotAuthenticated | AccountLocked | Forbidden)
        return _login_form(request, target, _message(failed, english), failed.status, typed)
    if isinstance(failed, str) and target == STAFF_HOME:
        target = failed  # the role's own start page
    settings = _settings(request)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        **_cookie_args(request),  # type: ignore[arg-type]
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _message(
    exc: InvalidInput | NotAuthenticated | AccountLocked | Forbidden | LimitReached | Unavailable,
    english: bool,
) -> str:
    return exc.message_en if english else exc.message


@router.post("/abmelden")
def logout(request: Request, uow: Uow, csrf: Annotated[str, Form()] = "") -> Response:
    login = current_login(request)
    if login is not None:
        check_csrf(login, csrf)
        token = request.cookies.get(SESSION_COOKIE, "")
        login_cache(request).forget(token)
        accounts.end_session(uow, token)
        uow.commit()
    response = RedirectResponse("/anmelden?abgemeldet=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def verify_api_token(request: Request, token: str) -> tuple[bool, Login | None]:
    """Whether a bearer token is live, and the staff member it acts for (None: a machine
    token); its last use is recorded."""
    with UnitOfWork(request.app.state.engine) as uow:
        found = accounts.token_login(uow, token, policy(_settings(request)), datetime.now(UTC))
        uow.commit()
    return found
