"""Unit-test fixtures: a fixed clock for every test, and aggregates built in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

import events
from marketplace.domain.accounts import Account
from marketplace.domain.offerings import Offering
from tests.unit.factories import complete_details, register_provider

FIXED_NOW = datetime(2025, 6, 15, 12, 0, tzinfo=timezone.utc)


class FixedClock:
    """A clock that stands still at ``moment`` until a test moves it."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[FixedClock]:
    clock = FixedClock(FIXED_NOW)
    previous = events.set_clock(clock)
    try:
        yield clock
    finally:
        events.set_clock(previous)


@pytest.fixture
def owner() -> Account:
    """A provider account bound to its provider."""
    account, _ = register_provider(ein="84-1000001", legal_name="Prairie Learning")
    return account


@pytest.fixture
def other_provider() -> Account:
    """An account of a different provider."""
    account, _ = register_provider(ein="84-2000002", legal_name="Mesa Tutoring")
    return account


@pytest.fixture
def draft(owner: Account) -> Offering:
    """A complete draft with its creation event already collected."""
    offering = Offering.draft(owner, complete_details())
    offering.collect_events()
    return offering


@pytest.fixture
def published(draft: Offering, owner: Account) -> Offering:
    draft.publish(owner)
    draft.collect_events()
    return draft


@pytest.fixture
def withdrawn(published: Offering, owner: Account) -> Offering:
    published.withdraw(owner, "replaced by a new edition")
    published.collect_events()
    return published
