"""Plain JSON-ready forms of event values, for read models, history and responses."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID


def to_plain(value: Any) -> Any:
    """Decimal -> str, date/datetime -> ISO 8601, Enum -> its value, UUID -> str, dataclass -> dict."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    if isinstance(value, float):
        return value
    raise TypeError(f"no plain form for {type(value).__name__}")


BOOKKEEPING = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic", "actor"})


def event_changes(event: Any) -> dict[str, Any]:
    """What an event says, without the bookkeeping every event carries."""
    return {
        name: to_plain(value)
        for name, value in vars(event).items()
        if name not in BOOKKEEPING
    }


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; a naive value (SQLite keeps no zone) is taken as UTC, which is what we store."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()
