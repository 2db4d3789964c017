"""Schemas shared by every resource: decimal strings, paging, the error envelope."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 100


class DecimalString(fields.Field):
    """Money as a decimal string ("1250.00"): exact, never a binary float."""

    default_error_messages = {"invalid": 'must be a decimal number written as a string, e.g. "12.50"'}

    def __init__(self, **kwargs: Any):
        metadata = {"type": "string", "format": "decimal", "example": "12.50"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not number.is_finite():
            raise self.make_error("invalid")
        return number

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class ErrorSchema(Schema):
    """The error envelope every 4xx and 5xx answers with (``marketplace.web.errors.envelope``,
    and gunicorn's own refusals through ``marketplace.gunicorn_conf``)."""

    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    error = fields.String(
        required=True, metadata={"description": "The status's reason phrase, e.g. Not Found."}
    )
    message = fields.String(required=True, metadata={"description": "What went wrong, in words."})
    errors = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "description": (
                "Each offending field by location (json, query, headers), with its messages; "
                "{} when no field is at fault."
            ),
            "example": {"json": {"title": ["Missing data for required field."]}},
        },
    )


class AsOfArgsSchema(Schema):
    as_of = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "Read the resource as it stood at this time (ISO 8601 with zone)."},
    )


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


def page_of(item: type[Schema] | Schema, name: str) -> type[Schema]:
    """A page schema: ``items``, ``total``, ``page``, ``per_page``; every list pages this way."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item), required=True)})


class ErrorSchema(Schema):
    status = fields.Integer(required=True)
    error = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "field errors by location (json, query, headers)"})


def enum_values(enum_class: Any) -> list[str]:
    return [member.value for member in enum_class]


def one_of(enum_class: Any) -> validate.OneOf:
    return validate.OneOf(enum_values(enum_class))


