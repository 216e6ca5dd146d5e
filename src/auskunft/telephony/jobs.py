"""What telephony plugs into the worker: destroying the callers' old day keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.registry import Registry
from auskunft.telephony.service import calls


def purge_keys_task(engine: Engine, _settings: Any, now: datetime) -> Mapping[str, int]:
    with UnitOfWork(engine) as uow:
        counts = calls.purge_keys(uow, now)
        uow.commit()
    return counts


def setup(registry: Registry) -> None:
    registry.every_minute("telephony.purge_keys", purge_keys_task)
