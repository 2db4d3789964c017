from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.types import Role
from marketplace.domain.accounts import CredentialStatus
from marketplace.web.schemas.common import enum_values, page_of


class AccountCreateSchema(Schema):
    role = fields.Enum(Role, by_value=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organization_id = fields.UUID(load_default=None, allow_none=True)


class AccountSchema(Schema):
    id = fields.UUID(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    name = fields.String(required=True)
    organization_id = fields.UUID(allow_none=True)


def _token_shown_once(made: str) -> fields.String:
    return fields.String(
        allow_none=True,
        metadata={
            "description": f"The bearer token, shown only in the response that {made} it "
            "(null on an idempotent replay: it is never stored)."
        },
    )


class NewAccountSchema(AccountSchema):
    token = _token_shown_once("created")


class CredentialSchema(Schema):
    """A bearer token's record: never the token, nor its hash."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    account_id = fields.String(required=True, metadata={"format": "uuid"})
    status = fields.String(required=True, metadata={"enum": enum_values(CredentialStatus)})
    issued_at = fields.String(required=True, metadata={"format": "date-time"})
    issued_by = fields.String(
        required=True, metadata={"description": "the account id that issued it, or 'operator'"}
    )
    revoked_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    revoked_by = fields.String(
        allow_none=True, metadata={"description": "the account id that revoked it, or 'operator'"}
    )
    revocation_reason = fields.String(allow_none=True)


class NewCredentialSchema(CredentialSchema):
    token = _token_shown_once("issued")


CredentialPageSchema = page_of(CredentialSchema, "CredentialPage")


class CredentialsRevokedSchema(Schema):
    account_id = fields.String(required=True, metadata={"format": "uuid"})
    revoked = fields.Integer(required=True, metadata={"description": "how many were revoked"})
    credential_ids = fields.List(
        fields.String(metadata={"format": "uuid"}),
        required=True,
        metadata={"description": "the credentials revoked, newest first"},
    )
