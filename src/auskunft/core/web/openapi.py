"""What the JSON API declares in /openapi.json besides its successes: the error answers, in
the one shape `core.web.errors` writes them (`{"error": {"code", "message", "message_en"}}`).

A route names the statuses it can answer with (`responses=errors(404, 409, 422)`); the
schemathesis test (tests/integration/test_api_fuzz.py) fails when a route answers with a
status, content type or body its declaration does not have.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. not_found, invalid_input")
    message: str = Field(description="German, for the person in front of the screen")
    message_en: str = Field(description="the same in English")


class ErrorAnswer(BaseModel):
    """Every error of the JSON API."""

    error: ErrorDetail


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "string"},
    }
}

# Why each status comes: the description /openapi.json and /api/docs show.
ERRORS: dict[int, dict[str, Any]] = {
    400: {"description": "The request cannot be answered as sent"},
    401: {
        "description": "No valid API token (Authorization: Bearer …) or session with X-CSRF-Token",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    403: {"description": "Known, but not allowed (role, office, machine token)"},
    404: {"description": "Not found, or not visible to the caller"},
    409: {"description": "Collides with what exists (a slot taken meanwhile, a state changed)"},
    422: {"description": "Invalid input: a value out of range, missing or malformed"},
    429: {
        "description": "Over a limit (the client's request rate, bookings per address)",
        "headers": _RETRY_AFTER,
    },
    503: {
        "description": "The store is not reachable or busy for the moment",
        "headers": _RETRY_AFTER,
    },
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer with these error statuses."""
    return {status: {"model": ErrorAnswer, **ERRORS[status]} for status in statuses}
