"""`GET /metrics`: the service center's figures of this moment in the Prometheus text
format (prometheus-client), for the city's monitoring: calls waiting and the longest
wait, agents by state, today's calls and service level, concerns overdue. Read from the
database at each scrape, so every web process answers the same. For an integration's
machine token (the monitoring's) and for supervisors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from auskunft.core.config import Settings
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Forbidden
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, api_caller, settings_of
from auskunft.core.web.openapi import errors
from auskunft.forwarding.service import concerns
from auskunft.statistics.web.api import definition_of
from auskunft.telephony.service import live

router = APIRouter(tags=["statistics"])
READERS = (Role.SUPERVISOR, Role.ADMIN)


def monitor(caller: Annotated[Login | None, Depends(api_caller)]) -> Login | None:
    """The monitoring's machine token, or a supervisor's or administrator's."""
    if caller is not None and caller.role not in READERS:
        raise Forbidden(
            "Die Messwerte liest das Monitoring (API-Token der Integration) oder die Leitung.",
            message_en="The metrics are for the monitoring (an integration's API token) or "
            "supervisors.",
        )
    return caller


class Figures(Collector):
    """The figures of one scrape."""

    def __init__(self, board: dict[str, Any], open_concerns: dict[str, int]) -> None:
        self.board = board
        self.open_concerns = open_concerns

    def collect(self) -> Iterator[Metric]:
        board, today = self.board, self.board["today"]
        yield GaugeMetricFamily(
            "auskunft_calls_waiting", "Calls waiting in the queues now", board["calls_waiting"]
        )
        yield GaugeMetricFamily(
            "auskunft_longest_wait_seconds",
            "How long the call waiting longest has waited",
            board["longest_wait_s"],
        )
        agents = GaugeMetricFamily("auskunft_agents", "Agents by state now", labels=["state"])
        for state in ("talking", "free", "paused"):
            agents.add_metric([state], board[f"agents_{state}"])
        yield agents
        calls = CounterMetricFamily(
            "auskunft_calls_today", "Calls since midnight (Europe/Berlin)", labels=["result"]
        )
        for result in ("offered", "answered", "abandoned", "abandoned_short"):
            calls.add_metric([result], today[result])
        yield calls
        if today["service_level"] is not None:
            yield GaugeMetricFamily(
                "auskunft_service_level_today",
                "Service level since midnight (the settings' definition)",
                today["service_level"],
            )
        yield GaugeMetricFamily(
            "auskunft_concerns_overdue",
            "Concerns forwarded and not answered past their feedback time",
            self.open_concerns["overdue"],
        )


def scrape(uow: UnitOfWork, settings: Settings, now: datetime) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        Figures(
            live.board(uow, now, definition_of(settings)),
            concerns.supervisor_counts(uow, now=now),
        )
    )
    return generate_latest(registry)


@router.get(
    "/metrics",
    response_class=Response,
    summary="The figures of this moment in the Prometheus text format",
    responses={200: {"content": {"text/plain": {}}}, **errors(401, 403)},
)
def metrics(
    uow: Uow,
    _monitor: Annotated[Login | None, Depends(monitor)],
    settings: Annotated[Settings, Depends(settings_of)],
) -> Response:
    return Response(scrape(uow, settings, datetime.now(UTC)), media_type=CONTENT_TYPE_LATEST)
