"""Staff login: the login page, session cookies, CSRF tokens and the login requirement."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.access import service as accounts
from auskunft.access.service import Login, LoginPolicy
from auskunft.core.config import Settings
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import (
    AccountLocked,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
)
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


def policy(settings: Settings) -> LoginPolicy:
    """The login rules the settings ask for."""
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        lifetime=timedelta(hours=settings.session_hours),
        idle=timedelta(minutes=settings.session_idle_minutes),
        allow_demo=settings.env != "production",
    )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


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


@router.post("/anmelden")
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = STAFF_HOME,
    *,
    uow: Uow,
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
    settings = _settings(request)
    now = datetime.now(UTC)
    try:
        user = accounts.authenticate(uow, username.strip().lower(), password, policy(settings), now)
    except (NotAuthenticated, AccountLocked, Forbidden) as exc:
        uow.commit()  # failures count, also when the login is refused
        return _login_form(request, target, _message(exc, english), exc.status, typed)
    token, _ = accounts.start_session(uow, user, policy(settings), now)
    uow.commit()
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
    exc: InvalidInput | NotAuthenticated | AccountLocked | Forbidden, english: bool
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
