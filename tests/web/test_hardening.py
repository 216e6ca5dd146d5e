"""Hardening: security headers on every answer, no caching of staff pages, API docs from our
own files, health and readiness that tell the truth, and error pages during an outage."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, update
from sqlalchemy.engine import make_url

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs.heartbeat import Heartbeat
from auskunft.core.jobs.tables import WorkerHeartbeat
from auskunft.core.web.security import PRIVATE_PATHS
from tests.web.test_staff_login import PASSWORD, login

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TOKENS: dict[str, str] = {}
WEB = Path(__file__).resolve().parents[2] / "src" / "auskunft"


def boom() -> None:
    raise RuntimeError("a bug")


def own_headers() -> Response:
    return Response(
        "eigen", headers={"Referrer-Policy": "no-referrer", "Cache-Control": "max-age=60"}
    )


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "agent-hart", "agent", PASSWORD, now)
        TOKENS["agent"] = create_api_token(uow, "agent-hart-api", now, username="agent-hart")
        uow.commit()
    app = create_app(Settings(database_url=module_url, worker="off"))
    # A bug on a page and in the API: the 500 answers, which Starlette sends outside all
    # middleware, must carry the headers too.
    app.add_api_route("/test-kaputt", boom)
    app.add_api_route("/api/v1/test-kaputt", boom)
    app.add_api_route("/test-eigen", own_headers)
    return app


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_secured(h: httpx.Headers) -> None:
    csp = h["content-security-policy"]
    directives = {}
    for part in filter(None, (p.strip() for p in csp.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert "camera=()" in h["permissions-policy"]
    assert "geolocation=()" in h["permissions-policy"]


# -- headers on every kind of answer ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/", 200, "text/html"),
        ("/leistungen/ausweis-verlust-melden", 200, "text/html"),
        ("/api/v1/search?q=Reisepass", 200, "application/json"),
        ("/static/site.css", 200, "text/css"),
        ("/static/vendor/htmx.min.js", 200, "javascript"),
        ("/gibt-es-nicht", 404, "text/html"),
        ("/api/v1/gibt-es-nicht", 404, "application/json"),
        ("/suche?q=" + "x" * 1001, 422, "text/html"),
        ("/api/v1/search?q=" + "x" * 1001, 422, "application/json"),
        ("/test-kaputt", 500, "text/html"),
        ("/api/v1/test-kaputt", 500, "application/json"),
        ("/healthz", 200, "application/json"),
        ("/openapi.json", 200, "application/json"),
    ],
)
def test_every_kind_of_answer_carries_the_security_headers(
    client: TestClient, path: str, status: int, kind: str
) -> None:
    r = client.get(path, headers=HTML if kind == "text/html" else {})
    assert r.status_code == status, r.text[:300]
    assert kind in r.headers["content-type"]
    assert_secured(r.headers)
    assert "strict-transport-security" not in r.headers  # not outside production


def test_a_redirect_and_a_405_carry_them_too(client: TestClient) -> None:
    redirect = client.get("/desk", follow_redirects=False)
    assert redirect.status_code == 303
    assert_secured(redirect.headers)
    refused = client.delete("/", headers=HTML)
    assert refused.status_code == 405
    assert_secured(refused.headers)


def test_a_bug_is_a_page_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    page = client.get("/test-kaputt", headers=HTML)
    assert page.status_code == 500
    assert '<html lang="de">' in page.text and "Bei uns ist etwas schiefgegangen" in page.text
    assert "RuntimeError" not in page.text and "a bug" not in page.text
    assert page.headers["cache-control"] == "no-store"
    api = client.get("/api/v1/test-kaputt")
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal"


def test_hsts_is_sent_in_production_only(module_url: str, client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/").headers
    production = create_app(
        Settings(database_url=module_url, env="production", secret_key="p" * 40, worker="off")
    )
    with TestClient(production, raise_server_exceptions=False) as c:
        for path in ("/", "/api/v1/search?q=Pass", "/static/site.css", "/gibt-es-nicht"):
            r = c.get(path)
            hsts = r.headers["strict-transport-security"]
            assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600  # type: ignore[union-attr]
            assert_secured(r.headers)


def test_a_routes_own_headers_are_kept(client: TestClient) -> None:
    # The booking pages choose their own; the middleware adds, never overrides.
    r = client.get("/test-eigen")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "max-age=60"
    assert r.headers.get_list("referrer-policy") == ["no-referrer"]
    assert r.headers["x-frame-options"] == "DENY"


# -- no copies of staff pages ---------------------------------------------------------


@pytest.mark.parametrize("path", [*PRIVATE_PATHS, "/dienststelle/termine", "/admin/anliegen"])
def test_staff_pages_are_never_stored(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert "no-store" in r.headers["cache-control"], (path, r.status_code)


def test_the_public_home_page_keeps_its_caching(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "no-store" not in r.headers.get("cache-control", "")
    assert "no-store" not in client.get("/static/site.css").headers.get("cache-control", "")


def test_everything_answered_to_a_logged_in_agent_is_never_stored(client: TestClient) -> None:
    assert login(client, "agent-hart").status_code == 303
    for path in ("/desk", "/desk/treffer?q=Pass", "/", "/leistungen"):
        r = client.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
        assert_secured(r.headers)


def test_answers_to_an_api_token_are_never_stored(client: TestClient) -> None:
    r = client.get("/api/v1/concerns", headers={"Authorization": f"Bearer {TOKENS['agent']}"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    anonymous = client.get("/api/v1/search", params={"q": "Pass"})
    assert "no-store" not in anonymous.headers.get("cache-control", "")


# -- API docs from our own files ------------------------------------------------------


def test_the_api_docs_load_nothing_from_elsewhere_and_nothing_inline(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert_secured(r.headers)
    html = r.text
    assert "://" not in html  # no CDN, no absolute address at all
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert addresses and all(a.startswith("/") or a.startswith("data:") for a in addresses)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and body == "" for attrs, body in scripts)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)
    assert 'data-openapi="/openapi.json"' in html
    for path, kind in (
        ("/static/vendor/swagger-ui-bundle.js", "javascript"),
        ("/static/vendor/swagger-ui.css", "text/css"),
        ("/static/api-docs.js", "javascript"),
        ("/static/vendor/swagger-ui.LICENSE", ""),
    ):
        served = client.get(path)
        assert served.status_code == 200, path
        assert kind in served.headers["content-type"]
        assert_secured(served.headers)
    assert "SwaggerUIBundle" in client.get("/static/vendor/swagger-ui-bundle.js").text
    assert client.get("/docs").status_code == 404  # FastAPI's own page (CDN) is off


def test_no_template_has_inline_script_style_or_handlers() -> None:
    # What the CSP would refuse, caught before a browser sees it.
    offenders = []
    templates = sorted(WEB.glob("**/templates/*.html"))
    assert len(templates) > 40
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            if 'type="application/ld+json"' in script[0]:
                continue  # a data block (schema.org), never executed: the CSP has no say
            if "src=" not in script[0] or script[1].strip():
                offenders.append(f"{template.name}: inline <script>")
        if re.search(r"<style\b|\sstyle=|\son[a-z]+=|\shx-on|=\s*[\"']\s*(?:javascript|js):", text):
            offenders.append(f"{template.name}: inline style, handler or eval")
    assert offenders == []


def test_htmx_is_told_not_to_inject_styles_or_eval(client: TestClient) -> None:
    html = client.get("/").text
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert config is not None
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)
    assert ".htmx-indicator" in client.get("/static/site.css").text


# -- health and readiness -------------------------------------------------------------


def broken_engine(url: str, tmp_path: Path) -> Engine:
    """An engine for a database that cannot be reached, of the same kind as `url`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return create_engine(f"sqlite:///{tmp_path / 'gibt-es-nicht' / 'auskunft.sqlite3'}")
    # Nothing listens on port 1: the connection is refused at once.
    return create_engine(
        parsed.set(drivername="postgresql+psycopg", port=1, host="127.0.0.1"),
        connect_args={"connect_timeout": 2},
    )


@contextmanager
def database_down(app: FastAPI, url: str, tmp_path: Path) -> Iterator[None]:
    """The app's database unreachable for a while, then back."""
    engine = app.state.engine
    app.state.engine = broken_engine(url, tmp_path)
    try:
        yield
    finally:
        app.state.engine = engine


@pytest.fixture()
def fresh_app(fresh_url: str) -> FastAPI:
    return create_app(Settings(database_url=fresh_url, worker="off", worker_stale_seconds=60))


def test_healthz_and_readyz_say_ok_when_all_is_well(fresh_app: FastAPI, fresh_url: str) -> None:
    Heartbeat(get_engine(fresh_url)).beat()
    with TestClient(fresh_app) as c:
        alive = c.get("/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}
        ready = c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "database": "ok", "worker": "ok"}
        assert ready.headers["cache-control"] == "no-store"


def test_readyz_names_a_missing_and_a_stuck_worker(fresh_app: FastAPI, fresh_url: str) -> None:
    with TestClient(fresh_app) as c:
        absent = c.get("/readyz")
        assert absent.status_code == 503
        assert absent.json() == {"status": "unavailable", "database": "ok", "worker": "absent"}
        engine = get_engine(fresh_url)
        heart = Heartbeat(engine)
        heart.beat()
        assert c.get("/readyz").status_code == 200
        with engine.begin() as connection:
            connection.execute(
                update(WorkerHeartbeat.__table__).values(
                    beat_at=datetime.now(UTC) - timedelta(seconds=61)
                )
            )
        stale = c.get("/readyz")
        assert stale.status_code == 503
        assert stale.json() == {"status": "unavailable", "database": "ok", "worker": "stale"}
        heart.stop()  # a worker that ends cleanly leaves no row
        assert c.get("/readyz").json()["worker"] == "absent"


def test_the_inline_worker_keeps_readyz_ready_while_it_runs(fresh_url: str) -> None:
    app = create_app(Settings(database_url=fresh_url, worker="inline"))
    with TestClient(app) as c:
        deadline = time.monotonic() + 10
        while (ready := c.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.json() == {"status": "ok", "database": "ok", "worker": "ok"}
    # Stopped with the app: its row is gone.
    with TestClient(create_app(Settings(database_url=fresh_url, worker="off"))) as c:
        assert c.get("/readyz").json()["worker"] == "absent"


def test_with_the_database_down_healthz_lives_and_readyz_says_why(
    fresh_app: FastAPI, fresh_url: str, tmp_path: Path
) -> None:
    Heartbeat(get_engine(fresh_url)).beat()
    with TestClient(fresh_app, raise_server_exceptions=False) as c:
        with database_down(fresh_app, fresh_url, tmp_path):
            assert c.get("/healthz").status_code == 200
            started = time.monotonic()
            down = c.get("/readyz")
            assert time.monotonic() - started < 5
            assert down.status_code == 503
            assert down.json() == {
                "status": "unavailable",
                "database": "down",
                "worker": "unknown",
            }
        assert c.get("/readyz").status_code == 200  # back without a restart


# -- pages during an outage -------------------------------------------------------------


def test_during_an_outage_pages_get_a_german_503_page_and_the_api_json(
    fresh_app: FastAPI, fresh_url: str, tmp_path: Path
) -> None:
    with (
        TestClient(fresh_app, raise_server_exceptions=False) as c,
        database_down(fresh_app, fresh_url, tmp_path),
    ):
        for path in ("/", "/leistungen/ausweis-verlust-melden", "/kontakt"):
            page = c.get(path, headers=HTML)
            assert page.status_code == 503, path
            assert page.headers["content-type"].startswith("text/html")
            assert '<html lang="de">' in page.text
            assert "<h1>Der Dienst ist gerade nicht erreichbar</h1>" in page.text
            assert "115" in page.text
            assert page.headers["retry-after"].isdigit()
            assert page.headers["cache-control"] == "no-store"
            assert_secured(page.headers)
        english = c.get("/", params={"lang": "en"}, headers=HTML)
        assert english.status_code == 503
        assert "<h1>The service is not reachable right now</h1>" in english.text
        api = c.get("/api/v1/services/ausweis-verlust-melden")
        assert api.status_code == 503
        assert api.headers["content-type"] == "application/json"
        error = api.json()["error"]
        assert error["code"] == "unavailable"
        assert error["message"].startswith("Der Dienst ist gerade nicht erreichbar")
        assert error["message_en"].startswith("The service is not reachable right now")
        assert api.headers["retry-after"].isdigit()
        assert_secured(api.headers)
        # A script asking for JSON outside /api/ gets JSON as well.
        fetched = c.get("/", headers={"Accept": "application/json"})
        assert fetched.status_code == 503 and fetched.json()["error"]["code"] == "unavailable"


def test_pages_come_back_without_a_restart(
    fresh_app: FastAPI, fresh_url: str, tmp_path: Path
) -> None:
    with TestClient(fresh_app, raise_server_exceptions=False) as c:
        with database_down(fresh_app, fresh_url, tmp_path):
            assert c.get("/", headers=HTML).status_code == 503
        assert c.get("/", headers=HTML).status_code == 200
