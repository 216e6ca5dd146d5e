"""Zuständigkeit: which authority is responsible for a service in a municipality."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auskunft.catalog.model.entities import Area, Authority
from auskunft.core.errors import NotFound

# Area types that are municipalities (a caller lives in one of them).
MUNICIPAL_TYPES = ("gemeinde", "kreisfreie-stadt")
# The municipality of the service center: asked about when the caller names none.
DEFAULT_MUNICIPALITY = "kassel"


@dataclass(frozen=True)
class Jurisdiction:
    """Answers 'who is responsible for kind K for a person living in M'.

    The rule (shared/catalog/README.md): walk from M up through its parents;
    at the first area for which some authority handles the kind, that
    authority is responsible. Where no area on the way has one, the answer is
    None: the catalog does not know, and the product must say so, not guess.
    """

    areas: Mapping[str, Area]
    _by_kind_area: Mapping[tuple[str, str], Authority]

    @classmethod
    def build(cls, areas: Iterable[Area], authorities: Iterable[Authority]) -> Jurisdiction:
        """Index authorities by (kind, area); ties go to the smallest id, so answers are stable."""
        index: dict[tuple[str, str], Authority] = {}
        for authority in sorted(authorities, key=lambda a: a.id):
            for kind in authority.kinds:
                for area in authority.areas:
                    index.setdefault((kind, area), authority)
        return cls({a.id: a for a in areas}, index)

    def chain(self, municipality: str) -> list[Area]:
        """Return the municipality and its parents, innermost first."""
        if municipality not in self.areas:
            raise NotFound(
                f"Die Gemeinde bzw. das Gebiet „{municipality}“ ist nicht bekannt.",
                message_en=f"Unknown municipality or area '{municipality}'.",
            )
        chain: list[Area] = []
        seen: set[str] = set()
        current: str | None = municipality
        while current is not None and current not in seen and current in self.areas:
            seen.add(current)
            area = self.areas[current]
            chain.append(area)
            current = area.parent
        return chain

    def responsible(self, kind: str, municipality: str) -> Authority | None:
        """Return the responsible authority, or None when the catalog has none."""
        for area in self.chain(municipality):
            found = self._by_kind_area.get((kind, area.id))
            if found is not None:
                return found
        return None
