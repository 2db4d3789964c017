"""Plain JSON-ready forms of event values, for read models, history and responses.

Projections turn every event they apply into its plain form, so this is on the hot path of a
catch-up: each value's type is looked up once in a table of converters (built on first sight of a
type, following the same order of rules), and while a batch is applied (``shared_plain_forms``)
an event's plain changes are worked out once and shared by every projection that asks.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Iterator
from uuid import UUID

Converter = Callable[[Any], Any]

_CONVERTERS: dict[type, Converter] = {}


def to_plain(value: Any) -> Any:
    """Decimal -> str, date/datetime -> ISO 8601, Enum -> its value, UUID -> str, dataclass -> dict."""
    converter = _CONVERTERS.get(type(value))
    if converter is None:
        converter = _converter_for(type(value))
        _CONVERTERS[type(value)] = converter
    return converter(value)


def _same(value: Any) -> Any:
    return value


def _enum_value(value: Enum) -> Any:
    return value._value_  # what ``.value`` returns, without the descriptor


def _isoformat(value: date) -> str:
    return value.isoformat()


def _mapping(value: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): to_plain(v) for k, v in value.items()}


def _sequence(value: Any) -> list[Any]:
    return [to_plain(v) for v in value]


def _converter_for(cls: type) -> Converter:
    """The rule for one type, in the order the rules are checked: a subclass of ``str`` that is
    also an Enum stays itself, as any ``str`` does."""
    if cls is type(None) or issubclass(cls, (bool, int, str)):
        return _same
    if issubclass(cls, Decimal):
        return str
    if issubclass(cls, Enum):
        return _enum_value
    if issubclass(cls, (datetime, date)):
        return _isoformat
    if issubclass(cls, UUID):
        return str
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))
        return lambda value: {name: to_plain(getattr(value, name)) for name in names}
    if issubclass(cls, dict):
        return _mapping
    if issubclass(cls, (list, tuple, set, frozenset)):
        return _sequence
    if issubclass(cls, float):
        return _same
    raise TypeError(f"no plain form for {cls.__name__}")


BOOKKEEPING = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic", "actor"})

_shared: ContextVar[dict[int, tuple[Any, dict[str, Any]]] | None] = ContextVar(
    "shared_plain_forms", default=None
)


@contextmanager
def shared_plain_forms() -> Iterator[None]:
    """Within this block an event's plain changes are worked out once, whoever asks (the caller
    must not change what it is given). Each thread (context) has its own: a web request catching
    up in one thread never sees another's."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def event_changes(event: Any) -> dict[str, Any]:
    """What an event says, without the bookkeeping every event carries."""
    shared = _shared.get()
    if shared is not None:
        kept = shared.get(id(event))
        if kept is not None and kept[0] is event:
            return kept[1]
    changes = {name: to_plain(value) for name, value in vars(event).items() if name not in BOOKKEEPING}
    if shared is not None:
        shared[id(event)] = (event, changes)  # holds the event, so its id is not reused
    return changes


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; a naive value (SQLite keeps no zone) is taken as UTC, which is what we store."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def in_utc(moment: datetime) -> datetime:
    """The moment in UTC. One so near an end of the calendar that UTC cannot hold it (year 1 at
    +14:00) is taken as that end: every recorded moment lies between the two, so it compares
    with them as the moment itself would."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        end = datetime.max if moment.year == datetime.max.year else datetime.min
        return end.replace(tzinfo=timezone.utc)
