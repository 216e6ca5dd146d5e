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
from starlette.types import ASGIApp, Receive, Scope, Send

from auskunft.core.audit import reset_client, set_client
from auskunft.core.proxies import parse_proxies, resolve


def client_address(request: Request) -> str:
    """The client's address as the per-client limits and the audit count it."""
    peer = request.client.host if request.client else "unknown"
    setting: str = getattr(request.app.state.settings, "trusted_proxies", "")
    if not setting:
        return peer
    return resolve(peer, request.headers.get("x-forwarded-for"), parse_proxies(setting))


class ClientContext:
    """ASGI middleware: the client address of each request, for the audit log
    (`core.audit.current_client`), computed by the same rule as `client_address`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        address = peer[0] if peer else "unknown"
        setting = (
            getattr(scope["app"].state.settings, "trusted_proxies", "") if "app" in scope else ""
        )
        if setting:
            forwarded = None
            for name, value in scope.get("headers", []):
                if name == b"x-forwarded-for":
                    forwarded = value.decode("latin-1")
            address = resolve(address, forwarded, parse_proxies(setting))
        token = set_client(address)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_client(token)
