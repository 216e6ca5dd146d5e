"""A publication updates every process's search by the services it changed, on SQLite and
PostgreSQL: the index laid over is used, an import or a long gap rebuilds it whole."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete

from auskunft.catalog.service import editing
from auskunft.catalog.service import reads as catalog_reads
from auskunft.catalog.tables import CatalogChange
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.search.service.engine import SearchEngine, answer_question


def publish(url: str, service_id: str, **fields: object) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        row = catalog_reads.services_by_id(uow, [service_id]).get(service_id)
        if row is not None:
            record = {**editing.record_of(uow, row), **fields}
            version = row.version + 1
        else:
            record = {**fields}
            version = 1
        editing.publish_record(
            uow, service_id, record, version=version, author="a", reviewer="b",
            now=datetime.now(UTC),
        )  # fmt: skip
        uow.commit()


def first(search: SearchEngine, q: str) -> str | None:
    results = answer_question(search, q=q, limit=5)["results"]
    return results[0]["id"] if results else None


def fresh(search: SearchEngine) -> None:
    """Ask the database now instead of after the revision check's interval."""
    search.invalidate()


def test_two_processes_see_a_publication_through_the_overlay(fresh_url: str) -> None:
    web1, web2 = SearchEngine(get_engine(fresh_url)), SearchEngine(get_engine(fresh_url))
    built = web1.snapshot().index, web2.snapshot().index
    publish(fresh_url, "hundesteuer-anmelden", keywords=["Zwergpinscherabgabe"])
    for web, index in zip((web1, web2), built, strict=True):
        fresh(web)
        assert first(web, "Zwergpinscherabgabe") == "hundesteuer-anmelden"
        snapshot = web.snapshot()
        assert snapshot.changed == {"hundesteuer-anmelden"}
        assert snapshot.index.changed == 1 and snapshot.index is not index
    # A second publication is laid over the same build, beside the first.
    publish(fresh_url, "sperrmuell", keywords=["Sofaentsorgung"])
    fresh(web1)
    assert first(web1, "Sofaentsorgung") == "sperrmuell"
    assert first(web1, "Zwergpinscherabgabe") == "hundesteuer-anmelden"
    assert web1.snapshot().changed == {"hundesteuer-anmelden", "sperrmuell"}


def test_new_and_unpublished_services_come_and_go(fresh_url: str) -> None:
    web = SearchEngine(get_engine(fresh_url))
    web.snapshot()
    with UnitOfWork(get_engine(fresh_url)) as uow:
        template = editing.record_of(
            uow, catalog_reads.services_by_id(uow, ["sperrmuell"])["sperrmuell"]
        )
    publish(fresh_url, "drachenflugwiese", **{**template, "name": "Drachenflugwiese mieten",
                                              "keywords": [], "questions": []})  # fmt: skip
    fresh(web)
    assert first(web, "Drachenflugwiese") == "drachenflugwiese"
    assert "drachenflugwiese" in web.snapshot().services
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert editing.set_published(uow, "drachenflugwiese", False, by="a")
        uow.commit()
    fresh(web)
    assert first(web, "Drachenflugwiese") is None
    assert "drachenflugwiese" not in web.snapshot().services


def test_an_import_or_a_forgotten_note_rebuilds_the_index(fresh_url: str) -> None:
    web = SearchEngine(get_engine(fresh_url))
    web.snapshot()
    publish(fresh_url, "hundesteuer-anmelden", keywords=["Zwergpinscherabgabe"])
    with UnitOfWork(get_engine(fresh_url)) as uow:
        catalog_reads.mark_changed(uow)  # what an import writes
        uow.commit()
    fresh(web)
    snapshot = web.snapshot()
    assert snapshot.changed == frozenset() and snapshot.index.changed == 0
    assert first(web, "Zwergpinscherabgabe") == "hundesteuer-anmelden"
    # Notes pruned (or written before notes were kept): a process that lags rebuilds.
    publish(fresh_url, "sperrmuell", keywords=["Sofaentsorgung"])
    with UnitOfWork(get_engine(fresh_url)) as uow:
        uow.session.execute(delete(CatalogChange))
        uow.commit()
    fresh(web)
    assert web.snapshot().index.changed == 0
    assert first(web, "Sofaentsorgung") == "sperrmuell"
