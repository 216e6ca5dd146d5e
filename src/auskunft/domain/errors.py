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
