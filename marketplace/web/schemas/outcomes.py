"""Outcome report input (typed values into the domain) and output; report cards."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from events.types import ReportedResult, Usage
from marketplace.domain.errors import InvalidValue
from marketplace.domain.outcomes import MAX_SESSIONS, MINUTES_IN_A_WEEK, SchoolYear
from marketplace.web.schemas.common import PageArgsSchema, page_of
from marketplace.web.schemas.trust import DesignationLabelSchema

SCHOOL_YEAR_EXAMPLE = {"example": "2026-27", "description": "a school year, July 1 to June 30"}


def _measurement(**kwargs: Any) -> fields.Decimal:
    """A measured value: a JSON number or a decimal string, kept exact; written back as a string."""
    return fields.Decimal(
        as_string=True,
        allow_nan=False,
        metadata={"type": "string", "format": "decimal", "example": "38.5"},
        **kwargs,
    )


def _school_year(value: str) -> None:
    try:
        SchoolYear.parse(value)
    except InvalidValue as error:
        raise ValidationError(error.fields["school_year"]) from None


# Input ----------------------------------------------------------------------------------------


class UsageInSchema(Schema):
    average_minutes_per_week = fields.Integer(
        load_default=None, allow_none=True, strict=True,
        metadata={"description": f"average minutes of use per student per week, 0 to {MINUTES_IN_A_WEEK}"},
    )
    sessions = fields.Integer(
        load_default=None, allow_none=True, strict=True,
        metadata={"description": f"sessions delivered in the school year, 0 to {MAX_SESSIONS}"},
    )
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Usage:
        return Usage(**data)


class ResultInSchema(Schema):
    measure = fields.String(
        required=True, validate=validate.Length(max=200),
        metadata={"example": "Students proficient on the state grade 6-8 math test (%)"},
    )
    baseline = _measurement(load_default=None, allow_none=True)
    result = _measurement(required=True)
    method = fields.String(
        required=True, validate=validate.Length(max=1000),
        metadata={"example": "State assessment, spring 2026 against spring 2025, same grades"},
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> ReportedResult:
        return ReportedResult(data["measure"], data["baseline"], data["result"], data["method"])


class OutcomeReportInSchema(Schema):
    district_id = fields.UUID(required=True, metadata={"description": "the reporting party district"})
    school_year = fields.String(required=True, validate=_school_year, metadata=SCHOOL_YEAR_EXAMPLE)
    offering_ids = fields.List(
        fields.UUID(), load_default=None, allow_none=True,
        metadata={"description": "the contract's offerings used; all of them when left out"},
    )
    students_served = fields.Integer(required=True, strict=True)
    usage = fields.Nested(UsageInSchema, load_default=None, allow_none=True)
    results = fields.List(fields.Nested(ResultInSchema), load_default=list)
    satisfaction = fields.Integer(
        load_default=None, allow_none=True, strict=True, metadata={"description": "1 (low) to 5 (high)"}
    )
    renewing = fields.Boolean(required=True, metadata={"description": "whether the district renews"})


class OutcomeReportPatchSchema(Schema):
    """Only the fields given change; ``reason`` says why (kept in the report's history)."""

    reason = fields.String(required=True, validate=validate.Length(max=5000))
    offering_ids = fields.List(fields.UUID())
    students_served = fields.Integer(strict=True)
    usage = fields.Nested(UsageInSchema, allow_none=True)
    results = fields.List(fields.Nested(ResultInSchema))
    satisfaction = fields.Integer(allow_none=True, strict=True)
    renewing = fields.Boolean()


class ReportCardArgsSchema(PageArgsSchema):
    year = fields.String(load_default=None, validate=_school_year, metadata=SCHOOL_YEAR_EXAMPLE)


class OfferingReportCardArgsSchema(Schema):
    year = fields.String(
        load_default=None,
        validate=_school_year,
        metadata={
            **SCHOOL_YEAR_EXAMPLE,
            "description": "default: the latest year with reports, else the current school year",
        },
    )


# Output ---------------------------------------------------------------------------------------


class UsageSchema(Schema):
    average_minutes_per_week = fields.Integer(allow_none=True)
    sessions = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)


class ResultSchema(Schema):
    measure = fields.String(required=True)
    baseline = fields.String(allow_none=True, metadata={"format": "decimal"})
    result = fields.String(required=True, metadata={"format": "decimal"})
    method = fields.String(required=True)


class RevisionSchema(Schema):
    version = fields.Integer(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(required=True)
    reason = fields.String(required=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields", required=True)


class OutcomeReportSchema(Schema):
    id = fields.String(required=True)
    contract_id = fields.String(required=True)
    district_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    offering_ids = fields.List(fields.String(), required=True)
    school_year = fields.String(required=True)
    rural = fields.Boolean(required=True)
    small = fields.Boolean(required=True)
    seats = fields.Integer(required=True, metadata={"description": "the district's seats on the contract"})
    students_served = fields.Integer(required=True)
    usage = fields.Nested(UsageSchema, allow_none=True)
    results = fields.List(fields.Nested(ResultSchema), required=True)
    satisfaction = fields.Integer(allow_none=True)
    renewing = fields.Boolean(required=True)
    reported_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    version = fields.Integer(required=True)
    revisions = fields.List(fields.Nested(RevisionSchema), required=True)


class _Ref(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class CardOfferingSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    provider = fields.Nested(_Ref, required=True)


class CardDistrictSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)
    rural = fields.Boolean(required=True)
    small = fields.Boolean(required=True)


class ClaimedEvidenceSchema(Schema):
    tier = fields.Integer(required=True, metadata={"description": "ESSA tier claimed, 1 to 4"})
    study_url = fields.String(required=True)
    study_date = fields.String(required=True, metadata={"format": "date"})
    study_title = fields.String(allow_none=True)


class DistrictCountsSchema(Schema):
    n = fields.Integer(required=True)
    rural = fields.Integer(required=True)
    small = fields.Integer(required=True)


class ServedSchema(DistrictCountsSchema):
    contracts = fields.Integer(required=True)
    basis = fields.String(required=True)


class RuralShareSchema(Schema):
    n = fields.Integer(required=True)
    rural = fields.Integer(required=True)
    ratio = fields.Float(allow_none=True, metadata={"description": "rural / n; null when n is 0"})


class RenewalsSchema(Schema):
    n = fields.Integer(required=True)
    renewing = fields.Integer(required=True)
    ratio = fields.Float(allow_none=True)


class StudentsServedSchema(Schema):
    n = fields.Integer(required=True)
    total = fields.Integer(required=True)
    seats = fields.Integer(required=True)


class SatisfactionSchema(Schema):
    n = fields.Integer(required=True)
    not_reported = fields.Integer(required=True)
    distribution = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True,
        metadata={"description": "districts per level, '1' to '5'"},
    )


class ResultItemSchema(Schema):
    report_id = fields.String(required=True)
    district = fields.Nested(CardDistrictSchema, required=True)
    baseline = fields.String(allow_none=True, metadata={"format": "decimal"})
    result = fields.String(required=True, metadata={"format": "decimal"})
    change = fields.String(allow_none=True, metadata={"format": "decimal"})
    method = fields.String(required=True)


class MeasureSchema(Schema):
    measure = fields.String(required=True)
    n = fields.Integer(required=True)
    items = fields.List(fields.Nested(ResultItemSchema), required=True)


class ResultsSchema(Schema):
    n = fields.Integer(required=True)
    districts = fields.Integer(required=True)
    measures = fields.List(fields.Nested(MeasureSchema), required=True)


class CardReportSchema(Schema):
    id = fields.String(required=True)
    contract_id = fields.String(required=True)
    district = fields.Nested(CardDistrictSchema, required=True)
    seats = fields.Integer(required=True)
    students_served = fields.Integer(required=True)
    usage = fields.Nested(UsageSchema, allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    renewing = fields.Boolean(required=True)
    results = fields.Integer(required=True, metadata={"description": "number of results reported"})
    reported_at = fields.String(required=True, metadata={"format": "date-time"})
    version = fields.Integer(required=True)


class ReportCardSchema(Schema):
    offering = fields.Nested(CardOfferingSchema, required=True)
    school_year = fields.String(required=True)
    n = fields.Integer(required=True, metadata={"description": "districts reporting"})
    small_sample = fields.Boolean(
        required=True, metadata={"description": "fewer than 5 districts reported: read with care"}
    )
    claimed_evidence = fields.Nested(ClaimedEvidenceSchema, allow_none=True)
    designations = fields.List(
        fields.Nested(DesignationLabelSchema),
        required=True,
        metadata={
            "description": "the offering's designations with their status on the day: labels "
            "beside the outcomes, never part of any figure"
        },
    )
    districts_reporting = fields.Nested(DistrictCountsSchema, required=True)
    districts_served = fields.Nested(ServedSchema, required=True)
    rural_share = fields.Dict(
        keys=fields.String(), values=fields.Nested(RuralShareSchema), required=True,
        metadata={"description": "among districts reporting and districts served"},
    )
    renewals = fields.Nested(RenewalsSchema, required=True)
    students_served = fields.Nested(StudentsServedSchema, required=True)
    satisfaction = fields.Nested(SatisfactionSchema, required=True)
    results = fields.Nested(ResultsSchema, required=True)
    reports = fields.List(fields.Nested(CardReportSchema), required=True)


class OfferingReportCardSchema(ReportCardSchema):
    years_reported = fields.List(fields.String(), required=True)


ReportCardPageSchema = page_of(ReportCardSchema, "ReportCardPage")
