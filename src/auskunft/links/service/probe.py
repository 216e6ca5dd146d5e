"""One check of one link over the network: resolve, refuse what is not public, connect to
the address that was checked, ask HEAD (GET where HEAD is refused), follow redirects.

Python's standard library only (socket, ssl, http.client): the connection is made to the
checked address by hand, so a second DNS answer (DNS rebinding) can never move it; TLS is
checked against the link's host name (SNI and certificate), and the Host header names it.
No body is read: the status line and the headers say what the checker needs.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from auskunft.links.model.policy import Address, Refused, Target, check_addresses, target
from auskunft.links.model.status import Outcome

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# HEAD answered with these is asked again with GET: servers that do not do HEAD (405, 501),
# or answer it wrongly (some refuse it with 400 or 403, or fail with 5xx).
ASK_AGAIN_WITH_GET = frozenset({400, 403, 405, 500, 501, 502, 503})
USER_AGENT = "auskunft-linkpruefung/1.0 (Linkprüfung des 115-Servicecenters)"

# host, port -> the host's addresses (socket.getaddrinfo by default; tests give their own).
Resolver = Callable[[str, int], list[Address]]


def system_resolver(host: str, port: int) -> list[Address]:
    """Every address the system's resolver gives for a host (IPv4 and IPv6)."""
    found: list[Address] = []
    for _, _, _, _, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    ):
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class ProbePolicy:
    """How the checker asks: seconds per connect and per read, the most a link may take
    (all hops together), and whether this machine (loopback) may be asked (tests only)."""

    timeout_s: float = 10.0
    budget_s: float = 25.0
    allow_loopback: bool = False
    max_redirects: int = MAX_REDIRECTS


class _Failed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _connect(where: Target, addresses: list[Address], timeout: float) -> socket.socket:
    """A connection to the first of the checked addresses that answers."""
    last: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((str(address), where.port))
        except TimeoutError as exc:
            sock.close()
            last = exc
            raise _Failed("timeout", f"{address}: connect") from exc
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    detail = f"{where.host}: {last.strerror if last and last.strerror else last}"
    raise _Failed("connect", detail)


def _ask(
    where: Target, addresses: list[Address], method: str, timeout: float
) -> tuple[int, str | None]:
    """One request; the status and the Location header. Raises _Failed."""
    sock = _connect(where, addresses, timeout)
    try:
        if where.tls:
            context = ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=where.host)
            except ssl.SSLCertVerificationError as exc:
                raise _Failed("tls", str(exc.verify_message or exc)) from exc
            except ssl.SSLError as exc:
                raise _Failed("tls", exc.reason or str(exc)) from exc
        connection = http.client.HTTPConnection(where.host, where.port, timeout=timeout)
        connection.sock = sock  # already connected, to the address that was checked
        try:
            connection.putrequest(method, where.path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", where.host_header)
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader("Accept", "*/*")
            connection.putheader("Connection", "close")
            connection.endheaders()
            answer = connection.getresponse()
            # No body is read: closing drops whatever the server still sends.
            return answer.status, answer.getheader("Location")
        finally:
            connection.close()
    except _Failed:
        raise
    except TimeoutError as exc:
        raise _Failed("timeout", f"{where.host}: read") from exc
    except ssl.SSLError as exc:
        raise _Failed("tls", str(exc)) from exc
    except (http.client.HTTPException, UnicodeError, ValueError) as exc:
        raise _Failed("protocol", type(exc).__name__) from exc
    except OSError as exc:
        raise _Failed("connect", f"{where.host}: {exc.strerror or exc}") from exc
    finally:
        sock.close()


def probe(
    url: str,
    policy: ProbePolicy,
    *,
    resolve: Resolver = system_resolver,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Check one link: ok, failed or refused (links.model.status)."""
    ends = clock() + policy.budget_s
    seen = {url.strip()}
    current = url
    redirects = 0
    while True:
        try:
            where = target(current)
            if where.address is not None:
                addresses = check_addresses(
                    where.host, [where.address], allow_loopback=policy.allow_loopback
                )
            else:
                try:
                    found = resolve(where.host, where.port)
                except (OSError, UnicodeError):
                    return Outcome.failed("dns", detail=where.host, redirects=redirects)
                if not found:
                    return Outcome.failed("dns", detail=where.host, redirects=redirects)
                addresses = check_addresses(where.host, found, allow_loopback=policy.allow_loopback)
        except Refused as exc:
            hop = f" ({current[:200]})" if redirects else ""
            return Outcome.refused(exc.reason, exc.detail + hop, redirects=redirects)
        try:
            left = ends - clock()
            if left <= 0:
                raise _Failed("timeout", "the link took too long")
            status, location = _ask(where, addresses, "HEAD", min(policy.timeout_s, left))
            if status in ASK_AGAIN_WITH_GET:
                left = ends - clock()
                if left <= 0:
                    raise _Failed("timeout", "the link took too long")
                status, location = _ask(where, addresses, "GET", min(policy.timeout_s, left))
        except _Failed as exc:
            return Outcome.failed(exc.reason, detail=exc.detail, redirects=redirects)
        if status in REDIRECTS and location:
            following = urljoin(where.url, location.strip())
            redirects += 1
            if following in seen:
                return Outcome.failed("loop", detail=following[:300], redirects=redirects)
            if redirects > policy.max_redirects:
                return Outcome.failed("redirects", detail=following[:300], redirects=redirects)
            seen.add(following)
            current = following
            continue
        if status < 400 or status == 401:
            return Outcome.ok(status, final_url=where.url if redirects else "", redirects=redirects)
        return Outcome.failed("http", status=status, redirects=redirects)
