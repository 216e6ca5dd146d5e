"""The hash chain of the audit log: each entry carries the SHA-256 of its own fields and of
the entry before it, so changing, removing or inserting an entry anywhere breaks every
hash after it (`auskunft audit verify` finds the first)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64  # the "previous hash" of the very first entry


@dataclass(frozen=True)
class Fields:
    """What an entry's hash covers."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: str
    client: str
    detail: str


def digest(previous: str, fields: Fields) -> str:
    """The entry's hash: SHA-256 over the previous hash and the fields, canonical JSON."""
    body = json.dumps(
        [
            previous,
            fields.id,
            fields.at.isoformat(timespec="microseconds"),
            fields.actor_id,
            fields.actor,
            fields.action,
            fields.object_type,
            fields.object_id,
            fields.client,
            fields.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
