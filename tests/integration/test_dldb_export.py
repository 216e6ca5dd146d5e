"""`auskunft export --format dldb` (issue 15): the catalog as DLDB JSON, which the import
reads back into an empty database as the same catalog, editors' work included."""

from __future__ import annotations

import json
from pathlib import Path

from auskunft.bootstrap import open_catalog
from auskunft.catalog.repository import CatalogRepository
from auskunft.catalog.service import editing
from auskunft.catalog.service.dldb_export import export_catalog, text_html
from auskunft.catalog.service.dldb_full import import_full
from auskunft.core.db.engine import get_engine, upgrade
from auskunft.core.db.uow import UnitOfWork


def test_an_export_imported_into_an_empty_database_is_the_same_catalog(tmp_path: Path) -> None:
    source, _ = open_catalog(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    with UnitOfWork(source) as uow:
        service = uow.repo(CatalogRepository).service("personalausweis-beantragen")
        assert service is not None
        row = editing.record_of(uow, service)
        record = {
            **row,
            "description_en": "You apply **in person**.",
            "jurisdiction": [{"area": "baunatal", "authority": "kassel-buergerbuero"}],
        }
        editing.publish_record(
            uow, "personalausweis-beantragen", record, version=9, author="a", reviewer="b"
        )
        editing.set_published(uow, "fuehrungszeugnis", False, by="a")
        uow.commit()
        exported = export_catalog(uow)
    text = json.dumps(exported, ensure_ascii=False, default=str)
    entry = next(e for e in exported["data"] if e["id"] == "personalausweis-beantragen")
    assert entry["description"].startswith("<p>") and entry["meta"]["keywords"]
    assert entry["x-auskunft"]["description_en"] == "You apply **in person**."
    assert not next(e for e in exported["data"] if e["id"] == "fuehrungszeugnis")["public"]

    empty = get_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    upgrade(empty)
    with UnitOfWork(empty) as uow:
        counts = import_full(uow, json.loads(text), changed_by="import:dldb")
        uow.commit()
        again = export_catalog(uow)
    assert counts["created"] == len(exported["data"]) >= 140
    assert json.loads(json.dumps(again, default=str)) == json.loads(text)


def test_texts_become_the_simple_html_of_dldb() -> None:
    assert text_html("Erster Absatz.\n\n• eins\n• zwei") == (
        "<p>Erster Absatz.</p><ul><li>eins</li><li>zwei</li></ul>"
    )
    assert text_html("<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>"


def test_the_commands_export_and_import_into_an_empty_database(tmp_path: Path) -> None:
    from tests.web.test_cli import cli

    first = f"sqlite:///{tmp_path / 'first.sqlite3'}"
    second = f"sqlite:///{tmp_path / 'second.sqlite3'}"
    assert cli(first, "db", "init").returncode == 0
    done = cli(first, "export", "--format", "dldb", str(tmp_path / "first.json"))
    assert done.returncode == 0, done.stderr
    assert "Leistungen nach" in done.stdout
    assert cli(second, "db", "init", "--empty").returncode == 0
    with UnitOfWork(get_engine(second)) as uow:
        assert export_catalog(uow)["data"] == []  # empty: the demo was not seeded
    done = cli(second, "import", "--format", "dldb", str(tmp_path / "first.json"))
    assert done.returncode == 0, done.stderr
    cli(second, "export", "--format", "dldb", str(tmp_path / "second.json"))
    assert json.loads((tmp_path / "second.json").read_text(encoding="utf-8")) == json.loads(
        (tmp_path / "first.json").read_text(encoding="utf-8")
    )
    # A participant of its own; an unknown one is a usage error.
    one = cli(first, "export", "--participant", "stadt-baunatal", "-")
    assert all(
        e["x-auskunft"]["participant"] == "stadt-baunatal" for e in json.loads(one.stdout)["data"]
    )
    assert cli(first, "export", "--participant", "atlantis", "-").returncode == 2
