"""Staff login: the login page, session cookies, CSRF tokens and the login requirement."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.config import Settings
from auskunft.db.uow import UnitOfWork
from auskunft.domain.errors import (
    AccountLocked,
    CsrfFailed,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
)
from auskunft.services import accounts
from auskunft.services.accounts import Login, LoginPolicy
from auskunft.web.pages import language_of, render, safe_next

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "auskunft_session"
LOGIN_CSRF_COOKIE = "auskunft_login_csrf"
STAFF_HOME = "/desk"


class LoginRequired(NotAuthenticated):
    """A staff page was asked for without a valid login; pages answer with the login form."""


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


def _uow(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.search.engine)


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


def current_login(request: Request) -> Login | None:
    """The staff member behind the session cookie, or None (looked up once per request)."""
    if hasattr(request.state, "login"):
        found: Login | None = request.state.login
        return found
    token = request.cookies.get(SESSION_COOKIE, "")
    login = login_cache(request).get(token)
    if token and login is None:
        with _uow(request) as uow:
            login = accounts.resolve_session(
                uow, token, policy(_settings(request)), datetime.now(UTC)
            )
            uow.commit()
        if login is not None:
            login_cache(request).put(token, login)
    request.state.login = login
    return login


async def require_login(request: Request) -> Login:
    """Dependency of every staff page: the login, or the login form instead of the page.

    Async, so a remembered login costs no thread hop; a lookup runs in the thread pool.
    """
    token = request.cookies.get(SESSION_COOKIE, "")
    login = login_cache(request).get(token)
    if login is not None:
        request.state.login = login
    else:
        login = await run_in_threadpool(current_login, request)
    if login is None:
        raise LoginRequired("Bitte melden Sie sich an.", message_en="Please log in.")
    return login


def tokens_match(expected: str, given: str) -> bool:
    """Whether a sent token is the expected one (constant time; empty never matches)."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def check_csrf(login: Login, token: str) -> None:
    """A form post must carry the token of the session's pages."""
    if not tokens_match(login.csrf_token, token):
        raise csrf_failure()


def csrf_failure() -> CsrfFailed:
    return CsrfFailed(
        "Das Formular ist abgelaufen oder kam nicht von dieser Seite. Ihre Eingabe wurde "
        "nicht übernommen. Bitte laden Sie die Seite neu und senden Sie sie noch einmal.",
        message_en="The form has expired or did not come from this site. Nothing was saved. "
        "Please reload the page and send it again.",
    )


def login_redirect(request: Request) -> Response:
    """Where a request without login is sent: the login form, coming back afterwards."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = "/anmelden?" + _query({"next": target})
    if request.headers.get("HX-Request"):
        # htmx follows this header with a full page load.
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


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
    with _uow(request) as uow:
        try:
            user = accounts.authenticate(
                uow, username.strip().lower(), password, policy(settings), now
            )
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
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    login = current_login(request)
    if login is not None:
        check_csrf(login, csrf)
        token = request.cookies.get(SESSION_COOKIE, "")
        login_cache(request).forget(token)
        with _uow(request) as uow:
            accounts.end_session(uow, token)
            uow.commit()
    response = RedirectResponse("/anmelden?abgemeldet=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
