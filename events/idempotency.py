"""Receipts of requests made with an ``Idempotency-Key``, saved atomically with their effect."""

from __future__ import annotations

from uuid import UUID

from events.base import MarketplaceCreated


class RequestReceived(MarketplaceCreated):
    """The first request under a key: what it asked (fingerprint) and what it produced."""

    TOPIC = "marketplace.IdempotencyReceipt.RequestReceived"
    key: str
    fingerprint: str
    status: int
    resource_id: UUID | None
    resource_version: int | None
