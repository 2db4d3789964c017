"""A provider registers once per organization identifier; its first account becomes bound to it.

Its legal name is fixed at registration: no event changes it (the application keeps names it has
read on that basis; a rename would need a new event and an end to that).

A provider records the data privacy agreements it has signed (PRODUCT rule 11), each covering
every district of a state or one district:
- only the provider's own provider accounts record them;
- a state agreement names a state (two letters) and no district; a district agreement names a
  district and no state; a state's model agreement covers a state, a district's own terms and an
  adoption cover a district, the National DPA either;
- an adoption names the district whose signed terms are adopted (another district);
- ``signed_on`` is not in the future; ``expires_on``, when given, comes after it and is the last
  day covered; the signed document's URL is http(s);
- an adoption takes on terms the provider signed: it needs a district agreement of the provider
  with the adopted-from district (of any kind, an adoption included) in force on the adoption's
  ``signed_on``, and it ends when they do. Agreements never change once recorded, so that end is
  known when the adoption is recorded: an adoption without ``expires_on`` takes the last day of
  the latest-ending of them (none when one of them has no end), and one ending later is refused.
  Its ``expires_on`` is thus the whole story: ``in_force``, ``covers`` and the read models need
  no second look at the adopted terms.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import singledispatchmethod
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

import events
from events import MarketplaceEvent
from events.providers import ProviderPrivacyAgreementRecorded, ProviderRegistered
from events.types import (
    Contact,
    OrganizationIdentifier,
    PrivacyAgreement,
    PrivacyAgreementKind,
    PrivacyScope,
    Role,
)
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.districts import STATES
from marketplace.domain.errors import AlreadyExists, NotAllowed, WrongState, invalid

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

    # Data privacy agreements -------------------------------------------------------------------

    def record_privacy_agreement(
        self,
        by: Account,
        *,
        scope: PrivacyScope,
        kind: PrivacyAgreementKind,
        signed_on: date,
        document_url: str,
        state: str | None = None,
        district_id: UUID | None = None,
        adopted_from_district_id: UUID | None = None,
        expires_on: date | None = None,
    ) -> PrivacyAgreement:
        by.require_role(Role.PROVIDER)
        if not by.acts_for(self.id):
            raise NotAllowed("only the provider's own accounts record its privacy agreements")
        if scope is PrivacyScope.STATE:
            state = _state(state)
            if district_id is not None:
                raise invalid("district_id", "a state agreement names a state, not a district")
        else:
            if district_id is None:
                raise invalid("district_id", "a district agreement names its district")
            if state is not None:
                raise invalid("state", "a district agreement names its district, not a state")
        if scope not in KIND_SCOPES[kind]:
            allowed = " or ".join(s.value for s in KIND_SCOPES[kind])
            raise invalid("scope", f"a {kind.value} agreement covers a {allowed}")
        if kind is PrivacyAgreementKind.ADOPTION:
            if adopted_from_district_id is None:
                raise invalid("adopted_from_district_id", "an adoption names the district whose terms it adopts")
            if adopted_from_district_id == district_id:
                raise invalid("adopted_from_district_id", "must be another district than the one adopting")
        elif adopted_from_district_id is not None:
            raise invalid("adopted_from_district_id", "only an adoption names a district it adopts from")
        _require_date("signed_on", signed_on)
        if signed_on > events.now().date():
            raise invalid("signed_on", "must not be in the future")
        if expires_on is not None:
            _require_date("expires_on", expires_on)
            if expires_on <= signed_on:
                raise invalid("expires_on", "must be after signed_on")
        if adopted_from_district_id is not None:
            expires_on = self._adoption_end(adopted_from_district_id, signed_on, expires_on)
        agreement = PrivacyAgreement(
            id=uuid4(),
            scope=scope,
            state=state,
            district_id=district_id,
            kind=kind,
            adopted_from_district_id=adopted_from_district_id,
            signed_on=signed_on,
            expires_on=expires_on,
            document_url=validation.required_url("document_url", document_url),
        )
        if any(_same_terms(agreement, recorded) for recorded in self.privacy_agreements.values()):
            raise AlreadyExists("this agreement is already recorded")
        self.trigger_event(ProviderPrivacyAgreementRecorded, actor=str(by.id), agreement=agreement)
        return agreement

    def _adoption_end(
        self, adopted_from: UUID, signed_on: date, expires_on: date | None
    ) -> date | None:
        """The last day of an adoption signed on ``signed_on``: that of the terms it adopts, or
        ``expires_on`` when earlier."""
        adopted = [
            a
            for a in self.privacy_agreements.values()
            if a.scope is PrivacyScope.DISTRICT
            and a.district_id == adopted_from
            and in_force(a, signed_on)
        ]
        if not adopted:
            raise invalid(
                "adopted_from_district_id",
                "the provider has no signed agreement with this district in force on signed_on",
            )
        ends = [a.expires_on for a in adopted]
        last = None if None in ends else max(e for e in ends if e is not None)
        if last is None:
            return expires_on
        if last <= signed_on:
            raise invalid(
                "adopted_from_district_id",
                "the provider's terms with this district end on signed_on, and an adoption ends "
                "with them",
            )
        if expires_on is not None and expires_on > last:
            raise invalid(
                "expires_on", f"an adoption ends with the terms it adopts, on {last.isoformat()}"
            )
        return expires_on or last

    def covers(self, district_id: UUID, state: str | None, on: date) -> PrivacyAgreement | None:
        """The agreement covering the district (of ``state``) on the day, or None. A district's
        own agreement is preferred to its state's; then the most recently signed."""
        covering = [
            a
            for a in self.privacy_agreements.values()
            if in_force(a, on)
            and (
                (a.scope is PrivacyScope.DISTRICT and a.district_id == district_id)
                or (a.scope is PrivacyScope.STATE and state is not None and a.state == state.upper())
            )
        ]
        if not covering:
            return None
        return max(covering, key=lambda a: (a.scope is PrivacyScope.DISTRICT, a.signed_on))

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: ProviderRegistered) -> None:
        self.legal_name = event.legal_name
        self.identifier = event.identifier
        self.website = event.website
        self.contact = event.contact
        self.privacy_agreements: dict[UUID, PrivacyAgreement] = {}

    @when.register
    def _(self, event: ProviderPrivacyAgreementRecorded) -> None:
        self.privacy_agreements[event.agreement.id] = event.agreement


KIND_SCOPES: dict[PrivacyAgreementKind, tuple[PrivacyScope, ...]] = {
    PrivacyAgreementKind.NATIONAL_DPA: (PrivacyScope.STATE, PrivacyScope.DISTRICT),
    PrivacyAgreementKind.STATE_MODEL: (PrivacyScope.STATE,),
    PrivacyAgreementKind.DISTRICT_TERMS: (PrivacyScope.DISTRICT,),
    PrivacyAgreementKind.ADOPTION: (PrivacyScope.DISTRICT,),
}


def in_force(agreement: PrivacyAgreement, on: date) -> bool:
    """Signed on or before the day, and not past its expiry (the last day it covers)."""
    return agreement.signed_on <= on and (agreement.expires_on is None or on <= agreement.expires_on)


def _state(state: str | None) -> str:
    checked = validation.required_text("state", state, max_length=2).upper()
    if checked not in STATES:
        raise invalid("state", "must be a US state or territory code, such as MT")
    return checked


def _require_date(field: str, value: object) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise invalid(field, "must be a date")


def _same_terms(a: PrivacyAgreement, b: PrivacyAgreement) -> bool:
    return {**vars(a), "id": None} == {**vars(b), "id": None}
