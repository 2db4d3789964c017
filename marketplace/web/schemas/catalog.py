from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from events.types import Delivery, GradeBand, Interoperability, ModelType, PriceUnit, Subject
from marketplace.domain.offerings import MAX_PRICE
from marketplace.web.schemas.common import DecimalString, PageArgsSchema, one_of
from marketplace.web.schemas.offerings import OfferingCardSchema
from marketplace.web.schemas.trust import DesignationLabelSchema, PrivacySummarySchema
from projections.search import FACETS, MAX_TERMS, SORTS, TRUST_FACETS, too_many_terms

EVIDENCE_TIERS = ["1", "2", "3", "4", "none"]


def _many(validator: validate.Validator, description: str) -> fields.List:
    return fields.List(
        fields.String(validate=validator),
        load_default=list,
        metadata={"description": description + " Repeat the parameter for several values."},
    )


def _at_most_max_terms(q: str) -> None:
    if too_many_terms(q):
        raise ValidationError(
            f"at most {MAX_TERMS} words that narrow the search (common words such as the, for, "
            "with are not counted)"
        )


class CatalogArgsSchema(PageArgsSchema):
    q = fields.String(
        load_default=None,
        validate=[validate.Length(max=200), _at_most_max_terms],
        metadata={
            "description": "Words to find in title, summary, description or provider name; an "
            "offering must hold every word, or a word it begins (orch finds Orchard). Common "
            "English words such as the, for, with narrow nothing."
        },
    )
    subject = _many(one_of(Subject), "Any of these subjects.")
    grade_band = _many(one_of(GradeBand), "Any of these grade bands.")
    model_type = _many(one_of(ModelType), "Any of these model types.")
    delivery = _many(one_of(Delivery), "Any of these delivery modes.")
    interoperability = _many(one_of(Interoperability), "Every one of these standards.")
    evidence_tier = _many(validate.OneOf(EVIDENCE_TIERS), "Any of these ESSA tiers, or none.")
    price_unit = _many(one_of(PriceUnit), "Any of these price units.")
    max_price = DecimalString(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_PRICE),
        metadata={"description": "Highest list price in USD, e.g. 25.00."},
    )
    designation = _many(
        validate.Length(min=1, max=200),
        "Only offerings holding an active designation of any of these names. A designation is a "
        "label: it filters only when named here, and never ranks or sorts.",
    )
    privacy_state = _many(
        validate.Regexp(r"^[A-Z]{2}$", error="must be a two-letter state code in capitals, e.g. MT"),
        "Only offerings whose provider has a signed state data privacy agreement in force for any "
        "of these states.",
    )
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(SORTS),
        metadata={"description": "relevance (default with q), newest (default), price, price_desc, title"},
    )


class FacetCountSchema(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


class CatalogCardSchema(OfferingCardSchema):
    """An offering in the catalog, with its trust signals beside it."""

    designations = fields.List(fields.Nested(DesignationLabelSchema), required=True)
    privacy = fields.Nested(PrivacySummarySchema, required=True)


class CatalogPageSchema(Schema):
    items = fields.List(fields.Nested(CatalogCardSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    sort = fields.String(required=True)
    facets = fields.Dict(
        keys=fields.String(validate=validate.OneOf(FACETS + TRUST_FACETS)),
        values=fields.List(fields.Nested(FacetCountSchema)),
        required=True,
        metadata={
            "description": "designation and privacy_state appear when some offering carries one"
        },
    )
