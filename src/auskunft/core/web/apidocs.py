"""The API's documentation page: Swagger UI from our own copy (`make assets`), no CDN.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline
script, which the Content-Security-Policy refuses; this page loads the vendored
bundle and starts it from `static/api-docs.js`, reading the OpenAPI address from
the page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from auskunft.core.web.render import render

DOCS_URL = "/api/docs"

router = APIRouter(include_in_schema=False)


@router.get(DOCS_URL, response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over the app's OpenAPI description."""
    return render(request, "api_docs.html", openapi_url=request.app.openapi_url or "")
