"""Offerings: a provider's listing in the portfolio catalog; every revision is kept."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import Delivery, Evidence, GradeBand, Interoperability, ModelType, Pricing, Subject


DETAIL_FIELDS = (
    "title",
    "summary",
    "description",
    "model_type",
    "subjects",
    "grade_bands",
    "delivery",
    "interoperability",
    "pricing",
    "evidence",
)
"""The listing's own fields, named alike in ``OfferingDrafted`` and ``OfferingRevised.changes``."""

MULTI_VALUED = ("subjects", "grade_bands", "interoperability")
"""Fields holding several values: tuples when recorded, but lists when read back (JSON has no
tuples, and the store rebuilds events without calling their constructor)."""


class OfferingDrafted(MarketplaceCreated):
    TOPIC = "marketplace.Offering.Drafted"
    provider_id: UUID
    title: str
    summary: str | None
    description: str | None
    model_type: ModelType | None
    subjects: tuple[Subject, ...]
    grade_bands: tuple[GradeBand, ...]
    delivery: Delivery | None
    interoperability: tuple[Interoperability, ...]
    pricing: Pricing | None
    evidence: Evidence | None

class OfferingRevised(MarketplaceEvent):
    """``changes`` maps each revised field (names as in ``OfferingDrafted``) to its new value."""

    TOPIC = "marketplace.Offering.Revised"
    changes: dict[str, Any]

class OfferingPublished(MarketplaceEvent):
    TOPIC = "marketplace.Offering.Published"


class OfferingWithdrawn(MarketplaceEvent):
    TOPIC = "marketplace.Offering.Withdrawn"
    reason: str | None
