"""The address of the client behind a request, for per-client limits and the audit.

`X-Forwarded-For` is a header anyone can send. It is believed only when the request
comes from a proxy named in `AUSKUNFT_TRUSTED_PROXIES` (addresses or networks,
comma-separated; empty by default: the app is reached directly and the peer's address
is the client's). Behind trusted proxies the client is the right-most address in the
header that is not itself a trusted proxy: what the last trusted hop saw, not what
the caller claims further left.

The server is started without uvicorn's own proxy-header handling (`auskunft serve`),
so this is the one place that decides.
"""

from __future__ import annotations

from fastapi import Request

from auskunft.core.proxies import parse_proxies, resolve


def client_address(request: Request) -> str:
    """The client's address as the per-client limits and the audit count it."""
    peer = request.client.host if request.client else "unknown"
    setting: str = getattr(request.app.state.settings, "trusted_proxies", "")
    if not setting:
        return peer
    return resolve(peer, request.headers.get("x-forwarded-for"), parse_proxies(setting))
