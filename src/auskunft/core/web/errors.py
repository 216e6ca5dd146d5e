"""One place that turns errors into clear 4xx answers, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from auskunft.core.errors import AuskunftError, InvalidInput, NotFound
from auskunft.core.web.deps import LoginRequired, login_redirect
from auskunft.core.web.render import error_page
from auskunft.core.web.security import NO_STORE, baseline_headers

log = logging.getLogger(__name__)

# What the database driver raises when the store cannot be reached or answer in time
# (refused or lost connection, an exhausted pool, a locked or missing SQLite file).
DATABASE_AWAY = (OperationalError, InterfaceError, PoolTimeout)
RETRY_SECONDS = "30"


class ServiceUnavailable(AuskunftError):
    """The store (or another part the answer needs) is away for the moment."""

    status = 503
    code = "unavailable"


class InternalError(AuskunftError):
    """Something failed that should not have; the details are in the log."""

    status = 500
    code = "internal"


UNAVAILABLE = ServiceUnavailable(
    "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten "
    "noch einmal oder rufen Sie die 115 an.",
    message_en="The service is not reachable right now. Please try again in a few minutes "
    "or call 115.",
)
INTERNAL = InternalError(
    "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es erneut.",
    message_en="An internal error occurred. Please try again.",
)


def _body(code: str, message: str, message_en: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message, "message_en": message_en}}


def _wants_page(request: Request) -> bool:
    """Pages get pages; the API and the monitoring's scrape (`/metrics`) get JSON."""
    path = request.url.path
    return not (path.startswith("/api/") or path == "/metrics")


def _wants_html(request: Request) -> bool:
    """For a failure of the server: a page for a browser (or htmx) asking for a page; JSON
    for the API, Open311 and a script that asks for JSON."""
    if not _wants_page(request) or request.url.path.startswith("/open311/"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


def _failure(request: Request, problem: AuskunftError) -> Response:
    """A 5xx answer in the form the request asks for; never cached."""
    response: Response
    if _wants_html(request):
        response = error_page(request, problem)
    else:
        response = JSONResponse(
            _body(problem.code, problem.message, problem.message_en), status_code=problem.status
        )
    response.headers["Cache-Control"] = NO_STORE
    if problem.status == 503:
        response.headers["Retry-After"] = RETRY_SECONDS
    return response


def _http_problem(status: int) -> AuskunftError:
    """A page-friendly error for an HTTP status raised by the framework (405, 413, ...)."""
    problem = AuskunftError(
        "Diese Anfrage kann die Seite nicht beantworten (HTTP-Status "
        f"{status}). Bitte gehen Sie zurück und versuchen Sie es noch einmal.",
        message_en=f"This page cannot answer this request (HTTP status {status}). "
        "Please go back and try again.",
    )
    problem.status = status if 400 <= status < 500 else 400
    return problem


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""

    @app.exception_handler(AuskunftError)
    async def domain_error(request: Request, exc: AuskunftError) -> Response:
        if isinstance(exc, LoginRequired) and _wants_page(request):
            return login_redirect(request)
        if _wants_page(request):
            return error_page(request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429:
            headers = {"Retry-After": "60"}
        return JSONResponse(
            _body(exc.code, exc.message, exc.message_en), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_page(request):
            return error_page(
                request,
                InvalidInput(
                    "Die Adresse enthält ungültige Angaben.",
                    message_en="The address contains invalid values.",
                ),
            )
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body"))
            problems.append(f"{where}: {err.get('msg', 'ungültig')}")
        detail = "; ".join(problems)[:500]
        return JSONResponse(
            _body("invalid_input", f"Ungültige Eingabe – {detail}", f"Invalid input – {detail}"),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_page(request):
            return error_page(
                request,
                NotFound(
                    "Diese Seite gibt es nicht (mehr). Vielleicht hilft die Suche weiter.",
                    message_en="This page does not exist (any more). The search may help.",
                ),
            )
        if _wants_page(request):
            return error_page(request, _http_problem(exc.status_code))
        if exc.status_code == 404:
            return JSONResponse(
                _body("not_found", "Diese Adresse gibt es nicht.", "There is no such address."),
                status_code=404,
            )
        text = str(exc.detail)
        return JSONResponse(_body("http_error", text, text), status_code=exc.status_code)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value the checks let through, e.g. a NUL character,
        # which PostgreSQL cannot store in text. Nothing was written (the unit of work
        # rolled back); the visitor gets a 422, not a 500.
        log.info("value refused by the database: %s", exc.orig)
        problem = InvalidInput(
            "Die Eingabe enthält Zeichen, die nicht verarbeitet werden können.",
            message_en="The input contains characters that cannot be processed.",
        )
        if _wants_page(request):
            return error_page(request, problem)
        return JSONResponse(
            _body(problem.code, problem.message, problem.message_en), status_code=422
        )

    async def database_away(request: Request, exc: Exception) -> Response:
        # The store is down or overloaded: say so (503, try again), not "internal error".
        log.error("database unavailable or busy: %s", exc)
        return _failure(request, UNAVAILABLE)

    for kind in DATABASE_AWAY:
        app.add_exception_handler(kind, database_away)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        # This handler answers outside the middleware (Starlette's outermost error layer),
        # so it adds the security headers itself.
        production = request.app.state.settings.env == "production"
        try:
            response = _failure(request, INTERNAL)
        except Exception:  # the page itself failed: plain text, still an answer
            log.exception("error page failed")
            response = PlainTextResponse(INTERNAL.message, status_code=500)
        for name, value in baseline_headers(production=production):
            response.headers.setdefault(name, value)
        response.headers["Cache-Control"] = NO_STORE
        return response
