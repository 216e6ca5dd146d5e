"""What one check found, and what a link's state becomes: the rule for "dead".

A check ends `ok` (the server answered 2xx or 3xx, or 401: there, behind a login),
`failed` (4xx or 5xx, a name that does not resolve, a refused or timed-out connection, a
TLS error, too many redirects) or `refused` (the policy forbids asking: another scheme,
a user name in the link, an address that is not public).

A link counts as dead only when it failed on two consecutive checks at least an hour apart:
a server that is down for a few minutes, or a flaky answer, is not reported. A link that
failed once is `failing` and is checked again an hour later. A refusal needs no second
look: the policy gives the same answer every time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

# The states of a link, in the order the page lists them.
STATES = ("dead", "refused", "failing", "unchecked", "ok")
CONFIRM_AFTER = timedelta(hours=1)

# Why a check failed or was refused (codes; the page and the API name them in words).
REASONS = (
    "http",  # the server answered 4xx or 5xx (status_code)
    "dns",  # the host name does not resolve
    "connect",  # the connection was refused or broke
    "timeout",
    "tls",  # the certificate does not fit or the TLS handshake failed
    "protocol",  # the answer was not HTTP
    "redirects",  # more than five redirects
    "loop",  # a redirect back to an address of the chain
    "scheme",  # not http or https
    "userinfo",  # a user name or password in the link
    "malformed",
    "private",  # the host (or a redirect's) has an address that is not public
)


@dataclass(frozen=True)
class Outcome:
    """What one check of a link found."""

    result: str  # ok, failed, refused
    reason: str = ""  # one of REASONS ("" for ok)
    status_code: int | None = None
    detail: str = ""  # for the editor: the address refused, the redirect that looped
    final_url: str = ""  # where the redirects ended
    redirects: int = 0

    @classmethod
    def ok(cls, status: int, final_url: str = "", redirects: int = 0) -> Outcome:
        return cls("ok", status_code=status, final_url=final_url, redirects=redirects)

    @classmethod
    def failed(
        cls, reason: str, *, status: int | None = None, detail: str = "", redirects: int = 0
    ) -> Outcome:
        return cls("failed", reason, status, detail[:300], redirects=redirects)

    @classmethod
    def refused(cls, reason: str, detail: str = "", redirects: int = 0) -> Outcome:
        return cls("refused", reason, None, detail[:300], redirects=redirects)


@dataclass(frozen=True)
class LinkState:
    """A link's standing after its checks so far."""

    state: str = "unchecked"
    status_code: int | None = None
    reason: str = ""
    detail: str = ""
    failures: int = 0  # failed checks in a row
    first_failed_at: datetime | None = None  # the first of those (or of the refusals)
    last_checked_at: datetime | None = None
    last_ok_at: datetime | None = None
    next_check_at: datetime | None = None


def fold(before: LinkState, outcome: Outcome, *, now: datetime, interval: timedelta) -> LinkState:
    """The link's state after this check."""
    if outcome.result == "ok":
        return LinkState(
            state="ok",
            status_code=outcome.status_code,
            last_checked_at=now,
            last_ok_at=now,
            next_check_at=now + interval,
        )
    troubled = before.state in ("failing", "dead", "refused")
    since = before.first_failed_at if troubled and before.first_failed_at else now
    common = replace(
        before,
        status_code=outcome.status_code,
        reason=outcome.reason,
        detail=outcome.detail,
        last_checked_at=now,
        first_failed_at=since,
        next_check_at=now + interval,
    )
    if outcome.result == "refused":
        return replace(common, state="refused", failures=0)
    failures = before.failures + 1 if before.state in ("failing", "dead") else 1
    if failures >= 2 and now - since >= CONFIRM_AFTER:
        return replace(common, state="dead", failures=failures)
    # Failed once (or twice within the hour): look again an hour after the first failure.
    again = max(since + CONFIRM_AFTER, now + timedelta(minutes=5))
    return replace(
        common, state="failing", failures=failures, next_check_at=min(again, now + interval)
    )
