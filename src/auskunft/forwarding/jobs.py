"""What the forwarding slice plugs into the worker: its e-mails, the escalation pass, closing
unsettled answers, and the deletion of personal data on schedule.

Registered through the entry point `auskunft.slices: forwarding` (pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.registry import Registry
from auskunft.forwarding import mails
from auskunft.forwarding.service import concerns

_contexts: dict[int, tuple[Any, mails.MailContext]] = {}


def _context(settings: Any) -> mails.MailContext:
    found = _contexts.get(id(settings))
    if found is None or found[0] is not settings:
        found = _contexts[id(settings)] = (settings, mails.MailContext.from_settings(settings))
    return found[1]


def send_mail(
    engine: Engine, settings: Any, kind: str, payload: dict[str, Any], now: datetime
) -> None:
    mails.send_job(engine, _context(settings), kind, payload, now)


def escalate(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """Remind offices at 75 % of the feedback time, escalate at the due time."""
    with UnitOfWork(engine) as uow:
        done = concerns.escalate(uow, concerns.Policy.from_settings(settings), now=now)
        uow.commit()
    return {"reminded": done.reminded, "overdue": done.overdue}


def housekeeping(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """Close answers nobody settled in two weeks; delete personal data past the retention."""
    with UnitOfWork(engine) as uow:
        closed = concerns.close_unsettled(uow, now=now)
        purged = concerns.purge(uow, concerns.Policy.from_settings(settings), now=now)
        uow.commit()
    return {"closed_unsettled": closed, "purged_concerns": purged}


def setup(registry: Registry) -> None:
    for kind in concerns.MAIL_KINDS:
        registry.job(kind, send_mail)
    registry.every_minute("concerns.escalate", escalate)
    registry.every_minute("concerns.housekeeping", housekeeping)
