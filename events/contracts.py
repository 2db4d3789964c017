"""Awards and the contracts they create: signature, amendments, renewals, joining, termination."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import ContractType, CostShare, JoiningPolicy, Justification, ProcurementMethod


class ContractAwarded(MarketplaceCreated):
    """The award record auditors ask for, and the contract it creates (2 CFR 200.318(i))."""

    TOPIC = "marketplace.Contract.Awarded"
    solicitation_id: UUID | None
    consortium_id: UUID | None
    lead_district_id: UUID
    provider_id: UUID
    proposal_id: UUID | None
    offering_ids: tuple[UUID, ...]
    method: ProcurementMethod
    method_rationale: str
    contract_type: ContractType
    selection_reason: str
    rejections: tuple[dict[str, Any], ...]
    price_basis: str
    cost_price_analysis: str | None
    justification: Justification | None
    term_start: date
    term_end: date
    list_unit_price: Decimal
    unit_price: Decimal
    allocations: tuple[CostShare, ...]
    total_value: Decimal
    joining_policy: JoiningPolicy
    eligible_district_ids: tuple[UUID, ...]


class ContractSigned(MarketplaceEvent):
    TOPIC = "marketplace.Contract.Signed"
    signatory: str


class ContractAmended(MarketplaceEvent):
    TOPIC = "marketplace.Contract.Amended"
    changes: dict[str, Any]
    rationale: str


class ContractRenewed(MarketplaceEvent):
    TOPIC = "marketplace.Contract.Renewed"
    term_end: date
    rationale: str


class ContractTerminated(MarketplaceEvent):
    TOPIC = "marketplace.Contract.Terminated"
    reason: str


class ContractAwardCancelled(MarketplaceEvent):
    """The award was corrected: cancelled with a reason (before signature), never edited."""

    TOPIC = "marketplace.Contract.AwardCancelled"
    reason: str


class DistrictJoinedContract(MarketplaceEvent):
    TOPIC = "marketplace.Contract.DistrictJoined"
    share: CostShare


class StudentDataAccessGranted(MarketplaceEvent):
    """A party district let the provider access its students' data, under the provider's signed
    privacy agreement covering that district on the day (PRODUCT rule 11)."""

    TOPIC = "marketplace.Contract.StudentDataAccessGranted"
    district_id: UUID
    agreement_id: UUID
