"""One exception hierarchy; each error carries its HTTP status and a German message."""

from __future__ import annotations


class AuskunftError(Exception):
    """Base of all errors a person may see; rendered by the web and CLI edges."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message


class InvalidInput(AuskunftError):
    """The request cannot be understood as given."""

    status = 422
    code = "invalid_input"


class NotFound(AuskunftError):
    """The named object does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class ImportFailed(AuskunftError):
    """An import file is malformed; nothing from it was stored."""

    status = 422
    code = "import_failed"


class Conflict(AuskunftError):
    """The request collides with what exists (a user name taken, a slot gone)."""

    status = 409
    code = "conflict"


class NotAuthenticated(AuskunftError):
    """The page or endpoint needs a staff login (or an API token)."""

    status = 401
    code = "not_authenticated"


class Forbidden(AuskunftError):
    """Known, but not allowed (a demo account in production, a forged form)."""

    status = 403
    code = "forbidden"


class CsrfFailed(Forbidden):
    """A form post without the token of the page it came from."""

    code = "csrf_failed"


class AccountLocked(AuskunftError):
    """Too many failed logins: the account waits out its lockout."""

    status = 429
    code = "account_locked"


class MailFailed(AuskunftError):
    """The mail server did not accept a message."""

    status = 502
    code = "mail_failed"


class LimitReached(AuskunftError):
    """A booking limit or the request rate of a client is exhausted."""

    status = 429
    code = "limit_reached"


class Unavailable(AuskunftError):
    """The service cannot take this request right now (overload); try again shortly."""

    status = 503
    code = "unavailable"
