"""The area codes shipped with the product (telephony/data): loaded once per process."""

from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from importlib.resources import files

from auskunft.telephony.model.areas import AreaCodes


@lru_cache(maxsize=1)
def area_codes() -> AreaCodes:
    data = files("auskunft.telephony") / "data"
    labels = json.loads((data / "area_codes.json").read_text(encoding="utf-8"))["labels"]
    networks = tomllib.loads((data / "area_networks.toml").read_text(encoding="utf-8"))
    return AreaCodes(
        labels, {code: tuple(ids) for code, ids in networks.get("networks", {}).items()}
    )
