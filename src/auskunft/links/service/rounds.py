"""Use cases of the link checker: gather the links of the published services, check those
that are due, bounded in number, time and concurrency, and record what was found.

A round spans several short units of work and no transaction stays open while the
network is asked (SQLite would hold its write lock that long), so `run` takes the engine,
as a job does. The round holds a lease on the checker's state row: two workers, or a
worker and `auskunft links check`, never check at the same time.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs.queue import enqueue
from auskunft.core.progress import Progress
from auskunft.links import tables as t
from auskunft.links.model.status import LinkState, Outcome, fold
from auskunft.links.repository import LinkRepository
from auskunft.links.service.probe import ProbePolicy, Resolver, probe, system_resolver

JOB = "links.check"
# What one round of the worker does at most (it runs once a minute, between the jobs):
# links checked, and seconds after which no further check starts. A check that started
# ends within its own budget (ProbePolicy.budget_s).
ROUND_LIMIT = 50
ROUND_SECONDS = 20.0
LEASE = timedelta(minutes=5)
RECORD_EVERY = 25  # results written (and the lease renewed) in batches of this many


@dataclass(frozen=True)
class CheckSettings:
    """The settings of the checker (AUSKUNFT_LINK_CHECK_*)."""

    concurrency: int = 8
    timeout_s: float = 10.0
    interval: timedelta = timedelta(hours=24)
    allow_loopback: bool = False
    # False: the worker's minute checks nothing (interval 0); "Jetzt prüfen" and the
    # command still do, and their links are then due again after a day.
    scheduled: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> CheckSettings:
        hours = settings.link_check_interval_hours
        return cls(
            concurrency=settings.link_check_concurrency,
            timeout_s=settings.link_check_timeout_s,
            interval=timedelta(hours=hours or 24),
            allow_loopback=settings.link_check_allow_loopback,
            scheduled=hours > 0,
        )

    def probe_policy(self) -> ProbePolicy:
        return ProbePolicy(
            timeout_s=self.timeout_s,
            budget_s=self.timeout_s * 2.5,
            allow_loopback=self.allow_loopback,
        )


@dataclass(frozen=True)
class RoundSummary:
    """What a round did."""

    checked: int = 0
    ok: int = 0
    failed: int = 0
    refused: int = 0
    left: int = 0  # due links the round did not reach (the next round takes them)
    seconds: float = 0.0
    skipped: bool = False  # another round held the lease

    def counts(self) -> dict[str, int]:
        return {
            "links_checked": self.checked,
            "links_failed": self.failed,
            "links_refused": self.refused,
        }


def link_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _uses_of(service: Any) -> list[tuple[str, dict[str, str]]]:
    """(url, use) for a service's online service and forms."""
    found: list[tuple[str, dict[str, str]]] = []
    online = (service.online_service or "").strip()
    if online:
        found.append((online, {"service": service.id, "where": "online_service", "title": ""}))
    for form in service.forms or []:
        if not isinstance(form, dict):
            continue
        url = str(form.get("url") or "").strip()
        if url:
            title = str(form.get("title") or form.get("name") or "")[:200]
            found.append((url, {"service": service.id, "where": "form", "title": title}))
    return found


def collect(uow: UnitOfWork) -> dict[str, list[dict[str, str]]]:
    """Every distinct link of the published services, with the services that carry it."""
    links: dict[str, list[dict[str, str]]] = {}
    for service in catalog_reads.services(uow, published_only=True):
        for url, use in _uses_of(service):
            if use not in links.setdefault(url, []):
                links[url].append(use)
    return links


def sync(uow: UnitOfWork, now: datetime, *, force: bool = False) -> bool:
    """Bring the links in line with the catalog when its revision moved (or `force`): new
    links are due at once, gone ones are dropped. True when the catalog was read."""
    repo = uow.repo(LinkRepository)
    state = repo.state()
    revision = catalog_reads.revision(uow)
    if revision == state.catalog_revision and not force:
        return False
    wanted = collect(uow)
    by_url = {row.url: row for row in repo.all()}
    for url, row in by_url.items():
        if url not in wanted:
            repo.delete(row)
        elif row.uses != wanted[url]:
            row.uses = wanted[url]
    for url, uses in wanted.items():
        if url not in by_url:
            repo.add(
                t.LinkCheck(
                    id=link_id(url),
                    url=url,
                    uses=uses,
                    state="unchecked",
                    reason="",
                    detail="",
                    failures=0,
                    next_check_at=now,
                    created_at=now,
                )
            )
    state.catalog_revision = revision
    return True


def request_round(uow: UnitOfWork, *, now: datetime) -> None:
    """An editor asks for every link to be checked now: a job for the worker."""
    enqueue(uow.session, JOB, {}, now=now)


def _state_of(row: t.LinkCheck) -> LinkState:
    return LinkState(
        state=row.state,
        status_code=row.status_code,
        reason=row.reason,
        detail=row.detail,
        failures=row.failures,
        first_failed_at=row.first_failed_at,
        last_checked_at=row.last_checked_at,
        last_ok_at=row.last_ok_at,
        next_check_at=row.next_check_at,
    )


def _record(engine: Engine, found: dict[str, Outcome], now: datetime, interval: timedelta) -> None:
    """Fold a batch of outcomes into their links, and renew the round's lease."""
    with UnitOfWork(engine) as uow:
        repo = uow.repo(LinkRepository)
        for link, row in repo.by_ids(list(found)).items():
            after = fold(_state_of(row), found[link], now=now, interval=interval)
            row.state = after.state
            row.status_code = after.status_code
            row.reason = after.reason
            row.detail = after.detail
            row.failures = after.failures
            row.first_failed_at = after.first_failed_at
            row.last_checked_at = after.last_checked_at
            row.last_ok_at = after.last_ok_at
            row.next_check_at = after.next_check_at or now + interval
        # A long round (the command over every link) keeps its lease by the clock.
        repo.state().running_until = max(now, datetime.now(UTC)) + LEASE
        uow.commit()


def run(
    engine: Engine,
    settings: CheckSettings,
    *,
    now: datetime,
    limit: int | None = ROUND_LIMIT,
    seconds: float | None = ROUND_SECONDS,
    everything: bool = False,
    progress: Progress | None = None,
    resolve: Resolver = system_resolver,
) -> RoundSummary:
    """One round: the due links (`everything`: all of them), at most `limit`, no check
    started after `seconds`, `settings.concurrency` at a time."""
    started = time.monotonic()
    with UnitOfWork(engine) as uow:
        repo = uow.repo(LinkRepository)
        if not repo.take_lease(now, now + LEASE):
            return RoundSummary(skipped=True)
        sync(uow, now, force=everything)
        if everything:
            repo.all_due(now)
        due = repo.due(now, None)
        uow.commit()
    chosen = due if limit is None else due[:limit]
    policy = settings.probe_policy()
    ends = None if seconds is None else started + seconds

    def check(url: str) -> Outcome | None:
        if ends is not None and time.monotonic() > ends:
            return None  # the round's time is up: the next round takes it
        return probe(url, policy, resolve=resolve)

    results = {"ok": 0, "failed": 0, "refused": 0}
    batch: dict[str, Outcome] = {}
    done = 0
    try:
        with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            futures = {pool.submit(check, url): link for link, url in chosen}
            for future in as_completed(futures):
                outcome = future.result()
                done += 1
                if progress is not None:
                    progress(done, len(chosen))
                if outcome is None:
                    continue
                results[outcome.result] += 1
                batch[futures[future]] = outcome
                if len(batch) >= RECORD_EVERY:
                    _record(engine, batch, now, settings.interval)
                    batch = {}
        if batch:
            _record(engine, batch, now, settings.interval)
    finally:
        elapsed = time.monotonic() - started
        checked = sum(results.values())
        with UnitOfWork(engine) as uow:
            state = uow.repo(LinkRepository).state()
            state.running_until = None
            if checked:
                state.last_round_at = now
                state.last_round_checked = checked
                state.last_round_seconds = round(elapsed, 3)
            uow.commit()
    return RoundSummary(
        checked=checked,
        ok=results["ok"],
        failed=results["failed"],
        refused=results["refused"],
        left=len(due) - checked,
        seconds=elapsed,
    )


def check_requested(
    engine: Engine, settings: CheckSettings, *, now: datetime, resolve: Resolver = system_resolver
) -> RoundSummary:
    """The job of "Jetzt prüfen": every link due now; this round checks as many as a
    round may, the worker's next rounds the rest (oldest first)."""
    with UnitOfWork(engine) as uow:
        sync(uow, now, force=True)
        uow.repo(LinkRepository).all_due(now)
        uow.commit()
    return run(engine, settings, now=now, resolve=resolve)
