"""German telephone area codes (Ortsnetzkennzahlen): which network a caller's number is
in, its name, and which municipalities of the catalog that network serves.

Codes are 2 to 5 digits after the trunk 0 and the longest one that starts the number
wins. A number without the trunk 0 (a local number), a foreign one ("00...") or a mobile
one (015x, 016x, 017x: no network) has no area."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MOBILE_PREFIXES = ("15", "16", "17")


@dataclass(frozen=True)
class Area:
    code: str  # without the trunk 0: "561"
    label: str  # the network's name: "Kassel"
    municipalities: tuple[str, ...]  # catalog area ids the network serves

    @property
    def suggestion(self) -> str | None:
        """The municipality to suggest: only where the network serves exactly one."""
        return self.municipalities[0] if len(self.municipalities) == 1 else None


class AreaCodes:
    def __init__(self, labels: Mapping[str, str], networks: Mapping[str, tuple[str, ...]]):
        self.labels = dict(labels)
        self.networks = dict(networks)
        self._lengths = sorted({len(code) for code in self.labels}, reverse=True)

    def area_of(self, national: str) -> Area | None:
        """The area of a number in national digits ("05614711" -> 561 Kassel)."""
        if not national.startswith("0") or national.startswith("00"):
            return None
        rest = national[1:]
        if rest.startswith(MOBILE_PREFIXES):
            return None
        for length in self._lengths:
            code = rest[:length]
            if len(rest) > length and code in self.labels:
                return Area(code, self.labels[code], self.networks.get(code, ()))
        return None

    def area(self, code: str) -> Area | None:
        """The area of a code already known ("561")."""
        label = self.labels.get(code)
        return Area(code, label, self.networks.get(code, ())) if label else None
