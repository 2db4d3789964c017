"""A designation (e.g. a state's "approved model") is an informational label a named authority
issues to an offering, and revokes with a reason.

It is a label and nothing more (PRODUCT rule 10): no other aggregate reads it, so it can never
hide an offering, block a proposal or an award, or change a score or a rank.

Rules enforced here:
- only an account of role ``authority`` issues one (an admin runs the service, it does not judge
  models), to an offering that exists in the catalog: published, or withdrawn but still readable;
  never to a draft;
- the name, the issuer (the authority named on the label) and the criteria URL (http(s)) are
  required; ``valid_until``, when given, comes after ``valid_from``;
- only the issuing account, or an admin, revokes it, once, with a reason.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.designations import DesignationIssued, DesignationRevoked
from events.types import Role
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.errors import NotAllowed, WrongState, invalid
from marketplace.domain.offerings import Offering


class DesignationStatus(Enum):
    UPCOMING = "upcoming"  # issued, valid from a later day
    ACTIVE = "active"
    EXPIRED = "expired"  # past its valid_until
    REVOKED = "revoked"


def designation_status(
    valid_from: date, valid_until: date | None, revoked: bool, on: date
) -> DesignationStatus:
    """The status on a day, from the recorded facts (the read models use the same rule)."""
    if revoked:
        return DesignationStatus.REVOKED
    if on < valid_from:
        return DesignationStatus.UPCOMING
    if valid_until is not None and on > valid_until:
        return DesignationStatus.EXPIRED
    return DesignationStatus.ACTIVE


class Designation(Aggregate):
    TOPIC = "marketplace.Designation"
    Event = MarketplaceEvent
    Created = DesignationIssued

    @classmethod
    def issue(
        cls,
        by: Account,
        offering: Offering,
        *,
        name: str,
        issuer: str,
        criteria_url: str,
        valid_from: date,
        valid_until: date | None = None,
    ) -> Designation:
        by.require_role(Role.AUTHORITY)
        if not offering.in_catalog:
            raise WrongState(
                "only a published (or withdrawn) offering can be designated; this one is a draft",
                {"offering_id": ["a draft is not in the catalog"]},
            )
        name = validation.required_text("name", name, max_length=200)
        issuer = validation.required_text("issuer", issuer, max_length=200)
        criteria_url = validation.required_url("criteria_url", criteria_url)
        _require_date("valid_from", valid_from)
        if valid_until is not None:
            _require_date("valid_until", valid_until)
            if valid_until <= valid_from:
                raise invalid("valid_until", "must be after valid_from")
        return cls._create(
            DesignationIssued,
            id=uuid4(),
            actor=str(by.id),
            offering_id=offering.id,
            name=name,
            issuer=issuer,
            criteria_url=criteria_url,
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def revoke(self, by: Account, reason: str) -> None:
        by.require_role(Role.AUTHORITY, Role.ADMIN)
        if by.role is Role.AUTHORITY and by.id != self.issued_by:
            raise NotAllowed("only the issuing authority account (or an admin) revokes a designation")
        if self.revoked:
            raise WrongState("this designation is already revoked")
        self.trigger_event(
            DesignationRevoked,
            actor=str(by.id),
            reason=validation.required_text("reason", reason, max_length=2000),
        )

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def status_on(self, on: date) -> DesignationStatus:
        return designation_status(self.valid_from, self.valid_until, self.revoked, on)

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: DesignationIssued) -> None:
        self.offering_id = event.offering_id
        self.name = event.name
        self.issuer = event.issuer
        self.criteria_url = event.criteria_url
        self.valid_from = event.valid_from
        self.valid_until = event.valid_until
        self.issued_by = UUID(event.actor)
        self.issued_at = event.timestamp
        self.revoked_at: datetime | None = None
        self.revocation_reason: str | None = None

    @when.register
    def _(self, event: DesignationRevoked) -> None:
        self.revoked_at = event.timestamp
        self.revocation_reason = event.reason


def _require_date(field: str, value: Any) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise invalid(field, "must be a date")
