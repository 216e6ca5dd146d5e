"""What editors see of the checker's findings: the links by state, each with the services
(of the editor's participants) that carry it, and when the checker last ran."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.principal import Login
from auskunft.links.model.status import STATES
from auskunft.links.model.visibility import may_see
from auskunft.links.repository import LinkRepository

# What the filters select: "problems" (the page's default) are the dead and refused ones.
FILTERS: dict[str, tuple[str, ...]] = {
    "problems": ("dead", "refused"),
    "all": STATES,
    **{state: (state,) for state in STATES},
}


@dataclass(frozen=True)
class Use:
    service: str
    name: str
    participant: str
    where: str  # online_service, form
    title: str


@dataclass(frozen=True)
class Link:
    url: str
    state: str
    status_code: int | None
    reason: str
    detail: str
    since: datetime | None  # the first failure (or refusal) of the current run of them
    last_checked_at: datetime | None
    last_ok_at: datetime | None
    next_check_at: datetime
    uses: list[Use]


@dataclass(frozen=True)
class Listing:
    links: list[Link]
    counts: dict[str, int]  # the links the login sees, by state
    last_round_at: datetime | None
    last_round_checked: int
    last_round_seconds: float


def listing(uow: UnitOfWork, login: Login, *, state: str = "problems") -> Listing:
    """The links of the services the login may see, in the states the filter names."""
    if state not in FILTERS:
        raise InvalidInput(f"Unbekannter Status „{state[:20]}“.", message_en="Unknown state.")
    repo = uow.repo(LinkRepository)
    rows = repo.all()
    ids = sorted({use["service"] for row in rows for use in row.uses})
    services = catalog_reads.services_by_id(uow, ids)
    counts = dict.fromkeys(STATES, 0)
    found: list[Link] = []
    wanted = FILTERS[state]
    for row in rows:
        uses = []
        for use in row.uses:
            service = services.get(use["service"])
            if service is None or not may_see(login, service.participant_id):
                continue
            uses.append(
                Use(
                    service=service.id,
                    name=service.name,
                    participant=service.participant_id,
                    where=use["where"],
                    title=use.get("title", ""),
                )
            )
        if not uses:
            continue
        counts[row.state] = counts.get(row.state, 0) + 1
        if row.state not in wanted:
            continue
        found.append(
            Link(
                url=row.url,
                state=row.state,
                status_code=row.status_code,
                reason=row.reason,
                detail=row.detail,
                since=row.first_failed_at if row.state in ("dead", "refused", "failing") else None,
                last_checked_at=row.last_checked_at,
                last_ok_at=row.last_ok_at,
                next_check_at=row.next_check_at,
                uses=sorted(uses, key=lambda u: u.name.lower()),
            )
        )
    order = {name: n for n, name in enumerate(STATES)}
    found.sort(key=lambda link: (order.get(link.state, 99), link.since or link.next_check_at))
    checker = repo.state()
    return Listing(
        links=found,
        counts=counts,
        last_round_at=checker.last_round_at,
        last_round_checked=checker.last_round_checked,
        last_round_seconds=checker.last_round_seconds,
    )
