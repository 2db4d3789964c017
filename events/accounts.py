"""Accounts and their bearer credentials."""

from __future__ import annotations

from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import Role


class AccountOpened(MarketplaceCreated):
    TOPIC = "marketplace.Account.Opened"
    role: Role
    name: str
    organization_id: UUID | None


class AccountBoundToOrganization(MarketplaceEvent):
    TOPIC = "marketplace.Account.BoundToOrganization"
    organization_id: UUID


class CredentialIssued(MarketplaceCreated):
    """A bearer token was issued; the aggregate id is derived from the token's hash, never the token."""

    TOPIC = "marketplace.Credential.Issued"
    account_id: UUID


class CredentialRevoked(MarketplaceEvent):
    TOPIC = "marketplace.Credential.Revoked"
    reason: str


class CredentialLedgerOpened(MarketplaceCreated):
    """An account's ledger of token changes (``marketplace.domain.accounts.CredentialLedger``)."""

    TOPIC = "marketplace.CredentialLedger.Opened"
    account_id: UUID


class CredentialLedgerMoved(MarketplaceEvent):
    """Tokens of the account were issued (``change`` "issued") or all revoked at once
    ("revoked_all"), in the same save as the credentials named."""

    TOPIC = "marketplace.CredentialLedger.Moved"
    change: str
    credential_ids: tuple[UUID, ...]
