"""Proof of work for the portal's concern form (ALTCHA): the browser spends about a second
finding a number, a script spends that for every message; nobody is tracked.

The challenge is signed with the server's secret and expires after ten minutes; an
accepted solution is recorded until then, so it counts once.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any

from altcha import v1 as altcha
from sqlalchemy.exc import IntegrityError

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.forwarding.repository import ChallengeRepository

LIFETIME = timedelta(minutes=10)
FAILED = (
    "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen oder abgelaufen. Bitte senden "
    "Sie das Formular noch einmal.",
    "The form's security check failed or expired. Please send the form again.",
)


def challenge(secret: bytes, max_number: int, now: datetime) -> dict[str, Any]:
    """A new signed challenge, in the JSON form ALTCHA clients expect."""
    found = altcha.create_challenge(
        altcha.ChallengeOptions(hmac_key=secret, max_number=max_number, expires=now + LIFETIME)
    )
    return {
        "algorithm": found.algorithm,
        "challenge": found.challenge,
        "maxnumber": found.max_number,
        "salt": found.salt,
        "signature": found.signature,
    }


def check(uow: UnitOfWork, secret: bytes, payload: str, now: datetime) -> None:
    """Accept a solution once; InvalidInput for a missing, wrong, expired or used one."""
    if not payload or len(payload) > 2000:
        raise InvalidInput(FAILED[0], message_en=FAILED[1])
    try:
        ok, _ = altcha.verify_solution(payload, secret)
    except Exception:  # a forged payload is not base64 or not JSON: the same answer
        ok = False
    signature = _signature(payload) if ok else None
    if not ok or signature is None:
        raise InvalidInput(FAILED[0], message_en=FAILED[1])
    repo = uow.repo(ChallengeRepository)
    try:
        with uow.session.begin_nested():
            fresh = repo.spend(signature, now + LIFETIME)
    except IntegrityError:
        fresh = False
    if not fresh:
        raise InvalidInput(FAILED[0], message_en=FAILED[1])
    repo.forget_expired(now)


def _signature(payload: str) -> str | None:
    try:
        data = json.loads(base64.b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    signature = data.get("signature") if isinstance(data, dict) else None
    return signature if isinstance(signature, str) and len(signature) <= 128 else None
