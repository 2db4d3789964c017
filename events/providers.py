"""Providers of personalized-learning models."""

from __future__ import annotations

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import Contact, OrganizationIdentifier, PrivacyAgreement


class ProviderRegistered(MarketplaceCreated):
    TOPIC = "marketplace.Provider.Registered"
    legal_name: str
    identifier: OrganizationIdentifier
    website: str | None
    contact: Contact


class ProviderPrivacyAgreementRecorded(MarketplaceEvent):
    """The provider recorded a data privacy agreement it signed (per state or per district)."""

    TOPIC = "marketplace.Provider.PrivacyAgreementRecorded"
    agreement: PrivacyAgreement
