"""Import of the City of Munich's DLDB export: complete, idempotent, all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from auskunft.catalog import tables as t
from auskunft.catalog.repository import CatalogRepository
from auskunft.catalog.service.dldb_import import import_dldb
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import ImportFailed
from auskunft.search.service.engine import SearchEngine, answer_question
from tests.conftest import shared_path


def run_import(url: str, services: Path, locations: Path | None = None) -> object:
    with UnitOfWork(get_engine(url)) as uow:
        counts = import_dldb(
            uow, services_file=services, participant="muenchen", locations_file=locations
        )
        uow.commit()
    return counts


def munich_count(url: str) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        return uow.repo(CatalogRepository).count_services("muenchen")


def test_the_munich_export_is_imported_once_and_searchable(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Embedding 287 new services takes a while; the lexical search is what is tested here.
    monkeypatch.setenv("AUSKUNFT_SEARCH_DENSE", "off")
    services = shared_path("data", "munich-sadb", "services_de.json")
    locations = shared_path("data", "munich-sadb", "locations_de.json")
    first = run_import(fresh_url, services, locations)
    assert (first.created, first.locations) == (287, 109)  # type: ignore[attr-defined]
    again = run_import(fresh_url, services, locations)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 287)  # type: ignore[attr-defined]
    assert munich_count(fresh_url) == 287

    with UnitOfWork(get_engine(fresh_url)) as uow:
        row = uow.repo(CatalogRepository).service("muenchen-1063423")
        assert row is not None
        assert row.name == "Gewerbe-Anmeldung"
        assert "<" not in row.description and "Gewerbeanmeldung" in row.description
        assert row.leika == "99050012104000"
        assert row.duration_minutes == 20
        assert row.fees == ["50 bis 60 Euro (abhängig von der Rechtsform)"]
        places = uow.repo(CatalogRepository).locations_of_service("muenchen-1063423")
        assert any(loc.street == "Implerstraße 11" for _, loc in places)
        links = uow.session.scalar(select(func.count()).select_from(t.ServiceLocation))
        assert links and links > 287

    search = SearchEngine(get_engine(fresh_url))
    result = answer_question(search, q="Gewerbe anmelden", participant="muenchen", limit=3)
    assert result["results"][0]["id"] == "muenchen-1063423"
    assert all(r["id"].startswith("muenchen-") for r in result["results"])
    routed = answer_question(
        search, q="Gewerbe anmelden", participant="muenchen", municipality="muenchen"
    )
    assert routed["results"][0]["authority"]["name"] == "Stadtverwaltung München"


def _broken(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "services.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ({"data": [{"id": "1", "name": "Gut"}, {"id": "2"}]}, "data[1] (id 2)"),
        ({"data": [{"id": "1", "name": "Gut"}, {"id": "1", "name": "Doppelt"}]}, "data[1] (id 1)"),
        ({"data": [{"id": "1", "name": "Gut", "forms": "x"}]}, "data[0] (id 1)"),
        ({"items": []}, "oberste Ebene"),
        ([1, 2], "oberste Ebene"),
    ],
)
def test_a_malformed_file_imports_nothing_and_says_where(
    fresh_url: str, tmp_path: Path, content: object, where: str
) -> None:
    with pytest.raises(ImportFailed) as info:
        run_import(fresh_url, _broken(tmp_path, content))
    assert where in info.value.message
    assert munich_count(fresh_url) == 0


def test_invalid_json_names_line_and_column(fresh_url: str, tmp_path: Path) -> None:
    path = tmp_path / "services.json"
    path.write_text('{"data": [\n  {"id": "1", "name": "x"},\n  {oops}\n]}', encoding="utf-8")
    with pytest.raises(ImportFailed, match="Zeile 3, Spalte 4"):
        run_import(fresh_url, path)
    assert munich_count(fresh_url) == 0


def test_offices_without_services_are_imported_under_one_authority(
    fresh_url: str, tmp_path: Path
) -> None:
    locations = shared_path("data", "munich-sadb", "locations_de.json")
    counts = run_import(fresh_url, _broken(tmp_path, {"data": []}), locations)
    assert (counts.created, counts.locations, counts.authorities) == (0, 109, 1)  # type: ignore[attr-defined]
