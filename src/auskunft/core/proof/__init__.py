"""Proof of work (ALTCHA format): the browser spends about a second finding a number, a
script spends that for every attempt; nobody is tracked.

Used by the portal's concern form (every message) and by the staff login (after a few
failures for a name or from an address). A challenge is signed with the server's secret,
expires after ten minutes and may carry parameters in its salt (what it was issued for,
how hard it is), which the signature covers; an accepted solution is recorded until it
expires, so it counts once.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from altcha import v1 as altcha
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.proof.tables import SpentChallenge

LIFETIME = timedelta(minutes=10)
FAILED = (
    "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen oder abgelaufen. Bitte senden "
    "Sie das Formular noch einmal.",
    "The form's security check failed or expired. Please send the form again.",
)


def challenge(
    secret: bytes, max_number: int, now: datetime, params: dict[str, str] | None = None
) -> dict[str, Any]:
    """A new signed challenge, in the JSON form ALTCHA clients expect."""
    found = altcha.create_challenge(
        altcha.ChallengeOptions(
            hmac_key=secret, max_number=max_number, expires=now + LIFETIME, params=params
        )
    )
    return {
        "algorithm": found.algorithm,
        "challenge": found.challenge,
        "maxnumber": found.max_number,
        "salt": found.salt,
        "signature": found.signature,
    }


def check(uow: UnitOfWork, secret: bytes, payload: str, now: datetime) -> dict[str, str]:
    """Accept a solution once and return the parameters it was issued with; InvalidInput
    for a missing, wrong, expired or used one."""
    if not payload or len(payload) > 2000:
        raise InvalidInput(FAILED[0], message_en=FAILED[1])
    try:
        ok, _ = altcha.verify_solution(payload, secret)
    except Exception:  # a forged payload is not base64 or not JSON: the same answer
        ok = False
    data = _decode(payload) if ok else None
    signature = data.get("signature") if data is not None else None
    if not isinstance(signature, str) or len(signature) > 128:
        raise InvalidInput(FAILED[0], message_en=FAILED[1])
    try:
        with uow.session.begin_nested():
            fresh = _spend(uow, signature, now + LIFETIME)
    except IntegrityError:
        fresh = False
    if not fresh:
        raise InvalidInput(FAILED[0], message_en=FAILED[1])
    uow.session.execute(delete(SpentChallenge).where(SpentChallenge.expires_at < now))
    salt = data.get("salt") if data is not None else None
    return _params(salt) if isinstance(salt, str) else {}


def _spend(uow: UnitOfWork, signature: str, expires_at: datetime) -> bool:
    """Record a proof as used; False when it was used before."""
    if uow.session.get(SpentChallenge, signature) is not None:
        return False
    uow.session.add(SpentChallenge(signature=signature, expires_at=expires_at))
    uow.session.flush()
    return True


def _decode(payload: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def _params(salt: str) -> dict[str, str]:
    """The parameters signed into the salt (`salt?key=value&...`), first value each."""
    _, _, query = salt.partition("?")
    return {key: values[0] for key, values in parse_qs(query).items() if values}
