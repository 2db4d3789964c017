"""An offering is a provider's listing: drafted, revised, published, withdrawn; every revision kept.

Rules enforced here:
- only the provider that owns an offering (an account of role ``provider`` bound to it) changes it;
- publishing requires a complete listing, and a published listing stays complete;
- a claimed ESSA evidence tier carries a dated study link (PRODUCT rule 10);
- volume tiers start above one unit, rise in quantity and never cost more than the list price;
- a withdrawn offering is final: it can be read, not changed or republished.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

import events
from events import MarketplaceEvent
from events.offerings import DETAIL_FIELDS, MULTI_VALUED, OfferingDrafted, OfferingPublished, OfferingRevised, OfferingWithdrawn
from events.types import (
    Evidence,
    Pricing,
    Role,
    VolumeTier,
)
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState, invalid


class OfferingStatus(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


REQUIRED_TO_PUBLISH = (
    "title",
    "summary",
    "description",
    "model_type",
    "subjects",
    "grade_bands",
    "delivery",
    "pricing",
)
MAX_PRICE = Decimal("100000000")
MAX_TIERS = 10


class Offering(Aggregate):
    TOPIC = "marketplace.Offering"
    Event = MarketplaceEvent
    Created = OfferingDrafted

    @classmethod
    def draft(cls, by: Account, details: dict[str, Any]) -> Offering:
        """Start a draft listing for the caller's provider; only ``title`` is needed to start."""
        by.require_role(Role.PROVIDER)
        if by.organization_id is None:
            raise NotAllowed("register your provider before listing offerings")
        unknown = set(details) - set(DETAIL_FIELDS)
        if unknown:
            raise InvalidValue(
                "unknown offering fields", {name: ["unknown field"] for name in sorted(unknown)}
            )
        checked = check_details({name: details.get(name) for name in DETAIL_FIELDS})
        return cls._create(
            OfferingDrafted,
            id=Aggregate.create_id(),
            actor=str(by.id),
            provider_id=by.organization_id,
            **checked,
        )

    def revise(self, by: Account, changes: dict[str, Any]) -> bool:
        """Record the fields that really change; returns False (and records nothing) if none do."""
        self._require_owner(by)
        if self.status is OfferingStatus.WITHDRAWN:
            raise WrongState("a withdrawn offering cannot be revised")
        unknown = set(changes) - set(DETAIL_FIELDS)
        if unknown:
            raise InvalidValue(
                "unknown offering fields", {name: ["unknown field"] for name in sorted(unknown)}
            )
        checked = check_details(changes)
        actual = {k: v for k, v in checked.items() if getattr(self, k) != v}
        if not actual:
            return False
        if self.status is OfferingStatus.PUBLISHED:
            self._require_complete({**self.details(), **actual}, "a published offering")
        self.trigger_event(OfferingRevised, actor=str(by.id), changes=actual)
        return True

    def publish(self, by: Account) -> None:
        self._require_owner(by)
        if self.status is not OfferingStatus.DRAFT:
            raise WrongState(f"only a draft can be published; this offering is {self.status.value}")
        self._require_complete(self.details(), "publishing")
        self.trigger_event(OfferingPublished, actor=str(by.id))

    def withdraw(self, by: Account, reason: str | None = None) -> None:
        self._require_owner(by)
        if self.status is not OfferingStatus.PUBLISHED:
            raise WrongState(
                f"only a published offering can be withdrawn; this offering is {self.status.value}"
            )
        reason = validation.text("reason", reason, required=False, max_length=2000)
        self.trigger_event(OfferingWithdrawn, actor=str(by.id), reason=reason)

    def details(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DETAIL_FIELDS}

    def is_visible_to(self, account: Account | None) -> bool:
        return is_visible(self.status, self.provider_id, account)

    @property
    def in_catalog(self) -> bool:
        """Published, or withdrawn but still readable: only such an offering can be designated.
        A draft never is, and an offering never returns to draft, so a draft has no designations."""
        return self.status is not OfferingStatus.DRAFT

    def _require_owner(self, by: Account) -> None:
        by.require_role(Role.PROVIDER)
        if not by.acts_for(self.provider_id):
            raise NotAllowed("only the provider that owns this offering can change it")

    @staticmethod
    def _require_complete(details: dict[str, Any], purpose: str) -> None:
        missing = [name for name in REQUIRED_TO_PUBLISH if _is_missing(details.get(name))]
        if missing:
            raise InvalidValue(
                f"{purpose} requires: {', '.join(missing)}",
                {name: ["required to publish"] for name in missing},
            )

    def _set(self, name: str, value: Any) -> None:
        # A stored tuple reads back as a list: hold tuples always, so a reloaded offering equals
        # the one saved and its rules (completeness, "did this change?") see the same values.
        setattr(self, name, tuple(value) if name in MULTI_VALUED and value is not None else value)

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: OfferingDrafted) -> None:
        self.provider_id = event.provider_id
        self.status = OfferingStatus.DRAFT
        self.published_at = self.withdrawn_at = self.withdrawal_reason = None
        for name in DETAIL_FIELDS:
            self._set(name, getattr(event, name))

    @when.register
    def _(self, event: OfferingRevised) -> None:
        for name, value in event.changes.items():
            self._set(name, value)

    @when.register
    def _(self, event: OfferingPublished) -> None:
        self.status = OfferingStatus.PUBLISHED
        self.published_at = event.timestamp

    @when.register
    def _(self, event: OfferingWithdrawn) -> None:
        self.status = OfferingStatus.WITHDRAWN
        self.withdrawn_at = event.timestamp
        self.withdrawal_reason = event.reason


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, (str, tuple, list)) and len(value) == 0)


def is_visible(status: OfferingStatus, provider_id: UUID, account: Account | None) -> bool:
    """Drafts are visible to their owner only; published and withdrawn listings to everyone."""
    if status is not OfferingStatus.DRAFT:
        return True
    return account is not None and account.acts_for(provider_id)


def check_details(details: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check each given field; collects every field's problem before refusing."""
    checked: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, value in details.items():
        try:
            checked[name] = _CHECKS[name](value)
        except InvalidValue as error:
            for field, messages in error.fields.items():
                problems.setdefault(field, []).extend(messages)
    if problems:
        summary = "; ".join(f"{field}: {', '.join(m)}" for field, m in sorted(problems.items()))
        raise InvalidValue(summary, problems)
    return checked


def _unique(values: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values or ()))


def _money(field: str, value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise invalid(field, "must be zero or more")
    if value > MAX_PRICE:
        raise invalid(field, f"must be at most {MAX_PRICE}")
    if not validation.in_whole_cents(value):
        raise invalid(field, "must have at most two decimal places (whole cents)")
    return validation.cents(value)  # "1E+2" is recorded as 100.00, "-0" as 0.00


def _check_pricing(pricing: Pricing | None) -> Pricing | None:
    if pricing is None:
        return None
    if pricing.currency != "USD":
        raise invalid("pricing.currency", "only USD is supported")
    list_price = _money("pricing.list_price", pricing.list_price)
    tiers = tuple(pricing.volume_tiers)
    if len(tiers) > MAX_TIERS:
        raise invalid("pricing.volume_tiers", f"at most {MAX_TIERS} tiers")
    previous = VolumeTier(min_quantity=1, unit_price=list_price)
    checked: list[VolumeTier] = []
    for index, tier in enumerate(tiers):
        field = f"pricing.volume_tiers.{index}"
        tier = VolumeTier(tier.min_quantity, _money(f"{field}.unit_price", tier.unit_price))
        if tier.min_quantity <= previous.min_quantity:
            raise invalid(
                f"{field}.min_quantity",
                f"must be more than {previous.min_quantity} (tiers rise in quantity, above one unit)",
            )
        if tier.unit_price > previous.unit_price:
            raise invalid(
                f"{field}.unit_price",
                "must not exceed the list price or the price of a smaller tier",
            )
        checked.append(tier)
        previous = tier
    return Pricing(
        unit=pricing.unit, list_price=list_price, currency="USD", volume_tiers=tuple(checked)
    )


def _check_evidence(evidence: Evidence | None) -> Evidence | None:
    if evidence is None:
        return None
    if evidence.tier not in (1, 2, 3, 4):
        raise invalid("evidence.tier", "must be an ESSA tier from 1 to 4")
    study_url = validation.required_url("evidence.study_url", evidence.study_url)
    if not isinstance(evidence.study_date, date) or isinstance(evidence.study_date, datetime):
        raise invalid("evidence.study_date", "a claimed evidence tier needs the study's date")
    if evidence.study_date > events.now().date():
        raise invalid("evidence.study_date", "must not be in the future")
    title = validation.text("evidence.study_title", evidence.study_title, required=False, max_length=500)
    return Evidence(tier=evidence.tier, study_url=study_url, study_date=evidence.study_date, study_title=title)


_CHECKS: dict[str, Any] = {
    "title": lambda v: validation.required_text("title", v, max_length=200),
    "summary": lambda v: validation.text("summary", v, required=False, max_length=500),
    "description": lambda v: validation.text("description", v, required=False, max_length=20000),
    "model_type": lambda v: v,
    "subjects": _unique,
    "grade_bands": _unique,
    "delivery": lambda v: v,
    "interoperability": _unique,
    "pricing": _check_pricing,
    "evidence": _check_evidence,
}

__all__ = ["DETAIL_FIELDS", "Offering", "OfferingStatus", "check_details", "is_visible"]
