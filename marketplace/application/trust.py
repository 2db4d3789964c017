"""Use cases: designations and data privacy agreements."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

import events
from events.types import PrivacyAgreement, PrivacyAgreementKind, PrivacyScope
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract
from marketplace.domain.designations import Designation
from marketplace.domain.districts import District
from marketplace.domain.errors import NotFound, invalid
from marketplace.domain.providers import Provider

if TYPE_CHECKING:
    from marketplace.application import MarketplaceBase as _Base
else:
    _Base = object


class TrustUseCases(_Base):
    """Designations of offerings and providers' data privacy agreements."""

    # Designations: labels only; no other use case ever reads one (PRODUCT rule 10) -------------

    def get_designation(self, designation_id: UUID) -> Designation:
        return self._get(Designation, designation_id, "designation")

    def issue_designation(
        self,
        by: Account,
        offering_id: UUID,
        *,
        name: str,
        issuer: str,
        criteria_url: str,
        valid_from: date,
        valid_until: date | None = None,
    ) -> Designation:
        offering = self.get_offering(offering_id)
        if not offering.is_visible_to(by):  # another provider's draft: as if it did not exist
            raise NotFound(f"offering {offering_id} not found")
        designation = Designation.issue(
            by,
            offering,
            name=name,
            issuer=issuer,
            criteria_url=criteria_url,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        self.save(designation)
        return designation

    def revoke_designation(self, by: Account, designation_id: UUID, reason: str) -> Designation:
        designation = self.get_designation(designation_id)
        designation.revoke(by, reason)
        self.save(designation)
        return designation

    # Data privacy agreements (PRODUCT rule 11) -------------------------------------------------

    def record_privacy_agreement(
        self,
        by: Account,
        provider_id: UUID,
        *,
        scope: PrivacyScope,
        kind: PrivacyAgreementKind,
        signed_on: date,
        document_url: str,
        state: str | None = None,
        district_id: UUID | None = None,
        adopted_from_district_id: UUID | None = None,
        expires_on: date | None = None,
    ) -> tuple[Provider, PrivacyAgreement]:
        provider = self.get_provider(provider_id)
        for field, named in (
            ("district_id", district_id),
            ("adopted_from_district_id", adopted_from_district_id),
        ):
            if named is not None and not isinstance(self.load_optional(named), District):
                raise invalid(field, "no such district")
        agreement = provider.record_privacy_agreement(
            by,
            scope=scope,
            kind=kind,
            signed_on=signed_on,
            document_url=document_url,
            state=state,
            district_id=district_id,
            adopted_from_district_id=adopted_from_district_id,
            expires_on=expires_on,
        )
        self.save(provider)
        return provider, agreement

    def covering_agreement(
        self, provider: Provider, district: District, on: date | None = None
    ) -> PrivacyAgreement | None:
        """The provider's agreement covering the district on the day (default: today)."""
        return provider.covers(district.id, district.state, on or events.now().date())

    def grant_student_data_access(
        self, by: Account, contract_id: UUID, district_id: UUID
    ) -> Contract:
        contract = self._get(Contract, contract_id, "contract")
        district = self.load_optional(district_id)
        agreement = None
        if isinstance(district, District):
            agreement = self.covering_agreement(self.get_provider(contract.provider_id), district)
        contract.grant_student_data_access(
            by, district_id, None if agreement is None else agreement.id, events.now().date()
        )
        self.save(contract)
        return contract
