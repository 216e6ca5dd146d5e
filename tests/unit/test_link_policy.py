"""The link checker's policy: which links it asks at all, which addresses it may connect to,
and when a link counts as dead (links.model)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from auskunft.links.model.policy import Refused, address_refusal, check_addresses, target
from auskunft.links.model.status import LinkState, Outcome, fold

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.178.1",
    "169.254.169.254",  # the cloud metadata service
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.0.8",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",  # the old site-local
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::1",  # NAT64 for local use
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::7f00:1",  # IPv4-compatible 127.0.0.1
]
PUBLIC = ["8.8.8.8", "193.175.200.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_it_refuses_every_address_that_is_not_public(text: str) -> None:
    assert address_refusal(ipaddress.ip_address(text)) is not None


@pytest.mark.parametrize("text", PUBLIC)
def test_it_allows_public_addresses(text: str) -> None:
    assert address_refusal(ipaddress.ip_address(text)) is None


def test_loopback_is_allowed_only_when_the_test_setting_says_so() -> None:
    for text in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        address = ipaddress.ip_address(text)
        assert address_refusal(address) is not None
        assert address_refusal(address, allow_loopback=True) is None
    # The setting opens this machine, not the internal network.
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) == "private"
    assert address_refusal(ipaddress.ip_address("169.254.169.254"), allow_loopback=True)


def test_a_host_with_one_internal_address_among_public_ones_is_refused() -> None:
    public = ipaddress.ip_address("8.8.8.8")
    internal = ipaddress.ip_address("10.0.0.7")
    assert check_addresses("ok.example", [public]) == [public]
    with pytest.raises(Refused) as refused:
        check_addresses("mixed.example", [public, internal])
    assert refused.value.reason == "private" and "10.0.0.7" in refused.value.detail


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/form.pdf", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("gopher://example.org", "scheme"),
        ("mailto:buergerbuero@kassel.de", "scheme"),
        ("example.org/ohne-schema", "scheme"),
        ("https://user:secret@example.org/", "userinfo"),
        ("https://@example.org/", "userinfo"),
        ("https://example.org@10.0.0.1/", "userinfo"),
        ("https:///pfad", "malformed"),
        ("http://exa mple.org/", "malformed"),
        ("http://example.org/\r\nX: 1", "malformed"),
        ("http://example.org:99999/", "malformed"),
        ("http://example.org:0/", "malformed"),
        ("http://[::1/", "malformed"),
        ("http://2130706433/", "malformed"),  # 127.0.0.1 written as a number
        ("http://0x7f.1/", "malformed"),
        ("http://exa_mple.org/", "malformed"),
        ("http://[fe80::1%25eth0]/", "private"),
        ("", "malformed"),
        ("https://example.org/" + "a" * 2100, "malformed"),
    ],
)
def test_it_checks_only_plain_web_addresses(url: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        target(url)
    assert refused.value.reason == reason


def test_a_web_address_becomes_the_request_it_stands_for() -> None:
    plain = target("  HTTPS://Www.Kassel.DE/Formulare/Antrag?x=1&y=ä#teil  ")
    assert (plain.scheme, plain.host, plain.port) == ("https", "www.kassel.de", 443)
    assert plain.path == "/Formulare/Antrag?x=1&y=%C3%A4"
    assert plain.host_header == "www.kassel.de" and plain.address is None
    umlaut = target("http://bürgerbüro.example:8080")
    assert umlaut.host == "xn--brgerbro-65af.example" and umlaut.path == "/"
    assert umlaut.host_header == "xn--brgerbro-65af.example:8080"
    literal = target("http://[2606:4700::1111]:81/x y")
    assert literal.address == ipaddress.ip_address("2606:4700::1111")
    assert literal.host_header == "[2606:4700::1111]:81" and literal.path == "/x%20y"


NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_a_link_is_dead_only_after_two_failures_at_least_an_hour_apart() -> None:
    failed = Outcome.failed("http", status=503)
    first = fold(LinkState(), failed, now=NOW, interval=DAY)
    assert first.state == "failing" and first.first_failed_at == NOW
    assert first.next_check_at == NOW + timedelta(hours=1)
    # Asked again at once (an editor's "Jetzt prüfen"): still only failing.
    soon = fold(first, failed, now=NOW + timedelta(minutes=10), interval=DAY)
    assert soon.state == "failing" and soon.next_check_at == NOW + timedelta(hours=1)
    dead = fold(soon, failed, now=NOW + timedelta(hours=1), interval=DAY)
    assert dead.state == "dead" and dead.first_failed_at == NOW and dead.status_code == 503
    still = fold(dead, Outcome.failed("timeout"), now=NOW + DAY, interval=DAY)
    assert still.state == "dead" and still.first_failed_at == NOW and still.reason == "timeout"
    back = fold(still, Outcome.ok(200), now=NOW + 2 * DAY, interval=DAY)
    assert back.state == "ok" and back.first_failed_at is None and back.failures == 0
    assert back.next_check_at == NOW + 3 * DAY


def test_a_flaky_server_is_not_reported() -> None:
    first = fold(LinkState(), Outcome.failed("connect"), now=NOW, interval=DAY)
    recovered = fold(first, Outcome.ok(200), now=NOW + timedelta(hours=1), interval=DAY)
    again = fold(recovered, Outcome.failed("connect"), now=NOW + DAY, interval=DAY)
    assert again.state == "failing" and again.first_failed_at == NOW + DAY


def test_a_refusal_counts_at_once_and_keeps_its_date() -> None:
    refused = fold(LinkState(), Outcome.refused("private", "10.0.0.1"), now=NOW, interval=DAY)
    assert refused.state == "refused" and refused.first_failed_at == NOW
    later = fold(refused, Outcome.refused("private"), now=NOW + DAY, interval=DAY)
    assert later.state == "refused" and later.first_failed_at == NOW


def test_the_loopback_setting_is_refused_in_production() -> None:
    from pydantic import ValidationError

    from auskunft.core.config import Settings

    key = "k" * 40
    assert Settings(env="test", link_check_allow_loopback=True).link_check_allow_loopback
    with pytest.raises(ValidationError, match="LINK_CHECK_ALLOW_LOOPBACK"):
        Settings(env="production", secret_key=key, link_check_allow_loopback=True)
