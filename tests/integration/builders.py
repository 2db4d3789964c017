"""Builders shared by integration tests that drive the application's use cases directly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from events.types import (
    Contact,
    Delivery,
    Evidence,
    GradeBand,
    ModelType,
    OrganizationIdentifier,
    PriceUnit,
    Pricing,
    Role,
    Subject,
)


def provider_with_offerings(
    app: Any,
    ein: int,
    name: str,
    titles: tuple[str, ...],
    list_price: str = "40.00",
    evidence: Evidence | None = None,
) -> tuple[Any, UUID, list[UUID]]:
    """A registered provider with one published middle-school math offering per title:
    (its account, its provider id, the offering ids)."""
    opened, _ = app.open_account(None, Role.PROVIDER, f"{name} account")
    provider = app.register_provider(
        opened,
        name,
        OrganizationIdentifier("US-EIN", f"84-{1000000 + ein}"),
        None,
        Contact("Dana Reyes", "dana@example.org"),
    )
    account = app.get_account(opened.id)
    offering_ids = []
    for title in titles:
        details: dict[str, Any] = {
            "title": title,
            "summary": "Mastery-based math",
            "description": "Students progress on demonstrated mastery.",
            "model_type": ModelType.COURSE,
            "subjects": (Subject.MATH,),
            "grade_bands": (GradeBand.GRADES_6_8,),
            "delivery": Delivery.BLENDED,
            "pricing": Pricing(PriceUnit.PER_STUDENT_PER_YEAR, Decimal(list_price)),
        }
        if evidence is not None:
            details["evidence"] = evidence
        offering = app.draft_offering(account, details)
        offering_ids.append(app.publish_offering(account, offering.id).id)
    return account, provider.id, offering_ids
