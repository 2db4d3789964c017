"""Base classes every stored event derives from.

Each concrete event declares an explicit ``TOPIC``: the string written to the store. Topics never
change; a class may move or be renamed freely because the topic, not ``module:qualname``, is what
is stored. Every event records who did it (``actor``, an account id or a named system actor) and
when (``timestamp``, timezone-aware UTC, taken from the replaceable clock below).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Protocol

from eventsourcing.domain import AggregateCreated, AggregateEvent
from eventsourcing.utils import register_topic


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(tz=timezone.utc)


_clock: Clock = SystemClock()


def set_clock(clock: Clock) -> Clock:
    """Replace the clock that stamps new events; returns the previous one (tests, scheduler)."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    return _clock.now()


SYSTEM_ACTOR = "system"


class MarketplaceEvent(AggregateEvent):
    """An event of a marketplace aggregate; the aggregate's ``when`` method applies it."""

    actor: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if topic:
            register_topic(topic, cls)

    @staticmethod
    def create_timestamp() -> datetime:
        return _clock.now()

    def apply(self, aggregate: Any) -> None:
        aggregate.when(self)

    @property
    def stable_name(self) -> str:
        """The event's stable name: its topic without the ``marketplace.`` prefix."""
        return str(getattr(self, "TOPIC", type(self).__name__)).removeprefix("marketplace.")


class MarketplaceCreated(AggregateCreated, MarketplaceEvent):
    """The first event of a marketplace aggregate."""
