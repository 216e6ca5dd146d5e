"""Shared fixtures: one seeded catalog per database backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sqlite3
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from auskunft.bootstrap import open_catalog
from auskunft.core.db.engine import get_engine
from auskunft.search.service.engine import SearchEngine

# Apps made by tests run no in-process worker unless a test asks for one (worker="inline"):
# a background thread would send mail, end holds and purge data behind the tests' backs.
os.environ.setdefault("AUSKUNFT_WORKER", "off")
# Nor does the worker's minute check the demo catalog's links on the internet (the link
# checker's tests run their rounds themselves, against a server of their own).
os.environ.setdefault("AUSKUNFT_LINK_CHECK_INTERVAL_HOURS", "0")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
_pg_state: dict[str, object] = {}


def shared_path(*parts: str) -> Path:
    """Return a path in ../shared, skipping the test when that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def _pg_admin_url() -> str | None:
    """Return a reachable PostgreSQL URL, or None (skip) when it is not configured and down."""
    if "url" in _pg_state:
        return _pg_state["url"]  # type: ignore[return-value]
    configured = os.environ.get("AUSKUNFT_TEST_POSTGRES_URL")
    url = configured or DEFAULT_PG
    try:
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        if configured:
            raise RuntimeError(f"AUSKUNFT_TEST_POSTGRES_URL={url} is unreachable: {exc}") from exc
        warnings.warn(f"PostgreSQL at {url} unreachable: PostgreSQL tests skipped", stacklevel=1)
        _pg_state["url"] = None
        return None
    _pg_state["url"] = url
    return url


def _new_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"auskunft_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, name: str) -> None:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Modules that take minutes: first, so that with `-n` (pytest-xdist, `--dist loadfile`,
# as `make test` runs) they run beside the others instead of alone at the end.
LONG_MODULES = ("tests/integration/test_api_fuzz.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = [item for item in items if item.nodeid.startswith(LONG_MODULES)]
    if first:
        chosen = {id(item) for item in first}
        items[:] = first + [item for item in items if id(item) not in chosen]


def pytest_report_header() -> str:
    url = os.environ.get("AUSKUNFT_TEST_POSTGRES_URL") or f"{DEFAULT_PG} (default)"
    return f"auskunft: PostgreSQL tests use {url}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _pg_state.get("url", "unset") is None:
        terminalreporter.write_line(
            "NOTICE: PostgreSQL was unreachable; the PostgreSQL variants were skipped.",
            yellow=True,
        )


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a test once per database backend."""
    if request.param == "postgresql" and _pg_admin_url() is None:
        pytest.skip("PostgreSQL unreachable (set AUSKUNFT_TEST_POSTGRES_URL)")
    return str(request.param)


def _fresh_url(backend: str, tmp: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'auskunft.sqlite3'}", None
    admin = _pg_admin_url()
    assert admin is not None
    name, url = _new_pg_database(admin)
    return url, name


@pytest.fixture(scope="session")
def seeded_template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database seeded once per session, copied for every test that needs a new one.

    Seeding the demo catalog takes over a second; a copy takes milliseconds (a
    file copy through SQLite's backup API, a PostgreSQL CREATE DATABASE ...
    TEMPLATE). Nobody works on the template itself.
    """
    url, pg_name = _fresh_url(backend, tmp_path_factory.mktemp(f"{backend}-template"))
    open_catalog(url)
    get_engine(url).dispose()  # PostgreSQL copies only a template nobody is connected to
    yield url
    if pg_name:
        _drop_pg_database(str(_pg_admin_url()), pg_name)


def _copy_of(template: str, tmp: Path) -> tuple[str, str | None]:
    """A new database with the template's content, and its PostgreSQL name (if any)."""
    source = make_url(template)
    if source.get_backend_name() == "sqlite":
        target = tmp / "auskunft.sqlite3"
        with sqlite3.connect(str(source.database)) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return f"sqlite:///{target}", None
    admin = _pg_admin_url()
    assert admin is not None
    name = f"auskunft_t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(
        make_url(admin).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False), name


def _seeded(template: str, tmp: Path) -> Iterator[str]:
    """A new database seeded with the demo catalog (a copy of the template); dropped afterwards."""
    url, pg_name = _copy_of(template, tmp)
    open_catalog(url)  # brings nothing new; as every app start would
    yield url
    get_engine(url).dispose()
    if pg_name:
        _drop_pg_database(str(_pg_admin_url()), pg_name)


@pytest.fixture(scope="session")
def catalog_url(seeded_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database seeded with the demo catalog, shared by read-only tests."""
    yield from _seeded(seeded_template, tmp_path_factory.mktemp("catalog"))


@pytest.fixture
def fresh_url(seeded_template: str, tmp_path: Path) -> Iterator[str]:
    """A new seeded database for a test that writes."""
    yield from _seeded(seeded_template, tmp_path)


@pytest.fixture(scope="session")
def search(catalog_url: str) -> SearchEngine:
    """A search engine over the shared seeded catalog."""
    return SearchEngine(get_engine(catalog_url))


@pytest.fixture(scope="module")
def module_url(seeded_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new seeded database shared by the tests of one module that write."""
    yield from _seeded(seeded_template, tmp_path_factory.mktemp("module"))
