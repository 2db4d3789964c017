"""The stored contract: event classes with stable topics, value types and transcodings.

Importing this package registers every topic, so stored events can be read back whatever module
their classes live in today.
"""

from events import (  # noqa: F401  (importing registers the topics)
    accounts,
    contracts,
    designations,
    districts,
    idempotency,
    offerings,
    outcomes,
    providers,
    solicitations,
)
from events.base import SYSTEM_ACTOR, MarketplaceCreated, MarketplaceEvent, now, set_clock
from events.transcodings import register_transcodings

__all__ = [
    "SYSTEM_ACTOR",
    "MarketplaceCreated",
    "MarketplaceEvent",
    "now",
    "register_transcodings",
    "set_clock",
]
