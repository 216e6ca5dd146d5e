"""The demo year: made by `statistics/model/traffic.py`, written as a queue_log, imported
like any telephone system's file, with the contacts the agents logged for its calls."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.progress import Progress
from auskunft.desk import service as desk
from auskunft.statistics.model.traffic import Service, TrafficYear, generate
from auskunft.telephony.service import calls

# The Bürgeramt's business (ID cards, passports, certificates, driving licences, residence
# permits, vehicle registration): two thirds of the calls.
BUERGERAMT_KINDS = frozenset(
    {"buergerbuero", "standesamt", "fahrerlaubnis", "zulassung", "auslaenderbehoerde"}
)
BUERGERAMT_SHARE = 2 / 3


def weighted_services(kinds: dict[str, str]) -> list[Service]:
    """Every service of the catalog with its share of the calls."""
    office = sorted(s for s, kind in kinds.items() if kind in BUERGERAMT_KINDS)
    other = sorted(s for s, kind in kinds.items() if kind not in BUERGERAMT_KINDS)
    found = [Service(s, BUERGERAMT_SHARE / len(office)) for s in office] if office else []
    if other:
        share = (1 - BUERGERAMT_SHARE) if office else 1.0
        found += [Service(s, share / len(other)) for s in other]
    return found


def make_year(year: int, kinds: dict[str, str], *, seed: int, months: int = 12) -> TrafficYear:
    return generate(year, weighted_services(kinds), seed=seed, months=months)


def write_queue_log(made: TrafficYear, target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8", newline="\n") as out:
        for line in made.queue_log():
            out.write(line)
            out.write("\n")
            count += 1
    return count


def summary(made: TrafficYear) -> dict[str, Any]:
    results = Counter(call.result for call in made.calls)
    answered = [call for call in made.calls if call.result == "answered"]
    outcomes = Counter(call.outcome for call in answered)
    return {
        "offered": len(made.calls),
        "answered": len(answered),
        "not_answered": len(made.calls) - len(answered),
        "results": dict(results),
        "share_115": sum(c.channel == "115" for c in answered) / len(answered) if answered else 0,
        "outcomes": dict(outcomes),
    }


def import_year(
    uow: UnitOfWork,
    made: TrafficYear,
    queue_log: Path,
    *,
    channels: str,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import the queue_log and the contacts of its answered calls (one transaction)."""
    with queue_log.open(encoding="utf-8") as lines:
        report = calls.import_queue_log(
            uow, lines, channels=channels, progress=progress, total_lines=0
        )
    contacts = [
        desk.NewContact(
            channel=call.channel,
            outcome=call.outcome or "other",
            started_at=datetime.fromtimestamp(call.answered or call.entered, UTC),
            ended_at=datetime.fromtimestamp(call.ended, UTC),
            service_id=call.service,
            municipality=call.municipality,
            call_id=call.call_id,
        )
        for call in made.calls
        if call.result == "answered"
    ]
    stored = desk.import_history(uow, contacts, source="demo")
    return {"calls_new": report.new, "calls_unchanged": report.unchanged, "contacts": stored}
