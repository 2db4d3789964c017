"""Small checks shared by aggregates; each raises ``InvalidValue`` naming the field."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlparse

from marketplace.domain.errors import invalid

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters no text may hold (tab and line breaks are text): none belongs in a name, a title or
a description; PostgreSQL refuses a NUL in a text column (a read model could not record the
value), and XML, a spreadsheet's format, cannot carry the others as they are."""
CONTROL_CHARACTERS_MESSAGE = "must not contain control characters (tab and line breaks are allowed)"
_SURROGATES = re.compile(r"[\ud800-\udfff]")
SURROGATES_MESSAGE = "must not contain a lone surrogate escape (\\ud800-\\udfff): it is no character"


def unfit_text(value: str) -> str | None:
    """Why ``value`` cannot be recorded as text (a control character, or half of a UTF-16
    surrogate pair, which no encoding can store), or None."""
    if CONTROL_CHARACTERS.search(value):
        return CONTROL_CHARACTERS_MESSAGE
    if _SURROGATES.search(value):
        return SURROGATES_MESSAGE
    return None


def text(field: str, value: str | None, *, required: bool, max_length: int) -> str | None:
    if value is None or not value.strip():
        if required:
            raise invalid(field, "must not be blank")
        return None
    unfit = unfit_text(value)
    if unfit is not None:
        raise invalid(field, unfit)
    value = value.strip()
    if len(value) > max_length:
        raise invalid(field, f"must be at most {max_length} characters")
    return value


def required_text(field: str, value: str | None, *, max_length: int) -> str:
    checked = text(field, value, required=True, max_length=max_length)
    if checked is None:  # unreachable: text() raises for a blank required value
        raise invalid(field, "must not be blank")
    return checked


MIN_STATEMENT_LENGTH = 20
"""A recorded statement (a justification's facts, a price reasonableness note, a conflict of
interest attestation) is what an auditor reads later: "ok" or "none" says nothing."""


def statement(field: str, value: str | None, *, asks: str, max_length: int = 5000) -> str:
    """Required text of at least ``MIN_STATEMENT_LENGTH`` characters; ``asks`` says what it must
    say, for the refusal."""
    checked = required_text(field, value, max_length=max_length)
    if len(checked) < MIN_STATEMENT_LENGTH:
        raise invalid(field, f"{asks} (at least {MIN_STATEMENT_LENGTH} characters)")
    return checked


def url(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return required_url(field, value)


def required_url(field: str, value: str | None) -> str:
    value = required_text(field, value, max_length=2000)
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid(field, "must be an http(s) URL")
    return value


def email(field: str, value: str) -> str:
    checked = required_text(field, value, max_length=320)
    if not _EMAIL.match(checked):
        raise invalid(field, "must be an email address")
    return checked


CENT = Decimal("0.01")
"""Money is recorded in whole cents, with both places written ("356.9" as 356.90)."""


def cents(amount: Decimal) -> Decimal:
    """Money as recorded: to the cent, both places written ("356.9" as 356.90), and a zero
    never negative ("-0" as 0.00)."""
    recorded = amount.quantize(CENT)
    return recorded.copy_abs() if recorded.is_zero() else recorded


def decimal_places(value: Decimal) -> int:
    """How many decimal places a finite number is written with ("1E+3" has none)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def written_out(value: Decimal) -> Decimal:
    """The number as written out in full ("1E+3" is 1000), never in exponent notation."""
    return Decimal(format(value, "f"))


def in_whole_cents(amount: Decimal) -> bool:
    """At most two decimal places: money is recorded in whole cents."""
    return amount.as_tuple().exponent >= -2  # type: ignore[operator]


MAX_SEATS = 10_000_000
"""Seats one district may need or buy on one line or contract, at most (the API's bound, now the
domain's too, for the console and demo data): ten times the largest district's enrollment."""


def seats(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SEATS:
        raise invalid(field, f"must be a whole number from 1 to {MAX_SEATS}")
    return value
