"""Zuständigkeit: which authority is responsible for a service in a municipality."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
    # The editors' exceptions: (service, area) -> authority, consulted before the kinds.
    _by_service_area: Mapping[tuple[str, str], Authority] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        areas: Iterable[Area],
        authorities: Iterable[Authority],
        exceptions: Iterable[tuple[str, str, str]] = (),
    ) -> Jurisdiction:
        """Index authorities by (kind, area); ties go to the smallest id, so answers are stable.
        `exceptions` are (service, area, authority) where one service differs from its kind."""
        index: dict[tuple[str, str], Authority] = {}
        by_id: dict[str, Authority] = {}
        for authority in sorted(authorities, key=lambda a: a.id):
            by_id[authority.id] = authority
            for kind in authority.kinds:
                for area in authority.areas:
                    index.setdefault((kind, area), authority)
        special = {
            (service, area): by_id[authority]
            for service, area, authority in exceptions
            if authority in by_id
        }
        return cls({a.id: a for a in areas}, index, special)

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

    def responsible(
        self, kind: str, municipality: str, service: str | None = None
    ) -> Authority | None:
        """Return the responsible authority, or None when the catalog has none; for a named
        service, an editor's exception for an area on the way counts first."""
        for area in self.chain(municipality):
            if service is not None and self._by_service_area:
                special = self._by_service_area.get((service, area.id))
                if special is not None:
                    return special
            found = self._by_kind_area.get((kind, area.id))
            if found is not None:
                return found
        return None
