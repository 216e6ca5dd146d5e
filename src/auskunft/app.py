"""FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from auskunft import __version__
from auskunft.access import web as auth
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.appointments.web import agenda
from auskunft.appointments.web import api as appointments_api
from auskunft.appointments.web import portal as booking
from auskunft.audit import web as audit_web
from auskunft.bootstrap import open_catalog
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.config import Settings, get_settings
from auskunft.core.jobs.worker import InlineWorker
from auskunft.core.web import apidocs, errors, health
from auskunft.core.web.client import ClientContext
from auskunft.core.web.ratelimit import RateLimiter
from auskunft.core.web.security import PRIVATE_PATHS, SecurityHeaders
from auskunft.core.web.timing import ServerTiming
from auskunft.desk.web import api as desk_api
from auskunft.desk.web import booking as desk_booking
from auskunft.desk.web import desk
from auskunft.desk.web import forward as desk_forward
from auskunft.editorial.web import api as editorial_api
from auskunft.editorial.web import pages as editorial_pages
from auskunft.forwarding.web import api as forwarding_api
from auskunft.forwarding.web import citizen, concerns_api, inbox, open311
from auskunft.links.web import api as links_api
from auskunft.links.web import pages as links_pages
from auskunft.portal.web import api, pages
from auskunft.privacy import web as privacy
from auskunft.search.service.engine import SearchEngine
from auskunft.staffing.web import api as staffing_api
from auskunft.statistics.web import api as statistics_api
from auskunft.statistics.web import metrics as statistics_metrics
from auskunft.statistics.web import pages as statistics_pages
from auskunft.telephony.web import api as telephony_api


def serve_app() -> FastAPI:
    """The app as `auskunft serve` runs it: what start-up built is frozen for the collector."""
    return create_app(freeze_heap=True)


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> FastAPI:
    """Build the app from the slices' routers; the database is created and seeded on first use."""
    settings = settings or get_settings()
    engine, _ = open_catalog(settings.resolved_database_url())
    search = SearchEngine(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Build the index before the first caller waits for it.
        search.snapshot()
        if freeze_heap:
            # The index and the modules live as long as the process. Unfrozen, the
            # collector's full passes walk all of them every few requests that make
            # thousands of objects (a slot search): 60-80 ms each on the benchmark
            # machine. Not in tests, whose many apps would never be collected.
            gc.collect()
            gc.freeze()
        # The embedded default sends e-mails from a thread; production runs `auskunft worker`.
        worker = InlineWorker(engine, settings) if settings.worker == "inline" else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="auskunft",
        version=__version__,
        # /api/docs is our own page over the vendored Swagger UI (core.web.apidocs).
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    policy = BookingPolicy.from_settings(settings)
    app.state.settings = settings
    app.state.engine = engine
    # Long-lived parts, handed to routes by type (core.web.deps.component).
    app.state.components = {SearchEngine: search, BookingPolicy: policy}
    app.state.search = search
    app.state.policy = policy
    # Who is logged in is the access slice's business; the core asks through these.
    app.state.logins = auth.LoginCache()
    app.state.authenticate = auth.authenticate
    app.state.remembered_login = auth.remembered_login
    app.state.verify_token = auth.verify_api_token
    # Which offices exist, for the offices of directory users (the access slice stands
    # below the catalog and is handed its reads, as the command line does).
    app.state.offices = catalog_reads
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_per_minute, enabled=settings.rate_limits == "on"
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(apidocs.router)
    app.include_router(api.router)
    app.include_router(desk_api.router)
    app.include_router(appointments_api.router)
    app.include_router(forwarding_api.router)
    app.include_router(concerns_api.router)
    app.include_router(open311.router)
    app.include_router(inbox.router)
    app.include_router(citizen.router)
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(desk.router)
    app.include_router(desk_booking.router)
    app.include_router(desk_forward.router)
    app.include_router(agenda.router)
    app.include_router(booking.router)
    app.include_router(audit_web.router)
    app.include_router(audit_web.pages)
    app.include_router(privacy.router)
    app.include_router(staffing_api.router)
    app.include_router(telephony_api.router)
    app.include_router(statistics_api.router)
    app.include_router(statistics_pages.router)
    app.include_router(statistics_metrics.router)
    app.include_router(editorial_api.router)
    app.include_router(editorial_pages.router)
    app.include_router(links_api.router)
    app.include_router(links_pages.router)
    app.add_middleware(ServerTiming)
    app.add_middleware(ClientContext)  # the client address of each request, for the audit
    # Around routes, error handlers and static files: the headers go on every answer (the
    # 500 handler, which Starlette runs outside all middleware, adds them itself).
    app.add_middleware(
        SecurityHeaders,
        production=settings.env == "production",
        # The office's answer form opens from a signed link and shows the concern.
        private_paths=(*PRIVATE_PATHS, "/anliegen/antwort"),
        session_cookie=auth.SESSION_COOKIE,
    )
    app.mount(
        "/static",
        StaticFiles(
            packages=[
                ("auskunft.core.web", "static"),
                ("auskunft.desk", "static"),
                ("auskunft.forwarding", "static"),
            ]
        ),
        name="static",
    )

    return app
