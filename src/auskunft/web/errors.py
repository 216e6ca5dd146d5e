"""One place that turns errors into clear 4xx answers, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from auskunft.domain.errors import AuskunftError

log = logging.getLogger(__name__)


def _body(code: str, message: str, message_en: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message, "message_en": message_en}}


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""

    @app.exception_handler(AuskunftError)
    async def domain_error(_request: Request, exc: AuskunftError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message, exc.message_en), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
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
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return JSONResponse(
                _body("not_found", "Diese Adresse gibt es nicht.", "There is no such address."),
                status_code=404,
            )
        text = str(exc.detail)
        return JSONResponse(_body("http_error", text, text), status_code=exc.status_code)

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
