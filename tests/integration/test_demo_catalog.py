"""The demo catalog holds every contract id with real content, on both databases."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from auskunft.catalog import tables as t
from auskunft.catalog.repository import CatalogRepository
from auskunft.catalog.service.demo import import_demo_catalog
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from tests.conftest import shared_path


def rows(name: str) -> list[dict[str, str]]:
    with shared_path("catalog", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_contract_service_is_there_as_specified(catalog_url: str) -> None:
    with UnitOfWork(get_engine(catalog_url)) as uow:
        for row in rows("services.csv"):
            service = uow.repo(CatalogRepository).service(row["id"])
            assert service is not None, row["id"]
            assert (service.name, service.kind, service.topic_id) == (
                row["name"],
                row["kind"],
                row["topic"],
            )
            assert service.appointment is (row["appointment"] == "yes")


def test_every_service_has_content_an_agent_can_read_out(catalog_url: str) -> None:
    with UnitOfWork(get_engine(catalog_url)) as uow:
        for s in uow.repo(CatalogRepository).services():
            if s.source != "demo":
                continue
            assert len(s.description.split()) >= 40, s.id
            assert s.summary and s.name_en and s.summary_en, s.id
            assert s.documents or s.prerequisites, s.id
            assert s.legal_basis and s.fees, s.id
            assert len(s.keywords) >= 5, s.id
            assert s.last_reviewed is not None, s.id


def test_every_contract_authority_and_area_is_there_as_specified(catalog_url: str) -> None:
    with UnitOfWork(get_engine(catalog_url)) as uow:
        for row in rows("authorities.csv"):
            a = uow.repo(CatalogRepository).authority(row["id"])
            assert a is not None, row["id"]
            assert a.name == row["name"]
            assert a.participant_id == row["participant"]
            assert {k.kind for k in a.kinds} == set(row["kinds"].split())
            assert {x.area_id for x in a.areas} == set(row["areas"].split())
        areas = {a.id: a for a in uow.repo(CatalogRepository).areas()}
        for row in rows("areas.csv"):
            assert areas[row["id"]].parent == (row["parent"] or None)


def test_reimporting_the_demo_catalog_changes_nothing(fresh_url: str) -> None:
    engine = get_engine(fresh_url)
    with UnitOfWork(engine) as uow:
        counts = import_demo_catalog(uow)
        uow.commit()
    assert counts["created"] == counts["updated"] == 0
    assert counts["unchanged"] >= 140
    with UnitOfWork(engine) as uow:
        versions = uow.session.scalars(select(t.ServiceVersion.version)).all()
    assert set(versions) == {1}


@pytest.mark.parametrize("service_id", ["personalausweis-beantragen", "sperrmuell"])
def test_an_edit_is_recorded_with_who_when_and_what(fresh_url: str, service_id: str) -> None:
    from auskunft.catalog.service.demo import _draft, read_demo_catalog
    from auskunft.catalog.service.queries import service_history
    from auskunft.catalog.service.store import save_service

    entry = next(e for e in read_demo_catalog()["service"] if e["id"] == service_id)
    engine = get_engine(fresh_url)
    with UnitOfWork(engine) as uow:
        row = uow.repo(CatalogRepository).service(service_id)
        assert row is not None
        draft = _draft(entry, row.participant_id)
        draft.fees = [*draft.fees, "Zusätzliche Gebühr für die Zustellung: 5,00 €"]
        assert save_service(uow, draft, changed_by="redaktion:anna") == "updated"
        uow.commit()
    with UnitOfWork(engine) as uow:
        history = service_history(uow, service_id=service_id)
        row = uow.repo(CatalogRepository).service(service_id)
        assert row is not None and row.version == 2
    assert history[-1]["changed_by"] == "redaktion:anna"
    assert list(history[-1]["changes"]) == ["fees"]
    old, new = history[-1]["changes"]["fees"]
    assert new[-1] == "Zusätzliche Gebühr für die Zustellung: 5,00 €"
    assert old == new[:-1]
