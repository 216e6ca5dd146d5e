"""The link checker against a real HTTP server on 127.0.0.1 (a thread of the test): status
codes, redirects followed and checked hop by hop, loops, timeouts, HEAD refused, bodies not
read, bounded concurrency, and that nothing private is asked when loopback is not allowed.
Then the rounds on the database (SQLite and PostgreSQL): the links of the published
services, the rule for "dead", the lease, the job of "Jetzt prüfen"."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs.worker import run_due
from auskunft.core.principal import Login
from auskunft.core.registry import registry
from auskunft.links.jobs import check_due
from auskunft.links.model.policy import Address
from auskunft.links.repository import LinkRepository
from auskunft.links.service import listing, rounds
from auskunft.links.service.probe import ProbePolicy, probe

TIMEOUT = 0.5
SLOW = 2.0


@dataclass
class Record:
    """What the server saw: every request, and the most it answered at once."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)
    busy: int = 0
    most_busy: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    record: Record
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def _serve(self) -> None:
        record = self.record
        with record.lock:
            record.requests.append((self.command, self.path, self.headers.get("Host", "")))
            record.busy += 1
            record.most_busy = max(record.most_busy, record.busy)
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with record.lock:
                record.busy -= 1

    def _route(self) -> None:
        path = self.path.split("?")[0]
        if path in ("/ok", "/host"):
            self._answer(200)
        elif path == "/gone":
            self._answer(404)
        elif path == "/broken":
            self._answer(500)
        elif path == "/login":
            self._answer(401)
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/ok" if left == 0 else f"/chain/{left - 1}"
            self._answer(301 if left % 2 else 302, {"Location": target})
        elif path == "/loop-a":
            self._answer(302, {"Location": "/loop-b"})
        elif path == "/loop-b":
            self._answer(307, {"Location": "/loop-a"})
        elif path == "/to-metadata":
            self._answer(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-mapped":
            self._answer(302, {"Location": "http://[::ffff:10.0.0.1]/"})
        elif path == "/to-ftp":
            self._answer(302, {"Location": "ftp://example.org/form.pdf"})
        elif path == "/slow":
            time.sleep(SLOW)
            self._answer(200)
        elif path == "/busy":
            time.sleep(0.3)
            self._answer(200)
        elif path == "/no-head":
            self._answer(405 if self.command == "HEAD" else 200)
        elif path == "/big":
            if self.command == "HEAD":
                self._answer(501)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 30))
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(1 << 14):  # a gigabyte, if anybody read it
                self.wfile.write(chunk)
        else:
            self._answer(404)

    def do_HEAD(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()


@dataclass
class Server:
    base: str
    port: int
    record: Record


@pytest.fixture
def server() -> Iterator[Server]:
    record = Record()
    handler = type("RecordingHandler", (Handler,), {"record": record})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    yield Server(f"http://127.0.0.1:{port}", int(port), record)
    httpd.shutdown()
    httpd.server_close()


LOOPBACK = ProbePolicy(timeout_s=TIMEOUT, budget_s=3.0, allow_loopback=True)
STRICT = ProbePolicy(timeout_s=TIMEOUT, budget_s=3.0, allow_loopback=False)


def test_it_tells_working_links_from_dead_ones(server: Server) -> None:
    assert probe(server.base + "/ok", LOOPBACK).result == "ok"
    gone = probe(server.base + "/gone", LOOPBACK)
    assert (gone.result, gone.reason, gone.status_code) == ("failed", "http", 404)
    broken = probe(server.base + "/broken", LOOPBACK)
    assert (broken.result, broken.status_code) == ("failed", 500)
    # Behind a login is still there.
    assert probe(server.base + "/login", LOOPBACK).result == "ok"
    # 404 is believed at once; 500 to HEAD is asked again with GET.
    methods = [(m, p) for m, p, _ in server.record.requests]
    assert methods.count(("HEAD", "/gone")) == 1 and ("GET", "/gone") not in methods
    assert ("GET", "/broken") in methods


def test_it_asks_with_get_where_head_is_refused(server: Server) -> None:
    found = probe(server.base + "/no-head", LOOPBACK)
    assert (found.result, found.status_code) == ("ok", 200)
    assert [m for m, p, _ in server.record.requests if p == "/no-head"] == ["HEAD", "GET"]


def test_it_reads_no_body(server: Server) -> None:
    started = time.perf_counter()
    assert probe(server.base + "/big", LOOPBACK).result == "ok"
    assert time.perf_counter() - started < 2.0


def test_it_follows_redirects_up_to_five(server: Server) -> None:
    five = probe(server.base + "/chain/4", LOOPBACK)  # /chain/4 ... /chain/0, then /ok
    assert (five.result, five.redirects) == ("ok", 5)
    assert five.final_url == server.base + "/ok"
    six = probe(server.base + "/chain/5", LOOPBACK)
    assert (six.result, six.reason) == ("failed", "redirects")
    loop = probe(server.base + "/loop-a", LOOPBACK)
    assert (loop.result, loop.reason) == ("failed", "loop")


@pytest.mark.parametrize(
    ("path", "reason", "address"),
    [
        ("/to-metadata", "private", "169.254.169.254"),
        ("/to-mapped", "private", "10.0.0.1"),
        ("/to-ftp", "scheme", ""),
    ],
)
def test_every_redirect_is_checked_before_it_is_followed(
    server: Server, path: str, reason: str, address: str
) -> None:
    started = time.perf_counter()
    found = probe(server.base + path, LOOPBACK)
    assert (found.result, found.reason) == ("refused", reason)
    assert address in found.detail
    assert time.perf_counter() - started < TIMEOUT  # refused, not tried


def test_a_slow_server_times_out(server: Server) -> None:
    started = time.perf_counter()
    found = probe(server.base + "/slow", LOOPBACK)
    assert (found.result, found.reason) == ("failed", "timeout")
    # HEAD times out after TIMEOUT; no second try with GET for a timeout.
    assert time.perf_counter() - started < SLOW


def test_connection_dns_and_tls_failures_are_failures(server: Server) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    refused = probe(f"http://127.0.0.1:{port}/", LOOPBACK)
    assert (refused.result, refused.reason) == ("failed", "connect")
    nowhere = probe("http://no-such-host.invalid/", LOOPBACK)
    assert (nowhere.result, nowhere.reason) == ("failed", "dns")
    # https to a server that speaks plain HTTP: the handshake fails.
    tls = probe(f"https://127.0.0.1:{server.port}/ok", LOOPBACK)
    assert (tls.result, tls.reason) == ("failed", "tls")


def test_without_the_loopback_setting_nothing_on_this_machine_is_asked(server: Server) -> None:
    for url in (
        server.base + "/ok",
        f"http://localhost:{server.port}/ok",
        f"http://[::ffff:127.0.0.1]:{server.port}/ok",
        f"http://127.1.2.3:{server.port}/ok",
    ):
        found = probe(url, STRICT)
        assert (found.result, found.reason) == ("refused", "private"), url
    assert server.record.requests == []


class FakeResolver:
    """A name server whose answers the test decides: the first answer, then another (DNS
    rebinding: a public-looking first answer, an internal one when the connection is made)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = [[ipaddress.ip_address(a) for a in answer] for answer in answers]
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[Address]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


def test_it_connects_to_the_address_it_checked(server: Server) -> None:
    resolver = FakeResolver(["127.0.0.1"], ["10.0.0.1"])
    url = f"http://rebind.example:{server.port}/host"
    found = probe(url, LOOPBACK, resolve=resolver)
    assert found.result == "ok"
    assert resolver.asked == ["rebind.example"]  # resolved once; the checked address is used
    assert server.record.requests == [("HEAD", "/host", f"rebind.example:{server.port}")]


def test_one_internal_address_of_a_name_refuses_it(server: Server) -> None:
    resolver = FakeResolver(["127.0.0.1", "10.0.0.1"])
    found = probe(f"http://mixed.example:{server.port}/ok", LOOPBACK, resolve=resolver)
    assert (found.result, found.reason) == ("refused", "private")
    assert server.record.requests == []


# -- rounds on the database -------------------------------------------------------------

SERVICE = "personalausweis-beantragen"
OTHER = "reisepass-beantragen"
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SUPERVISOR = Login(1, "chefin", "supervisor", "x")


def _set_links(url: str, service_id: str, online: str | None, forms: list[str]) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        row = catalog.service(uow, service_id)
        assert row is not None
        row.online_service = online
        row.forms = [{"title": f"Formular {n}", "url": f} for n, f in enumerate(forms)]
        catalog.mark_changed(uow)
        uow.commit()


def _only_test_links(url: str) -> None:
    """The demo catalog's own links lead out of this machine: off them, for the test."""
    with UnitOfWork(get_engine(url)) as uow:
        for row in catalog.services(uow):
            if row.id not in (SERVICE, OTHER):
                row.online_service = None
                row.forms = []
        catalog.mark_changed(uow)
        uow.commit()


def _states(url: str) -> dict[str, str]:
    with UnitOfWork(get_engine(url)) as uow:
        found = listing.listing(uow, SUPERVISOR, state="all")
    return {link.url: link.state for link in found.links}


def test_a_round_checks_the_published_links_and_reports_dead_ones(
    fresh_url: str, server: Server
) -> None:
    _only_test_links(fresh_url)
    _set_links(
        fresh_url,
        SERVICE,
        server.base + "/ok",
        [server.base + "/gone", server.base + "/chain/2", "mailto:amt@kassel.example"],
    )
    _set_links(fresh_url, OTHER, server.base + "/gone", [])
    engine = get_engine(fresh_url)
    settings = rounds.CheckSettings(concurrency=4, timeout_s=TIMEOUT, allow_loopback=True)
    first = rounds.run(engine, settings, now=NOW)
    assert (first.checked, first.ok, first.failed, first.refused) == (4, 2, 1, 1)
    states = _states(fresh_url)
    assert states[server.base + "/gone"] == "failing"
    assert states["mailto:amt@kassel.example"] == "refused"
    # The same link of two services is checked once.
    assert len([r for r in server.record.requests if r[1] == "/gone"]) == 1
    # Nothing is due ten minutes later.
    assert rounds.run(engine, settings, now=NOW + timedelta(minutes=10)).checked == 0
    # An hour later the failed link is due again, fails again: dead.
    again = rounds.run(engine, settings, now=NOW + timedelta(hours=1))
    assert again.checked == 1
    with UnitOfWork(engine) as uow:
        dead = listing.listing(uow, SUPERVISOR, state="dead")
    assert [link.url for link in dead.links] == [server.base + "/gone"]
    link = dead.links[0]
    assert link.status_code == 404 and link.since == NOW
    assert {use.service for use in link.uses} == {SERVICE, OTHER}
    assert dead.counts["dead"] == 1 and dead.counts["ok"] == 2
    # A partner's editor sees only the links of the partner's services.
    partner = Login(2, "partner", "editor", "x", participants=frozenset({"stadt-baunatal"}))
    with UnitOfWork(engine) as uow:
        assert listing.listing(uow, partner, state="all").links == []


def test_rounds_are_bounded_in_number_and_concurrency(fresh_url: str, server: Server) -> None:
    _only_test_links(fresh_url)
    _set_links(fresh_url, SERVICE, None, [f"{server.base}/busy?n={n}" for n in range(12)])
    engine = get_engine(fresh_url)
    settings = rounds.CheckSettings(concurrency=3, timeout_s=TIMEOUT, allow_loopback=True)
    started = time.perf_counter()
    done = rounds.run(engine, settings, now=NOW, limit=9)
    seconds = time.perf_counter() - started
    assert (done.checked, done.left) == (9, 3)
    assert server.record.most_busy == 3  # never more than the setting at once
    assert seconds >= 3 * 0.3  # 9 requests of 0.3 s, 3 at a time
    print(f"\nlink round: {done.checked} links, 3 at a time, in {seconds:.2f} s")
    # The rest in the next round, oldest due first.
    assert rounds.run(engine, settings, now=NOW + timedelta(minutes=1)).checked == 3


def test_a_round_stops_starting_checks_when_its_time_is_up(fresh_url: str, server: Server) -> None:
    _only_test_links(fresh_url)
    _set_links(fresh_url, SERVICE, None, [f"{server.base}/busy?n={n}" for n in range(8)])
    settings = rounds.CheckSettings(concurrency=1, timeout_s=TIMEOUT, allow_loopback=True)
    done = rounds.run(get_engine(fresh_url), settings, now=NOW, seconds=0.5)
    assert 1 <= done.checked <= 3 and done.left == 8 - done.checked


def test_a_round_without_the_loopback_setting_asks_nothing(fresh_url: str, server: Server) -> None:
    _only_test_links(fresh_url)
    _set_links(fresh_url, SERVICE, server.base + "/ok", [f"http://localhost:{server.port}/ok"])
    done = rounds.run(get_engine(fresh_url), rounds.CheckSettings(timeout_s=TIMEOUT), now=NOW)
    assert (done.checked, done.refused) == (2, 2)
    assert server.record.requests == []


def test_only_one_round_runs_at_a_time(fresh_url: str, server: Server) -> None:
    _only_test_links(fresh_url)
    _set_links(fresh_url, SERVICE, server.base + "/ok", [])
    engine = get_engine(fresh_url)
    with UnitOfWork(engine) as uow:
        assert uow.repo(LinkRepository).take_lease(NOW, NOW + timedelta(minutes=5))
        uow.commit()
    settings = rounds.CheckSettings(timeout_s=TIMEOUT, allow_loopback=True)
    assert rounds.run(engine, settings, now=NOW + timedelta(minutes=1)).skipped
    # A lease whose round died runs out.
    assert not rounds.run(engine, settings, now=NOW + timedelta(minutes=6)).skipped


def test_check_now_is_a_job_that_checks_every_link(fresh_url: str, server: Server) -> None:
    assert rounds.JOB in registry().jobs and "links.check" in registry().periodic
    _only_test_links(fresh_url)
    _set_links(fresh_url, SERVICE, server.base + "/ok", [server.base + "/gone"])
    engine = get_engine(fresh_url)
    settings = Settings(
        database_url=fresh_url, link_check_allow_loopback=True, link_check_timeout_s=TIMEOUT
    )
    check = rounds.CheckSettings.from_settings(settings)
    assert rounds.run(engine, check, now=NOW).checked == 2
    # Checked a minute ago and not due for a day: the editor asks for a round anyway.
    with UnitOfWork(engine) as uow:
        rounds.request_round(uow, now=NOW + timedelta(minutes=1))
        uow.commit()
    assert run_due(engine, settings, now=NOW + timedelta(minutes=1)) == 1
    heads = [p for m, p, _ in server.record.requests if m == "HEAD"]
    assert heads.count("/ok") == 2 and heads.count("/gone") == 2
    with UnitOfWork(engine) as uow:
        found = listing.listing(uow, SUPERVISOR, state="all")
    assert found.last_round_at == NOW + timedelta(minutes=1) and found.last_round_checked == 2


def test_the_worker_checks_nothing_by_itself_with_interval_zero(
    fresh_url: str, server: Server
) -> None:
    _only_test_links(fresh_url)
    _set_links(fresh_url, SERVICE, server.base + "/ok", [])
    engine = get_engine(fresh_url)
    off = Settings(database_url=fresh_url, link_check_interval_hours=0)
    assert check_due(engine, off, NOW) == {}
    on = Settings(
        database_url=fresh_url, link_check_interval_hours=24, link_check_allow_loopback=True
    )
    assert check_due(engine, on, NOW)["links_checked"] == 1
    assert server.record.requests == [("HEAD", "/ok", f"127.0.0.1:{server.port}")]
