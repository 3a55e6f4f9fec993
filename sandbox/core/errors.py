"""Domain errors: raised by services, turned into messages and status codes by the web layer."""


class DomainError(Exception):
    """Something a person asked for cannot be done; the message says why, in their words."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, when there is one


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The object changed since the person loaded it, or the action clashes with its state."""

    status_code = 409
