"""Plain, JSON-ready forms of event values for read models and responses."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from uuid import UUID

import pytest

from events.offerings import OfferingWithdrawn
from events.plain import event_changes, iso_utc, shared_plain_forms, to_plain
from events.types import PriceUnit, Pricing, Subject, VolumeTier


def test_a_decimal_becomes_a_string_keeping_its_cents() -> None:
    assert to_plain(Decimal("42.50")) == "42.50"


def test_an_enum_becomes_its_value() -> None:
    assert to_plain(Subject.SOCIAL_STUDIES) == "social_studies"


def test_a_date_becomes_an_iso_date() -> None:
    assert to_plain(date(2024, 5, 1)) == "2024-05-01"


def test_a_uuid_becomes_its_canonical_string() -> None:
    value = UUID("12345678-1234-5678-1234-567812345678")

    assert to_plain(value) == "12345678-1234-5678-1234-567812345678"


def test_a_value_object_becomes_a_dict_with_nested_values_made_plain() -> None:
    value = Pricing(
        unit=PriceUnit.ONE_TIME,
        list_price=Decimal("10.00"),
        volume_tiers=(VolumeTier(min_quantity=5, unit_price=Decimal("9.50")),),
    )

    assert to_plain(value) == {
        "unit": "one_time",
        "list_price": "10.00",
        "currency": "USD",
        "volume_tiers": [{"min_quantity": 5, "unit_price": "9.50"}],
    }


def test_a_value_with_no_plain_form_is_refused() -> None:
    with pytest.raises(TypeError):
        to_plain(object())


def _withdrawal() -> OfferingWithdrawn:
    return OfferingWithdrawn(
        originator_id=UUID(int=1),
        originator_version=3,
        timestamp=datetime(2025, 6, 15, tzinfo=timezone.utc),
        actor="operator",
        reason="replaced",
    )


def test_event_changes_leave_out_the_bookkeeping_every_event_carries() -> None:
    event = _withdrawal()

    assert event_changes(event) == {"reason": "replaced"}


def test_a_naive_moment_is_taken_as_utc() -> None:
    assert iso_utc(datetime(2025, 6, 15, 12, 0)) == "2025-06-15T12:00:00+00:00"


def test_an_aware_moment_is_converted_to_utc() -> None:
    moment = datetime(2025, 6, 15, 14, 0, tzinfo=timezone(timedelta(hours=2)))

    assert iso_utc(moment) == "2025-06-15T12:00:00+00:00"


def test_within_a_batch_an_events_plain_changes_are_worked_out_once_and_shared() -> None:
    event = _withdrawal()

    with shared_plain_forms():
        first, second = event_changes(event), event_changes(event)
    after = event_changes(event)

    assert first is second
    assert after == first and after is not first


def test_a_str_enum_stays_itself_as_any_str_does() -> None:
    class Colour(str, Enum):
        RED = "red"

    assert to_plain(Colour.RED) is Colour.RED
    assert to_plain([Colour.RED, 1.5, None]) == ["red", 1.5, None]


def test_a_batch_in_one_thread_shares_nothing_with_another_thread() -> None:
    event = _withdrawal()
    entered, leave = threading.Event(), threading.Event()
    seen_in_thread: list[bool] = []

    def other_batch() -> None:
        with shared_plain_forms():
            entered.set()
            leave.wait(5)
            seen_in_thread.append(event_changes(event) is event_changes(event))

    thread = threading.Thread(target=other_batch)
    with shared_plain_forms():
        thread.start()
        entered.wait(5)
        mine = event_changes(event)
    leave.set()
    thread.join(5)

    assert seen_in_thread == [True]  # its own batch still shares within itself
    assert event_changes(event) is not mine  # and after both, nothing is kept
    assert event_changes(event) is not event_changes(event)
