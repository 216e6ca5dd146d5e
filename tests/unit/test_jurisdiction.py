from __future__ import annotations

import csv

import pytest

from auskunft.catalog.model.entities import Area, Authority
from auskunft.catalog.model.jurisdiction import Jurisdiction
from auskunft.core.errors import NotFound
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def contract() -> tuple[Jurisdiction, dict[str, str]]:
    folder = shared_path("catalog")
    with (folder / "areas.csv").open(encoding="utf-8") as f:
        areas = [
            Area(r["id"], r["name"], r["type"], r["parent"] or None) for r in csv.DictReader(f)
        ]
    with (folder / "authorities.csv").open(encoding="utf-8") as f:
        authorities = [
            Authority(
                r["id"],
                r["name"],
                r["participant"],
                frozenset(r["kinds"].split()),
                frozenset(r["areas"].split()),
            )
            for r in csv.DictReader(f)
        ]
    with (folder / "services.csv").open(encoding="utf-8") as f:
        kinds = {r["id"]: r["kind"] for r in csv.DictReader(f)}
    return Jurisdiction.build(areas, authorities), kinds


def who(contract: tuple[Jurisdiction, dict[str, str]], service: str, place: str) -> str | None:
    jurisdiction, kinds = contract
    found = jurisdiction.responsible(kinds[service], place)
    return found.id if found else None


def test_it_walks_up_to_the_kreis_when_the_town_has_no_office(contract) -> None:  # type: ignore[no-untyped-def]
    assert who(contract, "fahrzeug-zulassen", "baunatal") == "lk-kassel-zulassung"


def test_the_own_office_of_a_town_comes_first(contract) -> None:  # type: ignore[no-untyped-def]
    assert who(contract, "personalausweis-beantragen", "niestetal") == "niestetal-buergerbuero"
    assert who(contract, "fahrzeug-zulassen", "kassel") == "kassel-zulassung"


def test_state_and_federal_offices_answer_for_everyone(contract) -> None:  # type: ignore[no-untyped-def]
    assert who(contract, "schwerbehindertenausweis", "herborn") == "havs-giessen"
    assert who(contract, "rente-beantragen", "kassel") == "drv"
    assert who(contract, "blindengeld", "baunatal") == "lwv-hessen"


def test_it_never_guesses_where_the_catalog_has_no_office(contract) -> None:  # type: ignore[no-untyped-def]
    assert who(contract, "sperrmuell", "baunatal") is None
    assert who(contract, "sperrmuell", "kassel") == "stadtreiniger-kassel"


def test_an_unknown_municipality_is_an_error_not_a_guess(contract) -> None:  # type: ignore[no-untyped-def]
    jurisdiction, _ = contract
    with pytest.raises(NotFound):
        jurisdiction.responsible("buergerbuero", "atlantis")
