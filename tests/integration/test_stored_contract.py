"""What reaches the store: explicit topics, and payloads that read back after classes move."""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import resolve_topic

from tests.conftest import complete_offering


def test_every_stored_topic_is_an_explicit_marketplace_topic(provider: Any, services: Any) -> None:
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    caller.post(f"/api/v1/offerings/{offering['id']}/publish", headers={"Idempotency-Key": "k"})
    notifications = services.app.recorder.select_notifications(1, 1000)
    topics = {n.topic for n in notifications}
    assert topics and all(t.startswith("marketplace.") for t in topics)
    assert not any(":" in t for t in topics)  # never module:qualname, which breaks on a move
    for topic in topics:
        assert resolve_topic(topic).TOPIC == topic


def test_stored_payloads_keep_money_as_exact_decimal_strings(provider: Any, services: Any) -> None:
    caller, _ = provider
    caller.post("/api/v1/offerings", json=complete_offering())
    drafted = [
        n for n in services.app.recorder.select_notifications(1, 1000)
        if n.topic == "marketplace.Offering.Drafted"
    ]
    assert b'"_type_":"decimal_str","_data_":"42.00"' in drafted[0].state
    assert b'"_type_":"date_iso","_data_":"2024-05-01"' in drafted[0].state
