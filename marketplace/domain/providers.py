"""A provider registers once per organization identifier; its first account becomes bound to it."""

from __future__ import annotations

from functools import singledispatchmethod
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.providers import ProviderRegistered
from events.types import Contact, OrganizationIdentifier, Role
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.errors import WrongState

_PROVIDER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:provider")


class Provider(Aggregate):
    TOPIC = "marketplace.Provider"
    Event = MarketplaceEvent
    Created = ProviderRegistered

    @staticmethod
    def id_for(identifier: OrganizationIdentifier) -> UUID:
        """One provider per identifier: the id is derived from it, so a duplicate cannot be saved."""
        key = f"{identifier.scheme.strip().upper()}:{identifier.id.strip().upper()}"
        return uuid5(_PROVIDER_NAMESPACE, key)

    @classmethod
    def register(
        cls,
        by: Account,
        legal_name: str,
        identifier: OrganizationIdentifier,
        website: str | None,
        contact: Contact,
    ) -> Provider:
        """Register the caller's provider and bind the caller's account to it."""
        by.require_role(Role.PROVIDER)
        if by.organization_id is not None:
            raise WrongState(
                "this account already acts for an organization",
                {"account": ["already acts for an organization"]},
            )
        identifier = OrganizationIdentifier(
            scheme=validation.required_text("identifier.scheme", identifier.scheme, max_length=40),
            id=validation.required_text("identifier.id", identifier.id, max_length=100),
        )
        provider = cls._create(
            ProviderRegistered,
            id=cls.id_for(identifier),
            actor=str(by.id),
            legal_name=validation.required_text("legal_name", legal_name, max_length=300),
            identifier=identifier,
            website=validation.url("website", website),
            contact=Contact(
                name=validation.required_text("contact.name", contact.name, max_length=200),
                email=validation.email("contact.email", contact.email),
                phone=validation.text("contact.phone", contact.phone, required=False, max_length=40),
            ),
        )
        by.bind_to(provider.id)
        return provider

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: ProviderRegistered) -> None:
        self.legal_name = event.legal_name
        self.identifier = event.identifier
        self.website = event.website
        self.contact = event.contact
