"""What the link checker plugs into the core: a round every minute over the links that
are due (bounded: links.service.rounds.ROUND_LIMIT and ROUND_SECONDS), and the job of
"Jetzt prüfen"."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.core.registry import Registry
from auskunft.links.service import rounds

log = logging.getLogger("auskunft.links")


def check_due(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """Check the links whose time has come (new ones, those last checked an interval ago,
    and those that failed once an hour ago)."""
    check = rounds.CheckSettings.from_settings(settings)
    if not check.scheduled:
        return {}
    done = rounds.run(engine, check, now=now)
    if done.checked:
        log.info(
            "links: %d checked (%d failed, %d refused) in %.1f s, %d left",
            done.checked, done.failed, done.refused, done.seconds, done.left,
        )  # fmt: skip
    return done.counts()


def check_requested(
    engine: Engine, settings: Any, kind: str, payload: dict[str, Any], now: datetime
) -> None:
    """Every link due now (an editor asked); the first round starts at once."""
    rounds.check_requested(engine, rounds.CheckSettings.from_settings(settings), now=now)


def setup(registry: Registry) -> None:
    registry.job(rounds.JOB, check_requested)
    registry.every_minute("links.check", check_due)
