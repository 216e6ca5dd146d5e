"""Generate a large synthetic catalog with realistic German texts, for scale benchmarks.

Texts are recombined from the demo catalog and, where present, the Munich
export: sentences of real service descriptions, names with qualifiers. The
vocabulary is that of real administrative German; the seed makes it repeatable.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from auskunft.catalog.service.demo import read_demo_catalog
from auskunft.catalog.service.html_text import html_to_text
from auskunft.search.model.index import IndexDoc

QUALIFIERS = [
    "für Unternehmen", "für Minderjährige", "im Ausland", "online", "im Eilverfahren",
    "für Vereine", "für Menschen mit Behinderung", "für Studierende", "für Senioren",
    "Verlängerung", "Änderung", "Erstantrag", "Ersatz", "Auskunft", "Widerspruch",
    "Beratung", "Nachweis", "Befreiung", "Ermäßigung", "Ausnahmegenehmigung",
]  # fmt: skip
PLACES = [f"Bezirk {n}" for n in range(1, 60)] + [
    "Nord", "Süd", "Ost", "West", "Mitte", "Altstadt", "Hafen", "Oberstadt", "Unterstadt",
]  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _corpus(shared: Path | None) -> tuple[list[dict[str, object]], list[str]]:
    services = read_demo_catalog()["service"]
    sentences: list[str] = []
    for s in services:
        sentences.extend(x for x in _SENTENCE.split(str(s.get("description", ""))) if len(x) > 30)
    munich = shared / "data" / "munich-sadb" / "services_de.json" if shared else None
    if munich and munich.exists():
        for entry in json.loads(munich.read_text(encoding="utf-8"))["data"]:
            text = html_to_text(entry.get("description"))
            sentences.extend(x for x in _SENTENCE.split(text) if len(x) > 30)
    return services, sentences


def generate(n: int, seed: int = 7, shared: Path | None = None) -> list[IndexDoc]:
    """Return n documents; about 1,500 characters of text each, like real services."""
    rng = random.Random(seed)
    services, sentences = _corpus(shared)
    docs = []
    for i in range(n):
        base = services[rng.randrange(len(services))]
        name = f"{base['name']} {rng.choice(QUALIFIERS)} ({rng.choice(PLACES)})"
        body = " ".join(rng.choice(sentences) for _ in range(rng.randint(6, 14)))
        keywords = list(base.get("keywords", []))  # type: ignore[arg-type]
        rng.shuffle(keywords)
        docs.append(
            IndexDoc(
                key=f"gen-{i}",
                participant=f"p{i % 50}",
                fields={
                    "name": name,
                    "keywords": " ; ".join(keywords[: rng.randint(4, 12)]),
                    "summary": rng.choice(sentences),
                    "body": body,
                    "name_en": str(base.get("name_en", "")),
                    "summary_en": str(base.get("summary_en", "")),
                },
            )
        )
    return docs
