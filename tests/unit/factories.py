"""Plain builders for unit tests: accounts, providers and offering details, no I/O."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from events.types import (
    Contact,
    Delivery,
    Evidence,
    GradeBand,
    Interoperability,
    ModelType,
    OrganizationIdentifier,
    PriceUnit,
    Pricing,
    Role,
    Subject,
    VolumeTier,
)
from marketplace.domain.accounts import Account
from marketplace.domain.providers import Provider

CONTACT = Contact(name="Dana Reyes", email="dana@prairie.example.com")


def register_provider(
    ein: str = "84-1000001", legal_name: str = "Prairie Learning"
) -> tuple[Account, Provider]:
    """A provider account bound to a newly registered provider."""
    account = Account.open(None, Role.PROVIDER, f"{legal_name} staff")
    provider = Provider.register(
        account,
        legal_name,
        OrganizationIdentifier(scheme="US-EIN", id=ein),
        "https://prairie.example.com",
        CONTACT,
    )
    return account, provider


def pricing(list_price: str = "42.00", *tiers: tuple[int, str], currency: str = "USD") -> Pricing:
    return Pricing(
        unit=PriceUnit.PER_STUDENT_PER_YEAR,
        list_price=Decimal(list_price),
        currency=currency,
        volume_tiers=tuple(VolumeTier(min_quantity=q, unit_price=Decimal(p)) for q, p in tiers),
    )


def evidence(
    tier: Any = 2,
    study_url: Any = "https://evidence.example.org/prairie-math",
    study_date: Any = date(2024, 5, 1),
    study_title: str | None = None,
) -> Evidence:
    return Evidence(tier=tier, study_url=study_url, study_date=study_date, study_title=study_title)


def complete_details(**overrides: Any) -> dict[str, Any]:
    """Offering details complete enough to publish."""
    details: dict[str, Any] = {
        "title": "Prairie Math Mastery",
        "summary": "Mastery-based math for grades 3-8 in small rural schools.",
        "description": "Students progress on demonstrated mastery; teachers get daily insight.",
        "model_type": ModelType.COURSE,
        "subjects": (Subject.MATH,),
        "grade_bands": (GradeBand.GRADES_3_5, GradeBand.GRADES_6_8),
        "delivery": Delivery.BLENDED,
        "interoperability": (Interoperability.LTI_1_3, Interoperability.ONEROSTER),
        "pricing": pricing("42.00", (250, "38.00"), (1000, "33.50")),
        "evidence": evidence(),
    }
    details.update(overrides)
    return details
