"""Which addresses the link checker may ask: http and https with a host, and only hosts whose
every address is public. Pure: the checker resolves names and connects, this module decides.

The checker runs inside the town's network, so a link (or a redirect) must never make it
ask an internal machine: the cloud metadata service (169.254.169.254), a router, an
intranet server. The addresses are checked after resolving, every one of them, and the
checker then connects to the checked address itself (docs/editorial.md, "Link checker").
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000

# Blocks that Python's ipaddress (3.11) counts as global although nobody serves web pages
# from them to the public, or that it does not flag at all.
_V4_NOT_PUBLIC = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # the old 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
_V6_NOT_PUBLIC = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # the old IPv4-compatible addresses, :: and ::1 among them
        "64:ff9b:1::/48",  # NAT64 for local use
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, ...)
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # the old site-local
        "ff00::/8",  # multicast
    )
)
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (DNS64 networks
# answer so for IPv4-only hosts): the IPv4 address decides.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(Exception):
    """The checker may not ask this address; `reason` is a code (REASONS), `detail` says what."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Target:
    """Where one request of the checker goes: the host to resolve (or the address written
    in the link), the port, and what the request line and the Host header say."""

    url: str
    scheme: str
    host: str  # lower case, IDNA-encoded; an IPv6 address without brackets
    port: int
    path: str  # path and query, percent-encoded: what follows the method
    address: Address | None  # the link names an address instead of a host name

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


_ALLOWED_IN_PATH = "/%:@!$&'()*+,;=-._~"
_HOST_CHARACTERS = set(string.ascii_lowercase + string.digits + "-.")


def _idna(host: str) -> str:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused("malformed", "host name") from None
    if not ascii_host or not set(ascii_host) <= _HOST_CHARACTERS or ".." in ascii_host:
        raise Refused("malformed", "host name")
    return ascii_host


def target(url: str) -> Target:
    """The request a link stands for; Refused when it is not a plain http(s) address."""
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise Refused("malformed", "length")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise Refused("malformed", "control character")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise Refused("malformed", "port or brackets") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("scheme", scheme or "none")
    if "@" in parts.netloc:
        raise Refused("userinfo")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise Refused("malformed", "no host")
    if port == 0:
        raise Refused("malformed", "port 0")
    address: Address | None = None
    if "%" in raw_host:  # an IPv6 zone ("fe80::1%eth0") names an interface of this machine
        raise Refused("private", raw_host)
    try:
        address = ipaddress.ip_address(raw_host)
    except ValueError:
        host = _idna(raw_host.rstrip(".")).lower()
        if all(part.isdigit() for part in host.split(".")) or host.startswith("0x"):
            # "2130706433" or "0x7f.1": resolvers read these as addresses, refused as unclear.
            raise Refused("malformed", "address written as a number") from None
    else:
        host = str(address)
    path = quote(parts.path or "/", safe=_ALLOWED_IN_PATH)
    if parts.query:
        path += "?" + quote(parts.query, safe=_ALLOWED_IN_PATH + "?")
    return Target(
        url=text,
        scheme=scheme,
        host=host,
        port=port or SCHEMES[scheme],
        path=path,
        address=address,
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: Address, *, allow_loopback: bool = False) -> str | None:
    """Why the checker may not connect to this address (a word for the log and the page),
    or None when it is a public one. `allow_loopback`: this machine is allowed (tests)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "zone"
        inner = _embedded_ipv4(address)
        if inner is not None:
            why = address_refusal(inner, allow_loopback=allow_loopback)
            return f"{why} (in IPv6)" if why else None
        if address.teredo is not None:
            return "tunnel"
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
    networks = _V4_NOT_PUBLIC if isinstance(address, ipaddress.IPv4Address) else _V6_NOT_PUBLIC
    if any(address in network for network in networks):
        return "reserved"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not public"
    return None


def check_addresses(
    host: str, addresses: list[Address], *, allow_loopback: bool = False
) -> list[Address]:
    """The addresses a host resolved to, when every one is public; Refused when any is not
    (a name with one internal address among public ones is refused as a whole, since the
    address a later connection takes is not ours to choose)."""
    for address in addresses:
        why = address_refusal(address, allow_loopback=allow_loopback)
        if why is not None:
            raise Refused("private", f"{host} → {address} ({why})")
    return addresses
