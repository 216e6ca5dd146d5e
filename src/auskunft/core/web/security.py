"""Security headers on every answer, and no copies of staff pages in any cache.

Every page, fragment, JSON answer, static file and error gets:

- `Content-Security-Policy`: scripts, styles, fonts and connections from this site only,
  no inline script or style (htmx is configured not to inject its indicator style and not
  to eval, see base.html), images also as `data:` URLs (the empty favicon, Swagger UI's
  icons), forms posted to this site only, no plugins, no `<base>`, and no framing
  (`frame-ancestors 'none'`);
- `X-Frame-Options: DENY` for browsers that predate `frame-ancestors`;
- `X-Content-Type-Options: nosniff`: a file is what its type says (no script from text);
- `Referrer-Policy: same-origin`: addresses carry codes (appointment links, tracking
  numbers, signed answer links); no other site learns them from a click;
- `Permissions-Policy`: no camera, microphone, location, sensors, payment or USB;
- `Cross-Origin-Opener-Policy: same-origin`: a window opened by another site gets no
  handle on ours;
- in production `Strict-Transport-Security` (a year; not for the city's other hosts,
  which are not ours to decide).

`Cache-Control: no-store` goes on staff pages (the paths in `PRIVATE_PATHS`) and on
everything answered to a staff member: a request with a session cookie or an API token,
or one whose handler found a login. Public pages keep their caching.

A header the route set itself wins (the booking pages set their own referrer policy),
except `Cache-Control` on a private answer, which is always `no-store`.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
NO_STORE = "no-store"

# Staff pages and the login: never kept by a browser or proxy, whoever asks.
PRIVATE_PATHS = ("/desk", "/dienststelle", "/admin", "/anmelden", "/abmelden")


def baseline_headers(*, production: bool) -> list[tuple[str, str]]:
    """The headers every answer carries (HSTS only in production)."""
    headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("permissions-policy", PERMISSIONS_POLICY),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if production:
        headers.append(("strict-transport-security", STRICT_TRANSPORT_SECURITY))
    return headers


def _is_under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers when the answer starts (no body buffering).

    `session_cookie` names the staff session cookie (the access slice's business, handed
    in by the composition); a request carrying it is answered with `no-store`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        production: bool = False,
        private_paths: Iterable[str] = PRIVATE_PATHS,
        session_cookie: str = "",
    ) -> None:
        self.app = app
        self.headers = [
            (name.encode(), value.encode())
            for name, value in baseline_headers(production=production)
        ]
        self.private_paths = tuple(private_paths)
        self.cookie = f"{session_cookie}=".encode() if session_cookie else b""

    def _private_request(self, scope: Scope) -> bool:
        if _is_under(scope["path"], self.private_paths):
            return True
        for name, value in scope["headers"]:
            if name == b"authorization":
                return True
            if name == b"cookie" and self.cookie and self.cookie in value:
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = self._private_request(scope)

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                # The handler may have found a login the request did not show (a token
                # checked by a dependency): request.state lives in the scope.
                if private or scope.get("state", {}).get("login") is not None:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", NO_STORE.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, secured)
