"""Which X-Forwarded-For to believe: the trusted proxies of the settings and the rule that
finds the client's address behind them (used by core/web/client.py; no web framework
here, so the settings can check the setting)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_proxies(setting: str) -> tuple[Network, ...]:
    """The trusted networks of the setting; ValueError names a bad entry."""
    networks: list[Network] = []
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {entry!r}") from None
    return tuple(networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve(peer: str, forwarded_for: str | None, networks: tuple[Network, ...]) -> str:
    """The client's address, given the peer, the X-Forwarded-For header and the proxies."""
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # a garbled header from a trusted hop: fall back to the peer
    return hops[0] if hops else peer
