"""Procurement input schemas (typed values into the domain) and output schemas (plain documents)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from events.types import (
    ContractType,
    Criterion,
    JoiningPolicy,
    Justification,
    NeedLine,
    NoncompetitiveCase,
    ProcurementMethod,
    Score,
    Seats,
    Subject,
    Thresholds,
)
from marketplace.domain.validation import MAX_SEATS
from marketplace.web.schemas.common import DecimalString, PageArgsSchema, enum_values
from marketplace.web.schemas.offerings import PricingInSchema

TEXT = validate.Length(min=1, max=5000)

# Districts and consortia --------------------------------------------------------------------


class DistrictCreateSchema(Schema):
    nces_id = fields.String(required=True, metadata={"example": "3003990", "description": "7-digit NCES LEA id"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    state = fields.String(required=True, validate=validate.Length(equal=2), metadata={"example": "MT"})
    locale_code = fields.Integer(required=True, metadata={"description": "NCES locale code, 11-43"})
    enrollment = fields.Integer(required=True, validate=validate.Range(min=0, max=2_000_000))
    average_daily_attendance = fields.Integer(required=True, validate=validate.Range(min=0, max=2_000_000))


class DistrictSchema(Schema):
    id = fields.String(required=True)
    nces_id = fields.String(required=True)
    name = fields.String(required=True)
    state = fields.String(required=True)
    locale_code = fields.Integer(required=True)
    enrollment = fields.Integer(required=True)
    average_daily_attendance = fields.Integer(required=True)
    rural = fields.Boolean(required=True, metadata={"description": "NCES locale 41, 42 or 43"})
    small = fields.Boolean(required=True, metadata={"description": "average daily attendance under 600"})
    version = fields.Integer(required=True)


class DistrictArgsSchema(PageArgsSchema):
    state = fields.String(load_default=None, validate=validate.Length(equal=2))
    rural = fields.Boolean(load_default=None)
    small = fields.Boolean(load_default=None)


class ThresholdsInSchema(Schema):
    effective_from = fields.Date(required=True)
    micro_purchase = DecimalString(required=True)
    simplified_acquisition = DecimalString(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Thresholds:
        return Thresholds(**data)


class ThresholdsSchema(Schema):
    effective_from = fields.String(required=True, metadata={"format": "date"})
    micro_purchase = fields.String(required=True, metadata={"format": "decimal"})
    simplified_acquisition = fields.String(required=True, metadata={"format": "decimal"})


class ConsortiumCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lead_district_id = fields.UUID(required=True)
    local_thresholds = fields.Nested(ThresholdsInSchema, load_default=None, allow_none=True)


class MemberSchema(Schema):
    district_id = fields.UUID(required=True)


class MemberOutSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    state = fields.String(required=True)
    rural = fields.Boolean(required=True)
    small = fields.Boolean(required=True)
    enrollment = fields.Integer(required=True)
    average_daily_attendance = fields.Integer(required=True)


class ConsortiumSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    lead_district_id = fields.String(required=True)
    members = fields.List(fields.Nested(MemberOutSchema), required=True)
    totals = fields.Dict(required=True)
    local_thresholds = fields.List(fields.Nested(ThresholdsSchema), required=True)
    thresholds_today = fields.Nested(ThresholdsSchema, required=True)
    version = fields.Integer(required=True)


class ConsortiumSummarySchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    lead_district_id = fields.String(required=True)
    members = fields.Integer(required=True, metadata={"description": "number of member districts"})


class PipelineItemSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    method = fields.String(required=True)
    estimated_value = fields.String(required=True)
    questions_due = fields.String(required=True)
    proposals_due = fields.String(required=True)
    published_at = fields.String(allow_none=True)
    contract_id = fields.String(allow_none=True)


class ConsortiumArgsSchema(PageArgsSchema):
    district_id = fields.UUID(load_default=None)


class ThresholdsArgsSchema(Schema):
    on = fields.Date(load_default=None, metadata={"description": "the day (default today)"})
    consortium_id = fields.UUID(load_default=None)


# Solicitations ------------------------------------------------------------------------------


class SeatsInSchema(Schema):
    district_id = fields.UUID(required=True)
    seats = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SEATS))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Seats:
        return Seats(**data)


class NeedLineInSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    category = fields.Enum(Subject, by_value=True, load_default=None, allow_none=True)
    offering_ids = fields.List(fields.UUID(), load_default=list)
    demand = fields.List(fields.Nested(SeatsInSchema), required=True, validate=validate.Length(min=1))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> NeedLine:
        return NeedLine(
            description=data["description"],
            category=data["category"],
            offering_ids=tuple(data["offering_ids"]),
            demand=tuple(data["demand"]),
        )


class CriterionInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    weight = fields.Integer(required=True, metadata={"description": "1-100; weights sum to 100"})
    is_price = fields.Boolean(load_default=False)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Criterion:
        return Criterion(**data)


class JustificationInSchema(Schema):
    case = fields.Enum(NoncompetitiveCase, by_value=True, required=True)
    explanation = fields.String(required=True, validate=TEXT)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Justification:
        return Justification(**data)


def _spec_fields(required: bool) -> dict[str, fields.Field]:
    return {
        "title": fields.String(required=required, validate=validate.Length(min=1, max=300)),
        "description": fields.String(allow_none=True, validate=validate.Length(max=20000)),
        "lines": fields.List(fields.Nested(NeedLineInSchema), required=required),
        "estimated_value": DecimalString(required=required),
        "method": fields.Enum(ProcurementMethod, by_value=True, allow_none=True),
        "justification": fields.Nested(JustificationInSchema, allow_none=True),
        "criteria": fields.List(fields.Nested(CriterionInSchema)),
        "questions_due": fields.AwareDateTime(required=required),
        "proposals_due": fields.AwareDateTime(required=required),
        "joining_policy": fields.Enum(JoiningPolicy, by_value=True),
        "invited_provider_ids": fields.List(fields.UUID()),
    }


SolicitationCreateSchema = Schema.from_dict(
    {"consortium_id": fields.UUID(required=True), **_spec_fields(required=True)},
    name="SolicitationCreate",
)
SolicitationPatchSchema = Schema.from_dict(_spec_fields(required=False), name="SolicitationPatch")


class AmendmentSchema(Schema):
    rationale = fields.String(required=True, validate=TEXT)
    description = fields.String(allow_none=True, validate=validate.Length(max=20000))
    questions_due = fields.AwareDateTime()
    proposals_due = fields.AwareDateTime()
    criteria = fields.List(fields.Nested(CriterionInSchema))
    lines = fields.List(fields.Nested(NeedLineInSchema))


class QuestionInSchema(Schema):
    text = fields.String(required=True, validate=TEXT)


class AnswerInSchema(Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=10000))


class EvaluatorInSchema(Schema):
    account_id = fields.UUID(required=True)


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=TEXT)


class CancelAwardSchema(ReasonSchema):
    set_aside_winner = fields.Boolean(
        load_default=False,
        metadata={
            "description": "the winner would not sign or could not perform: its proposal is set "
            "aside, and the next award goes to the next-ranked responsive proposal (without it, "
            "the award is corrected by awarding the same proposal again)"
        },
    )


class OptionalReasonSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class NonresponsiveSchema(Schema):
    proposal_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=TEXT)


class RejectionInSchema(Schema):
    proposal_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=TEXT)


class AwardInSchema(Schema):
    proposal_id = fields.UUID(required=True)
    contract_type = fields.Enum(ContractType, by_value=True, required=True)
    method_rationale = fields.String(required=True, validate=TEXT)
    selection_reason = fields.String(required=True, validate=TEXT)
    rejections = fields.List(fields.Nested(RejectionInSchema), load_default=list)
    price_basis = fields.String(required=True, validate=TEXT)
    cost_price_analysis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    justification = fields.Nested(JustificationInSchema, load_default=None, allow_none=True)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)


def _choice(enum_class: Any, **kwargs: Any) -> fields.String:
    return fields.String(metadata={"enum": enum_values(enum_class)}, **kwargs)


class SolicitationSchema(Schema):
    id = fields.String(required=True)
    consortium_id = fields.String(required=True)
    status = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    method = _choice(ProcurementMethod, required=True)
    required_method = _choice(ProcurementMethod, required=True)
    thresholds = fields.Nested(ThresholdsSchema, required=True)
    justification = fields.Dict(allow_none=True)
    estimated_value = fields.String(required=True, metadata={"format": "decimal"})
    lines = fields.List(fields.Dict(), required=True)
    total_seats = fields.Integer(required=True)
    criteria = fields.List(fields.Dict(), required=True)
    questions_due = fields.String(required=True, metadata={"format": "date-time"})
    proposals_due = fields.String(required=True, metadata={"format": "date-time"})
    joining_policy = _choice(JoiningPolicy, required=True)
    invited_provider_ids = fields.List(fields.String(), required=True)
    published_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    amendments = fields.Integer(required=True)
    questions = fields.List(fields.Dict(), required=True)
    evaluator_ids = fields.List(fields.String(), required=True)
    opened_proposals = fields.Integer(
        allow_none=True, metadata={"description": "null until the deadline: proposals are sealed"}
    )
    nonresponsive = fields.List(fields.Dict(), allow_none=True)
    ranking = fields.List(fields.Dict(), allow_none=True)
    contract_id = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    timeline = fields.List(fields.Dict(), required=True)


class BoardItemSchema(Schema):
    id = fields.String(required=True)
    consortium = fields.Dict(required=True)
    title = fields.String(required=True)
    method = fields.String(required=True)
    estimated_value = fields.String(required=True)
    questions_due = fields.String(required=True)
    proposals_due = fields.String(required=True)
    published_at = fields.String(allow_none=True)
    amendments = fields.Integer(required=True)
    question_count = fields.Integer(required=True)


# Proposals and evaluation -------------------------------------------------------------------


class ProposalInSchema(Schema):
    offering_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=20))
    pricing = fields.Nested(PricingInSchema, required=True)
    narrative = fields.String(required=True, validate=validate.Length(min=1, max=50000))


class ProposalPatchSchema(Schema):
    offering_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=20))
    pricing = fields.Nested(PricingInSchema)
    narrative = fields.String(validate=validate.Length(min=1, max=50000))


class ProposalSchema(Schema):
    id = fields.String(required=True)
    solicitation_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["submitted", "withdrawn"]})
    offering_ids = fields.List(fields.String(), required=True)
    pricing = fields.Dict(required=True)
    narrative = fields.String(required=True)
    withdrawal_reason = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    submitted_at = fields.String(required=True)
    updated_at = fields.String(required=True)


DATE_TIME = {"format": "date-time"}


class MyProposalSchema(Schema):
    """A provider's proposal as its own list shows it, beside the solicitation it answers."""

    id = fields.String(required=True)
    solicitation_id = fields.String(required=True)
    solicitation_title = fields.String(required=True)
    solicitation_status = fields.String(required=True)
    proposals_due = fields.String(required=True, metadata=DATE_TIME)
    status = fields.String(required=True, metadata={"enum": ["submitted", "withdrawn"]})
    submitted_at = fields.String(required=True, metadata=DATE_TIME)
    updated_at = fields.String(required=True, metadata=DATE_TIME)


class AttestationInSchema(Schema):
    statement = fields.String(
        required=True,
        validate=TEXT,
        metadata={
            "description": "at least 20 characters",
            "example": "I have no financial or personal interest in any offeror.",
        },
    )


class ScoreInSchema(Schema):
    criterion = fields.String(required=True)
    points = DecimalString(required=True, metadata={"description": "0 to 100"})

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Score:
        return Score(**data)


class ScoringInSchema(Schema):
    proposal_id = fields.UUID(required=True)
    scores = fields.List(fields.Nested(ScoreInSchema), required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))


class OfferorSchema(Schema):
    provider_id = fields.String(required=True)
    legal_name = fields.String(required=True)


class EvaluationSchema(Schema):
    id = fields.String(required=True)
    solicitation_id = fields.String(required=True)
    evaluator_id = fields.String(required=True)
    statement = fields.String(required=True)
    offerors = fields.List(
        fields.Nested(OfferorSchema),
        required=True,
        allow_none=True,
        metadata={
            "description": "the providers of the opened proposals the evaluator attested about "
            "(null on an attestation recorded before offerors were)"
        },
    )
    scores = fields.Dict(required=True)
    version = fields.Integer(required=True)


# Contracts ----------------------------------------------------------------------------------


class ContractPrivacySchema(Schema):
    """A party district's privacy status today (PRODUCT rule 11)."""

    district_id = fields.String(required=True)
    state = fields.String(required=True)
    covered = fields.Boolean(
        required=True,
        metadata={"description": "a signed privacy agreement of the provider covers it today"},
    )
    agreement_id = fields.String(allow_none=True, metadata={"description": "the covering agreement"})
    flagged = fields.Boolean(required=True, metadata={"description": "not covered"})
    student_data_access = fields.String(
        required=True,
        metadata={
            "enum": ["granted", "not_granted", "suspended"],
            "description": "suspended: granted once, but no agreement covers the district today",
        },
    )


class ContractSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    solicitation_id = fields.String(allow_none=True)
    consortium_id = fields.String(allow_none=True)
    lead_district_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    proposal_id = fields.String(allow_none=True)
    offering_ids = fields.List(fields.String(), required=True)
    award = fields.Dict(required=True, metadata={"description": "the award record (2 CFR 200.318(i))"})
    contract_type = fields.String(required=True)
    term_start = fields.String(required=True)
    term_end = fields.String(required=True)
    list_unit_price = fields.String(required=True)
    unit_price = fields.String(required=True)
    total_value = fields.String(required=True)
    cost_price_analysis = fields.String(
        allow_none=True,
        metadata={
            "description": "the cost or price analysis behind the value as it stands (rule 8): "
            "the award's (also in award), or the latest an amendment recorded"
        },
    )
    saving_against_list = fields.String(required=True)
    allocations = fields.List(fields.Dict(), required=True)
    joining_policy = fields.String(required=True)
    signatory = fields.String(allow_none=True)
    signed_at = fields.String(allow_none=True)
    end_reason = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    awarded_at = fields.String(required=True)
    privacy = fields.List(fields.Nested(ContractPrivacySchema), required=True)


class RegisterProviderSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)


class RegisterPartySchema(Schema):
    district_id = fields.String(required=True)
    name = fields.String(required=True)
    seats = fields.Integer(required=True)
    amount = DecimalString(required=True)
    joined_at = fields.String(required=True, metadata=DATE_TIME)


class RegisterItemSchema(Schema):
    """A contract as the register lists it, with the districts party to it."""

    id = fields.String(required=True)
    solicitation_id = fields.String(required=True, allow_none=True)
    consortium_id = fields.String(required=True, allow_none=True)
    lead_district_id = fields.String(required=True)
    provider = fields.Nested(RegisterProviderSchema, required=True)
    method = fields.String(required=True)
    contract_type = fields.String(required=True)
    status = fields.String(required=True)
    list_unit_price = DecimalString(required=True)
    unit_price = DecimalString(required=True)
    total_value = DecimalString(required=True)
    term_start = fields.String(required=True, metadata={"format": "date"})
    term_end = fields.String(required=True, metadata={"format": "date"})
    awarded_at = fields.String(required=True, metadata=DATE_TIME)
    signed_at = fields.String(required=True, allow_none=True, metadata=DATE_TIME)
    version = fields.Integer(required=True)
    parties = fields.List(fields.Nested(RegisterPartySchema), required=True)


class SignInSchema(Schema):
    signatory = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ContractAmendInSchema(Schema):
    rationale = fields.String(required=True, validate=TEXT)
    unit_price = DecimalString(load_default=None)
    term_end = fields.Date(load_default=None)
    cost_price_analysis = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20000),
        metadata={
            "description": "Required when a new unit price raises the contract's value above the "
            "simplified acquisition threshold it was awarded under; may be recorded alone."
        },
    )


class RenewInSchema(Schema):
    term_end = fields.Date(required=True)
    rationale = fields.String(required=True, validate=TEXT)


class JoinInSchema(Schema):
    district_id = fields.UUID(required=True)
    seats = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SEATS))
    offering_id = fields.UUID(required=True)


class DirectPurchaseInSchema(Schema):
    offering_id = fields.UUID(required=True)
    consortium_id = fields.UUID(load_default=None, allow_none=True)
    demand = fields.List(fields.Nested(SeatsInSchema), required=True, validate=validate.Length(min=1))
    price_reasonableness = fields.String(required=True, validate=TEXT)
    contract_type = fields.Enum(ContractType, by_value=True, load_default=ContractType.FIXED_UNIT_PRICE)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)


class ContractArgsSchema(PageArgsSchema):
    consortium_id = fields.UUID(load_default=None)
    district_id = fields.UUID(load_default=None)
    provider_id = fields.UUID(load_default=None)
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(["awaiting_signature", "active", "terminated", "cancelled"]),
    )
