"""Providers of personalized-learning models."""

from __future__ import annotations

from events.base import MarketplaceCreated
from events.types import Contact, OrganizationIdentifier


class ProviderRegistered(MarketplaceCreated):
    TOPIC = "marketplace.Provider.Registered"
    legal_name: str
    identifier: OrganizationIdentifier
    website: str | None
    contact: Contact
