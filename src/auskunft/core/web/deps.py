"""The one way in for routes: typed FastAPI dependencies.

A route gets its unit of work, the app's components, the logged-in staff
member and the role check from here, and passes them to use cases; it never
opens a unit of work or reads a repository itself.

    @router.get("/dienststelle/termine")
    def day_list(uow: Uow, login: Annotated[Login, Depends(require(Role.CLERK))]) -> ...

The core knows no feature: which sessions and tokens exist is the access
slice's business, plugged in by the composition as `app.state.authenticate`
(a function request -> Login | None).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from auskunft.core.config import Settings
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import CsrfFailed, Forbidden, NotAuthenticated
from auskunft.core.principal import Login, Role

T = TypeVar("T")


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """A unit of work for this request, rolled back unless the use case's caller commits.

    Async: entering makes no connection (the session connects on first use), and
    leaving after a commit gives the connection back without a round trip.
    """
    with UnitOfWork(request.app.state.engine) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


async def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of)]


def component(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency for one of the app's long-lived parts (the search engine, the booking
    policy), registered by the composition in `app.state.components` under its type."""

    # Async: a plain lookup, which FastAPI would otherwise send through the thread pool.
    async def get(request: Request) -> T:
        found: T = request.app.state.components[kind]
        return found

    get.__name__ = f"component_{kind.__name__}"
    return get


class LoginRequired(NotAuthenticated):
    """A staff page was asked for without a valid login; pages answer with the login form."""


def current_login(request: Request) -> Login | None:
    """The staff member behind the request (a session cookie, or a personal API token), or
    None; looked up once per request."""
    if hasattr(request.state, "login"):
        found: Login | None = request.state.login
        return found
    authenticate: Callable[[Request], Login | None] = request.app.state.authenticate
    login = authenticate(request)
    request.state.login = login
    return login


async def require_login(request: Request) -> Login:
    """Dependency of every staff page: the login, or the login form instead of the page.

    Async, so a remembered login costs no thread hop; a lookup runs in the thread pool.
    """
    remembered: Callable[[Request], Login | None] = request.app.state.remembered_login
    login = remembered(request)
    if login is not None:
        request.state.login = login
    else:
        login = await run_in_threadpool(current_login, request)
    if login is None:
        raise LoginRequired("Bitte melden Sie sich an.", message_en="Please log in.")
    return login


def require(
    *roles: Role, refusal: tuple[str, str] | None = None
) -> Callable[[Request], Awaitable[Login]]:
    """A dependency: the login if its role is one of `roles`, else 403 (after the login).

    `refusal` is the German and English text that says where to go instead.
    """
    allowed = frozenset(roles)
    message, message_en = refusal or (
        "Diese Seite ist für Ihre Rolle nicht freigegeben.",
        "This page is not open to your role.",
    )

    async def check(request: Request) -> Login:
        login = await require_login(request)
        if login.role not in allowed:
            raise Forbidden(message, message_en=message_en)
        return login

    check.__name__ = "require_" + "_".join(sorted(allowed))
    check.roles = allowed  # type: ignore[attr-defined]
    return check


def require_api(*roles: Role, refusal: tuple[str, str]) -> Callable[[Request], Login]:
    """A dependency of the JSON API: the caller (`api_caller`) if a person with one of
    `roles`, else 403 (a machine token is nobody); no token or session: 401."""
    allowed = frozenset(roles)
    message, message_en = refusal

    def check(request: Request) -> Login:
        caller = api_caller(request)
        if caller is None or caller.role not in allowed:
            raise Forbidden(message, message_en=message_en)
        return caller

    check.__name__ = "require_api_" + "_".join(sorted(allowed))
    check.roles = allowed  # type: ignore[attr-defined]
    return check


def tokens_match(expected: str, given: str) -> bool:
    """Whether a sent token is the expected one (constant time; empty never matches)."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def csrf_failure() -> CsrfFailed:
    return CsrfFailed(
        "Das Formular ist abgelaufen oder kam nicht von dieser Seite. Ihre Eingabe wurde "
        "nicht übernommen. Bitte laden Sie die Seite neu und senden Sie sie noch einmal.",
        message_en="The form has expired or did not come from this site. Nothing was saved. "
        "Please reload the page and send it again.",
    )


def check_csrf(login: Login, token: str) -> None:
    """A form post must carry the token of the session's pages."""
    if not tokens_match(login.csrf_token, token):
        raise csrf_failure()


def login_redirect(request: Request) -> Response:
    """Where a request without login is sent: the login form, coming back afterwards."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = "/anmelden?" + urlencode({"next": target})
    if request.headers.get("HX-Request"):
        # htmx follows this header with a full page load.
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def roles_of(dependency: Any) -> frozenset[str] | None:
    """The roles a `require(...)` dependency lets in (for the route table's checks)."""
    found: frozenset[str] | None = getattr(dependency, "roles", None)
    return found


def api_caller(request: Request) -> Login | None:
    """Who calls a staff endpoint of the JSON API: an integration's machine token (None), a
    staff member's personal token (their login), or a logged-in staff member whose request
    carries the page's X-CSRF-Token header.

    The tokens are the access slice's business, plugged in as `app.state.verify_token`.
    """
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        verify: Callable[[Request, str], tuple[bool, Login | None]] = request.app.state.verify_token
        live, login = verify(request, header[7:].strip())
        if live:
            return login
        raise NotAuthenticated(
            "Das API-Token ist ungültig oder zurückgezogen.",
            message_en="The API token is invalid or revoked.",
        )
    login = current_login(request)
    if login is not None and tokens_match(
        login.csrf_token, request.headers.get("X-CSRF-Token", "")
    ):
        return login
    raise NotAuthenticated(
        "Anmeldung nötig: ein API-Token (Authorization: Bearer …) oder eine Sitzung mit "
        "X-CSRF-Token.",
        message_en="Authentication needed: an API token (Authorization: Bearer …) or a "
        "session with X-CSRF-Token.",
    )


def optional_api_caller(request: Request) -> Login | None:
    """Like `api_caller` for an endpoint open to everyone that shows staff more: None when
    the request carries neither a token nor a session with X-CSRF-Token (a bad token is
    still 401)."""
    if request.headers.get("Authorization", "") or request.headers.get("X-CSRF-Token"):
        return api_caller(request)
    return None
