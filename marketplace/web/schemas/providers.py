from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from events.types import Contact, OrganizationIdentifier


class IdentifierSchema(Schema):
    scheme = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": "US-EIN", "description": "org-id.guide scheme code"},
    )
    id = fields.String(required=True, validate=validate.Length(min=1, max=100))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> OrganizationIdentifier:
        return OrganizationIdentifier(**data)


class ContactSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Contact:
        return Contact(**data)


class ProviderCreateSchema(Schema):
    legal_name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    identifier = fields.Nested(IdentifierSchema, required=True)
    website = fields.URL(load_default=None, allow_none=True, schemes={"http", "https"})
    contact = fields.Nested(ContactSchema, required=True)


class ProviderSchema(Schema):
    id = fields.String(required=True)
    legal_name = fields.String(required=True)
    identifier = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    website = fields.String(allow_none=True)
    contact = fields.Dict(required=True)
    registered_at = fields.String(required=True)
    version = fields.Integer(required=True)


class ProviderQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
