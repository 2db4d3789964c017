"""Offering input (typed, into the domain) and output (the plain document every view returns)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from events.types import (
    Delivery,
    Evidence,
    GradeBand,
    Interoperability,
    ModelType,
    PriceUnit,
    Pricing,
    Subject,
    VolumeTier,
)
from marketplace.web.schemas.common import DecimalString, PageArgsSchema, enum_values, page_of

# Input ----------------------------------------------------------------------------------------


class VolumeTierInSchema(Schema):
    min_quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=10_000_000)
    )
    unit_price = DecimalString(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> VolumeTier:
        return VolumeTier(**data)


class PricingInSchema(Schema):
    unit = fields.Enum(PriceUnit, by_value=True, required=True)
    list_price = DecimalString(required=True)
    currency = fields.String(load_default="USD", validate=validate.OneOf(["USD"]))
    volume_tiers = fields.List(fields.Nested(VolumeTierInSchema), load_default=list)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Pricing:
        return Pricing(
            unit=data["unit"],
            list_price=data["list_price"],
            currency=data["currency"],
            volume_tiers=tuple(data["volume_tiers"]),
        )


class EvidenceInSchema(Schema):
    tier = fields.Integer(
        required=True, strict=True, metadata={"description": "ESSA evidence tier, 1 (strong) to 4"}
    )
    study_url = fields.URL(required=True, schemes={"http", "https"})
    study_date = fields.Date(required=True)
    study_title = fields.String(load_default=None, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Evidence:
        return Evidence(**data)


def _details_fields(required_title: bool) -> dict[str, fields.Field]:
    text = {"allow_none": True}
    return {
        "title": fields.String(required=required_title, validate=validate.Length(min=1, max=200)),
        "summary": fields.String(validate=validate.Length(max=500), **text),
        "description": fields.String(validate=validate.Length(max=20000), **text),
        "model_type": fields.Enum(ModelType, by_value=True, allow_none=True),
        "subjects": fields.List(fields.Enum(Subject, by_value=True), validate=validate.Length(max=20)),
        "grade_bands": fields.List(fields.Enum(GradeBand, by_value=True)),
        "delivery": fields.Enum(Delivery, by_value=True, allow_none=True),
        "interoperability": fields.List(fields.Enum(Interoperability, by_value=True)),
        "pricing": fields.Nested(PricingInSchema, allow_none=True),
        "evidence": fields.Nested(
            EvidenceInSchema,
            allow_none=True,
            metadata={"description": "null: no evidence claimed"},
        ),
    }


OfferingDraftSchema = Schema.from_dict(_details_fields(required_title=True), name="OfferingDraft")
OfferingPatchSchema = Schema.from_dict(_details_fields(required_title=False), name="OfferingPatch")


class WithdrawSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


# Output ---------------------------------------------------------------------------------------


def _choice(enum_class: Any, **kwargs: Any) -> fields.String:
    return fields.String(metadata={"enum": enum_values(enum_class)}, **kwargs)


class VolumeTierSchema(Schema):
    min_quantity = fields.Integer(required=True)
    unit_price = fields.String(required=True, metadata={"format": "decimal"})


class PricingSchema(Schema):
    unit = _choice(PriceUnit, required=True)
    list_price = fields.String(required=True, metadata={"format": "decimal"})
    currency = fields.String(required=True)
    volume_tiers = fields.List(fields.Nested(VolumeTierSchema), required=True)


class EvidenceSchema(Schema):
    tier = fields.Integer(required=True)
    study_url = fields.String(required=True)
    study_date = fields.String(required=True, metadata={"format": "date"})
    study_title = fields.String(allow_none=True)


class ProviderRefSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class OfferingSchema(Schema):
    id = fields.String(required=True)
    provider = fields.Nested(ProviderRefSchema, required=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "published", "withdrawn"]})
    version = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    published_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    withdrawn_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    withdrawal_reason = fields.String(allow_none=True)
    title = fields.String(required=True)
    summary = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    model_type = _choice(ModelType, allow_none=True)
    subjects = fields.List(_choice(Subject), required=True)
    grade_bands = fields.List(_choice(GradeBand), required=True)
    delivery = _choice(Delivery, allow_none=True)
    interoperability = fields.List(_choice(Interoperability), required=True)
    pricing = fields.Nested(PricingSchema, allow_none=True)
    evidence = fields.Nested(EvidenceSchema, allow_none=True)
    designations = fields.List(
        fields.Nested("DesignationLabelSchema"),
        metadata={
            "description": "Informational labels issued by authorities (active, upcoming, expired "
            "or revoked); they never filter, rank or block anything."
        },
    )


class OfferingCardSchema(OfferingSchema):
    class Meta:
        exclude = ("description",)


OfferingPageSchema = page_of(OfferingSchema, "OfferingPage")


class ProviderOfferingsArgsSchema(PageArgsSchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["draft", "published", "withdrawn"])
    )


class HistoryEntrySchema(Schema):
    version = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"example": "Published"})
    at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(required=True, metadata={"description": "account id, or 'operator'"})
    position = fields.Integer(required=True)
    changes = fields.Dict(required=True)


HistoryPageSchema = page_of(HistoryEntrySchema, "HistoryPage")
