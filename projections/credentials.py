"""The credentials read model: one row per bearer token ever issued, for the account's own and an
admin's listing, an auditor's record of who issued and who revoked each, and revoking all of an
account's live tokens at once.

It holds the credential's id (derived from the token's hash when it was issued), never the token
or its hash. Like accounts, it is not public record: only its own account and admins read it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from events.accounts import CredentialIssued, CredentialRevoked
from projections.bulk import prepare_insert, prepare_update
from projections.runner import Handler, Write, WritingProjection
from projections.tables import credentials


class CredentialsProjection(WritingProjection):
    name = "credentials"
    tables = (credentials,)

    def handlers(self) -> dict[type, Handler]:
        return {CredentialIssued: self.apply, CredentialRevoked: self.apply}  # applied in batches

    def prepare(self, snapshot: Connection, items: list[tuple[int, Any]]) -> list[Write]:
        """The batch's new rows, then its revocations (a credential is issued before it is
        revoked, in the log and so in the batch: the insert runs first)."""
        issued = [event for _, event in items if isinstance(event, CredentialIssued)]
        revoked = [event for _, event in items if isinstance(event, CredentialRevoked)]
        return [
            prepare_insert(snapshot.dialect, credentials, [self._issued(e) for e in issued]),
            prepare_update(
                snapshot.dialect, credentials, [self._revoked(e) for e in revoked], key=("id",)
            ),
        ]

    @staticmethod
    def _issued(event: CredentialIssued) -> dict[str, Any]:
        return {
            "id": event.originator_id,
            "account_id": event.account_id,
            "issued_at": event.timestamp,
            "issued_by": event.actor,
        }

    @staticmethod
    def _revoked(event: CredentialRevoked) -> dict[str, Any]:
        return {
            "id": event.originator_id,
            "revoked_at": event.timestamp,
            "revoked_by": event.actor,
            "revocation_reason": event.reason,
        }
