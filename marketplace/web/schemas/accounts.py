from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.types import Role


class AccountCreateSchema(Schema):
    role = fields.Enum(Role, by_value=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organization_id = fields.UUID(load_default=None, allow_none=True)


class AccountSchema(Schema):
    id = fields.UUID(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    name = fields.String(required=True)
    organization_id = fields.UUID(allow_none=True)


class NewAccountSchema(AccountSchema):
    token = fields.String(
        allow_none=True,
        metadata={
            "description": "The bearer token, shown only in the response that created it "
            "(null on an idempotent replay: it is never stored)."
        },
    )
