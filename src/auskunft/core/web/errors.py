"""One place that turns errors into clear 4xx answers, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from auskunft.core.errors import AuskunftError, InvalidInput, NotFound
from auskunft.core.web.deps import LoginRequired, login_redirect
from auskunft.core.web.render import error_page

log = logging.getLogger(__name__)


def _body(code: str, message: str, message_en: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message, "message_en": message_en}}


def _wants_page(request: Request) -> bool:
    """Pages get pages, the API gets JSON."""
    return not request.url.path.startswith("/api/")


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

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            _body(
                "internal",
                "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es erneut.",
                "An internal error occurred. Please try again.",
            ),
            status_code=500,
        )
