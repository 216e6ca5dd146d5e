"""Per-client request rate limit of the booking endpoints (AUSKUNFT_RATE_LIMIT_PER_MINUTE).

A fixed one-minute window per client address, kept in the process. With several
worker processes each counts on its own, so the effective limit is the setting
times the number of workers; that is enough to stop a bot's bursts, which is the
point. `AUSKUNFT_RATE_LIMITS=off` switches it off for load tests.
"""

from __future__ import annotations

import threading
import time

from fastapi import Request

from auskunft.core.errors import LimitReached
from auskunft.core.web.client import client_address


class RateLimiter:
    """Count requests per client and minute; refuse those over the limit."""

    def __init__(self, per_minute: int, *, enabled: bool = True) -> None:
        self.per_minute = per_minute
        self.enabled = enabled
        self._window = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, now: float | None = None) -> None:
        """Count one request; LimitReached (429) when the client is over the limit."""
        if not self.enabled:
            return
        window = int((time.time() if now is None else now) // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            count = self._counts.get(client, 0) + 1
            self._counts[client] = count
        if count > self.per_minute:
            raise LimitReached(
                "Zu viele Anfragen in kurzer Zeit. Bitte eine Minute warten und es dann "
                "erneut versuchen.",
                message_en="Too many requests in a short time. Please wait a minute and try again.",
            )


async def limit(request: Request) -> None:
    """A dependency: count the request against its client's limit.

    Async, because it never waits: a plain function would cost every booking a
    trip through the thread pool.
    """
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.hit(client_address(request))
