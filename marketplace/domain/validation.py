"""Small checks shared by aggregates; each raises ``InvalidValue`` naming the field."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from marketplace.domain.errors import invalid

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(field: str, value: str | None, *, required: bool, max_length: int) -> str | None:
    if value is None or not value.strip():
        if required:
            raise invalid(field, "must not be blank")
        return None
    value = value.strip()
    if len(value) > max_length:
        raise invalid(field, f"must be at most {max_length} characters")
    return value


def required_text(field: str, value: str | None, *, max_length: int) -> str:
    checked = text(field, value, required=True, max_length=max_length)
    if checked is None:  # unreachable: text() raises for a blank required value
        raise invalid(field, "must not be blank")
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
