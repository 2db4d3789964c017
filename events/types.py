"""Value types carried inside stored events.

These are part of the stored contract: their encoded form is in the event log. They hold no
rules (the domain checks values before recording them), so an old event always decodes even after
a rule changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID


class Role(Enum):
    ADMIN = "admin"
    PROVIDER = "provider"
    BUYER = "buyer"
    EVALUATOR = "evaluator"
    AUTHORITY = "authority"


class ModelType(Enum):
    WHOLE_SCHOOL = "whole_school"
    COURSE = "course"
    TOOL = "tool"
    SERVICE = "service"


class Subject(Enum):
    MATH = "math"
    ELA = "ela"
    SCIENCE = "science"
    SOCIAL_STUDIES = "social_studies"
    WORLD_LANGUAGES = "world_languages"
    ARTS = "arts"
    COMPUTER_SCIENCE = "computer_science"
    CAREER_TECHNICAL = "career_technical"
    SOCIAL_EMOTIONAL = "social_emotional"
    HEALTH_PE = "health_pe"
    SPECIAL_EDUCATION = "special_education"
    ENGLISH_LEARNERS = "english_learners"


class GradeBand(Enum):
    PRE_K = "pre_k"
    K_2 = "k_2"
    GRADES_3_5 = "3_5"
    GRADES_6_8 = "6_8"
    GRADES_9_12 = "9_12"
    ADULT = "adult"


class Delivery(Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    BLENDED = "blended"


class Interoperability(Enum):
    LTI_1_3 = "lti_1_3"
    ONEROSTER = "oneroster"
    ED_FI = "ed_fi"
    QTI = "qti"
    CALIPER = "caliper"
    COMMON_CARTRIDGE = "common_cartridge"


class PriceUnit(Enum):
    PER_STUDENT_PER_YEAR = "per_student_per_year"
    PER_TEACHER_PER_YEAR = "per_teacher_per_year"
    PER_SCHOOL_PER_YEAR = "per_school_per_year"
    PER_DISTRICT_PER_YEAR = "per_district_per_year"
    ONE_TIME = "one_time"


@dataclass(frozen=True)
class OrganizationIdentifier:
    """An organization identifier as a scheme and an id (e.g. ``US-EIN`` and ``12-3456789``)."""

    scheme: str
    id: str


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class VolumeTier:
    """From ``min_quantity`` units on, each unit costs ``unit_price``."""

    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Pricing:
    unit: PriceUnit
    list_price: Decimal
    currency: str = "USD"
    volume_tiers: tuple[VolumeTier, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Evidence:
    """A claimed ESSA evidence tier (1 strongest, 4 weakest) and the dated study behind it."""

    tier: int
    study_url: str
    study_date: date
    study_title: str | None = None


# Procurement ----------------------------------------------------------------------------------


class ProcurementMethod(Enum):
    DIRECT_PURCHASE = "direct_purchase"
    REQUEST_FOR_QUOTES = "request_for_quotes"
    COMPETITIVE_PROPOSALS = "competitive_proposals"
    SEALED_BIDS = "sealed_bids"
    NONCOMPETITIVE = "noncompetitive"


class NoncompetitiveCase(Enum):
    """The cases 2 CFR 200.320(c) allows for a noncompetitive procurement."""

    MICRO_PURCHASE = "micro_purchase"
    SINGLE_SOURCE = "single_source"
    EMERGENCY = "emergency"
    AGENCY_APPROVAL = "agency_approval"
    INADEQUATE_COMPETITION = "inadequate_competition"


class JoiningPolicy(Enum):
    """Who may join the resulting contract later, without a new solicitation."""

    NONE = "none"
    CONSORTIUM_MEMBERS = "consortium_members"
    ANY_DISTRICT = "any_district"


class ContractType(Enum):
    FIRM_FIXED_PRICE = "firm_fixed_price"
    FIXED_UNIT_PRICE = "fixed_unit_price"
    TIME_AND_MATERIALS = "time_and_materials"


@dataclass(frozen=True)
class Thresholds:
    """Purchase thresholds in USD in force from ``effective_from``."""

    effective_from: date
    micro_purchase: Decimal
    simplified_acquisition: Decimal


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: int
    is_price: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Seats:
    """A member district's demand (or allocation) in seats."""

    district_id: UUID
    seats: int


@dataclass(frozen=True)
class NeedLine:
    """One line of a solicitation's need: a category or named catalog offerings, with demand."""

    description: str
    category: Subject | None
    offering_ids: tuple[UUID, ...]
    demand: tuple[Seats, ...]


@dataclass(frozen=True)
class Justification:
    """Why a noncompetitive procurement (or award) is allowed: an allowed case and its facts."""

    case: NoncompetitiveCase
    explanation: str


@dataclass(frozen=True)
class Score:
    criterion: str
    points: Decimal


@dataclass(frozen=True)
class Offeror:
    """A provider whose proposal was opened, with its legal name as the evaluator was shown it."""

    provider_id: UUID
    legal_name: str


@dataclass(frozen=True)
class CostShare:
    """A member district's allocation on a contract and what it pays."""

    district_id: UUID
    seats: int
    unit_price: Decimal
    amount: Decimal


# Outcomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How a district used an offering in a school year; every figure is optional."""

    average_minutes_per_week: int | None = None
    sessions: int | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ReportedResult:
    """One result a district measured: the measure, its baseline (if any), the result, and how it
    was measured. Different measures are never averaged together."""

    measure: str
    baseline: Decimal | None
    result: Decimal
    method: str


# Trust signals --------------------------------------------------------------------------------


class PrivacyScope(Enum):
    """What a signed data privacy agreement covers: every district of a state, or one district."""

    STATE = "state"
    DISTRICT = "district"


class PrivacyAgreementKind(Enum):
    NATIONAL_DPA = "national_dpa"  # the Student Data Privacy Consortium's National DPA
    STATE_MODEL = "state_model"  # a state's model agreement, for every district of the state
    DISTRICT_TERMS = "district_terms"  # a district's own signed terms
    ADOPTION = "adoption"  # a district adopts the terms another district signed


@dataclass(frozen=True)
class PrivacyAgreement:
    """A data privacy agreement a provider signed; covers through ``expires_on`` when given."""

    id: UUID
    scope: PrivacyScope
    state: str | None
    district_id: UUID | None
    kind: PrivacyAgreementKind
    adopted_from_district_id: UUID | None
    signed_on: date
    expires_on: date | None
    document_url: str
