"""Accounts' bearer tokens: the listing, a new token (rotation), revoking one or all of them.

Only the account itself and admins manage an account's tokens: anybody else is refused (403)
before the account is even looked for, and another account's credential is, to them, as if it did
not exist (404). A token is shown once, in the response that issued it: it is never stored, so an
idempotent replay shows null. A revoked token is refused from its very next request, in any process.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from events.plain import iso_utc
from marketplace.domain.accounts import Credential
from marketplace.web.auth import require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import await_log_head, command
from marketplace.web.reads import reads
from marketplace.web.schemas.accounts import (
    CredentialPageSchema,
    CredentialSchema,
    CredentialsRevokedSchema,
    NewCredentialSchema,
)
from marketplace.web.schemas.common import PageArgsSchema
from marketplace.web.schemas.trust import RevocationInSchema
from marketplace.web.services import marketplace, services
from projections import credential_queries
from projections.credentials import CredentialsProjection

blp = Blueprint(
    "credentials",
    __name__,
    url_prefix="/api/v1",
    description="Accounts' bearer tokens: issue, list, revoke",
)

READS = CredentialsProjection.name
"""The read model that lists an account's credentials."""


def _without_token(credential: Credential) -> dict[str, Any]:
    return {**credential_queries.credential_document(credential), "token": None}


def _revoked(account_id: UUID, credential_ids: list[str]) -> dict[str, Any]:
    return {
        "account_id": str(account_id),
        "revoked": len(credential_ids),
        "credential_ids": credential_ids,
    }


def _revoked_together(first: Credential) -> dict[str, Any]:
    """A replay's answer to revoking all: the credentials revoked with ``first`` (the one the
    receipt names), which are those of its account that the same actor revoked at that moment."""
    await_log_head(READS)
    with services().engines.reader.connect() as conn:
        listed = credential_queries.credentials_of(conn, first.account_id)
    moment = iso_utc(first.revoked_at)
    together = [
        c["id"] for c in listed if c["revoked_at"] == moment and c["revoked_by"] == first.revoked_by
    ]
    return _revoked(first.account_id, together)


@blp.route("/accounts/<uuid:account_id>/credentials")
class AccountCredentials(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, CredentialPageSchema)
    @reads(READS)
    def get(self, args: dict[str, Any], account_id: UUID) -> Any:
        """The account's tokens, live and revoked, newest first, with who issued and who revoked
        each (the account itself, or an admin). Never a token."""
        marketplace().credential_holder(require_account(), account_id)
        with services().engines.reader.connect() as conn:
            return credential_queries.credentials_page(
                conn, account_id, args["page"], args["per_page"]
            )

    @blp.response(201, NewCredentialSchema)
    @command(201, render=_without_token)
    def post(self, account_id: UUID) -> Any:
        """Issue a new token for the account (the account itself, to rotate it, or an admin); the
        response shows it, once. The account's other tokens keep working until revoked."""
        credential, token = marketplace().issue_credential(require_account(), account_id)
        return {**credential_queries.credential_document(credential), "token": token}


@blp.route("/accounts/<uuid:account_id>/credentials/revoke")
class RevokeAccountCredentials(MethodView):
    @blp.arguments(RevocationInSchema)
    @blp.response(200, CredentialsRevokedSchema)
    @command(200, render=_revoked_together)
    def post(self, data: dict[str, Any], account_id: UUID) -> Any:
        """Revoke every live token of the account, with a reason (the account itself, or an
        admin): all of them or none, the caller's own included when it is the account's."""

        def live() -> list[UUID]:
            await_log_head(READS)  # every credential issued so far is listed
            with services().engines.reader.connect() as conn:
                return credential_queries.live_credential_ids(conn, account_id)

        by = require_account()
        revoked = marketplace().revoke_credentials(by, account_id, live, data["reason"])
        return _revoked(account_id, [str(c.id) for c in revoked])


@blp.route("/credentials/<uuid:credential_id>/revoke")
class RevokeCredential(MethodView):
    @blp.arguments(RevocationInSchema)
    @blp.response(200, CredentialSchema)
    @command(200, render=credential_queries.credential_document)
    def post(self, data: dict[str, Any], credential_id: UUID) -> Any:
        """Revoke one token, with a reason (its own account, or an admin)."""
        by = require_account()
        revoked = marketplace().revoke_credential(by, credential_id, data["reason"])
        return credential_queries.credential_document(revoked)
