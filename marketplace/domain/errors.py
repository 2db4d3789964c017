"""Named errors raised by the domain when a rule refuses a command.

Each family maps to one HTTP status in one place (``marketplace.web.errors``).
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused a command; nothing was recorded."""

    def __init__(
        self, message: str, fields: dict[str, list[str]] | None = None, location: str = "json"
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.location = location


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""


class AuthenticationRequired(DomainError):
    """No valid credential was presented."""


class NotAllowed(DomainError):
    """The caller's role or ownership does not permit this command."""


class InvalidValue(DomainError):
    """A value breaks a rule; ``fields`` names each offending field."""


class WrongState(DomainError):
    """The command does not apply in the aggregate's current state."""


class AlreadyExists(DomainError):
    """Something with the same identity is already recorded."""


class StaleVersion(DomainError):
    """The caller's expected version is not the current one."""


class IdempotencyKeyReused(DomainError):
    """An idempotency key was sent again with a different request."""


def invalid(field: str, message: str) -> InvalidValue:
    return InvalidValue(f"{field}: {message}", {field: [message]})
