"""Designations: informational labels (e.g. a state's "approved model") that a named authority
issues to an offering and may revoke with a reason. A designation never filters, ranks or blocks
anything (PRODUCT rule 10); these events only ever feed labels and an optional facet.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent


class DesignationIssued(MarketplaceCreated):
    TOPIC = "marketplace.Designation.Issued"
    offering_id: UUID
    name: str
    issuer: str
    criteria_url: str
    valid_from: date
    valid_until: date | None


class DesignationRevoked(MarketplaceEvent):
    TOPIC = "marketplace.Designation.Revoked"
    reason: str
