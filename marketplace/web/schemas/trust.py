"""Trust-signal schemas: designations (labels on offerings) and data privacy agreements."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.types import PrivacyAgreementKind, PrivacyScope
from marketplace.web.schemas.common import enum_values, page_of

STATUSES = ["upcoming", "active", "expired", "revoked"]

# Designations -----------------------------------------------------------------------------------


class DesignationInSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Montana Approved Personalized Learning Model"},
    )
    issuer = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the authority named on the label", "example": "Montana OPI"},
    )
    criteria_url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "http(s) URL of the published criteria"},
    )
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class RevocationInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DesignationLabelSchema(Schema):
    """A designation as shown on an offering: a label, never a filter or a rank."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    issuer = fields.String(required=True)
    criteria_url = fields.String(required=True)
    valid_from = fields.String(required=True, metadata={"format": "date"})
    valid_until = fields.String(allow_none=True, metadata={"format": "date"})
    status = fields.String(required=True, metadata={"enum": STATUSES})
    issued_at = fields.String(required=True, metadata={"format": "date-time"})
    revoked_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    revocation_reason = fields.String(allow_none=True)


class DesignationSchema(DesignationLabelSchema):
    offering_id = fields.String(required=True)


DesignationPageSchema = page_of(DesignationSchema, "DesignationPage")

# Data privacy agreements ------------------------------------------------------------------------


class PrivacyAgreementInSchema(Schema):
    scope = fields.Enum(PrivacyScope, by_value=True, required=True)
    kind = fields.Enum(PrivacyAgreementKind, by_value=True, required=True)
    state = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(equal=2),
        metadata={"description": "with scope state: the state covered", "example": "MT"},
    )
    district_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "with scope district"}
    )
    adopted_from_district_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "with kind adoption: the district whose signed terms are adopted; the "
            "provider needs a district agreement with it in force on signed_on"
        },
    )
    signed_on = fields.Date(required=True)
    expires_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the last day covered; an adoption ends with the terms it adopts, "
            "which it takes when none is given"
        },
    )
    document_url = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PrivacyAgreementSchema(Schema):
    id = fields.String(required=True)
    provider_id = fields.String(required=True)
    scope = fields.String(required=True, metadata={"enum": enum_values(PrivacyScope)})
    state = fields.String(allow_none=True)
    district_id = fields.String(allow_none=True)
    kind = fields.String(required=True, metadata={"enum": enum_values(PrivacyAgreementKind)})
    adopted_from_district_id = fields.String(allow_none=True)
    signed_on = fields.String(required=True, metadata={"format": "date"})
    expires_on = fields.String(allow_none=True, metadata={"format": "date"})
    document_url = fields.String(required=True)
    in_force = fields.Boolean(required=True, metadata={"description": "covers today"})
    recorded_at = fields.String(required=True, metadata={"format": "date-time"})


PrivacyAgreementPageSchema = page_of(PrivacyAgreementSchema, "PrivacyAgreementPage")


class PrivacySummarySchema(Schema):
    states = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "states covered by the provider's state agreements in force"},
    )
    districts = fields.Integer(
        required=True,
        metadata={"description": "districts covered by its district agreements in force"},
    )


class StudentDataAccessInSchema(Schema):
    district_id = fields.UUID(required=True)
