"""Accounts act for at most one organization; credentials are bearer tokens stored only as hashes.

Rules enforced here for credentials (an account's tokens):
- the account itself (rotating its token), an admin, or the operator at the console issues a new
  one; nobody else manages an account's tokens, and to anybody else a credential does not exist;
- a credential is revoked once, with a reason (required, at most 2,000 characters);
- revoking all of an account's credentials revokes each live one together: one reason, one moment;
- issuing a token and revoking all of the account's tokens never interleave (``CredentialLedger``):
  a token issued while they are being revoked is revoked with them, or not issued.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import Enum
from functools import singledispatchmethod
from typing import Iterable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

import events
from events import MarketplaceEvent
from events.accounts import (
    AccountBoundToOrganization,
    AccountOpened,
    CredentialIssued,
    CredentialLedgerMoved,
    CredentialLedgerOpened,
    CredentialRevoked,
)
from events.types import Role
from marketplace.domain import validation
from marketplace.domain.errors import NotAllowed, WrongState, invalid

OPERATOR = "operator"
"""The actor recorded for commands run by an operator from the command line."""

_CREDENTIAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:credential")
_LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:credential-ledger")
TOKEN_PREFIX = "mkt_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


ORGANIZATION_KIND: dict[Role, str | None] = {
    Role.ADMIN: None,
    Role.PROVIDER: "provider",
    Role.BUYER: "district",
    Role.EVALUATOR: "district",
    Role.AUTHORITY: None,
}
"""What an account of each role may act for: a provider account for a provider, buyers and
evaluators for a district; admins and designation authorities for no organization."""


class Account(Aggregate):
    TOPIC = "marketplace.Account"
    Event = MarketplaceEvent
    Created = AccountOpened

    @classmethod
    def open(
        cls,
        by: Account | None,
        role: Role,
        name: str,
        organization_id: UUID | None = None,
        organization_kind: str | None = None,
    ) -> Account:
        """Open an account; ``by`` is the admin doing it, or None for an operator at the console.
        With ``organization_id``, ``organization_kind`` says what it is ("provider", "district",
        or None when it is neither), which must be what the role acts for (``ORGANIZATION_KIND``):
        an account bound to the wrong kind would record writes for an organization that is not
        one (an offering whose provider is a district)."""
        if by is not None:
            by.require_role(Role.ADMIN)
        name = name.strip()
        if not name:
            raise invalid("name", "must not be blank")
        if len(name) > 200:
            raise invalid("name", "must be at most 200 characters")
        if role is Role.ADMIN and organization_id is not None:
            raise invalid("organization_id", "an admin account acts for no organization")
        if organization_id is not None:
            expected = ORGANIZATION_KIND[role]
            if expected is None:
                raise invalid("organization_id", f"a {role.value} account acts for no organization")
            if organization_kind != expected:
                found = f"a {organization_kind}" if organization_kind else "neither"
                raise invalid(
                    "organization_id",
                    f"a {role.value} account acts for a {expected}; {organization_id} is {found}",
                )
        return cls._create(
            AccountOpened,
            id=Aggregate.create_id(),
            actor=actor_of(by),
            role=role,
            name=name,
            organization_id=organization_id,
        )

    def bind_to(self, organization_id: UUID) -> None:
        if self.role is Role.ADMIN:
            raise invalid("organization_id", "an admin account acts for no organization")
        if self.organization_id is not None:
            raise WrongState(
                f"account already acts for organization {self.organization_id}",
                {"organization_id": ["this account already acts for an organization"]},
            )
        self.trigger_event(
            AccountBoundToOrganization, actor=str(self.id), organization_id=organization_id
        )

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise NotAllowed(f"this requires the role {allowed}; the caller is {self.role.value}")

    @property
    def settled(self) -> bool:
        """Nothing more can happen to a settled account: its only events are its opening and its
        binding to an organization, and binding happens once, never for an admin. So an account
        that is bound, or an admin's, is final: a copy read once is never stale."""
        return self.organization_id is not None or self.role is Role.ADMIN

    def acts_for(self, organization_id: UUID) -> bool:
        return self.organization_id is not None and self.organization_id == organization_id

    def manages_credentials_of(self, account_id: UUID) -> bool:
        """An account manages its own tokens; an admin manages every account's."""
        return self.role is Role.ADMIN or self.id == account_id

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: AccountOpened) -> None:
        self.role = event.role
        self.name = event.name
        self.organization_id = event.organization_id

    @when.register
    def _(self, event: AccountBoundToOrganization) -> None:
        self.organization_id = event.organization_id


class CredentialStatus(Enum):
    ACTIVE = "active"
    REVOKED = "revoked"


def credential_status(revoked: bool) -> CredentialStatus:
    """The status from the recorded facts (the read model uses the same rule)."""
    return CredentialStatus.REVOKED if revoked else CredentialStatus.ACTIVE


def require_credential_manager(by: Account | None, account_id: UUID) -> None:
    """Only the account itself, an admin, or the operator (``by`` None) manages its tokens."""
    if by is not None and not by.manages_credentials_of(account_id):
        raise NotAllowed("only the account itself or an admin manages its tokens")


class Credential(Aggregate):
    """A bearer token's record, found by the token's hash; the token itself is never stored."""

    TOPIC = "marketplace.Credential"
    Event = MarketplaceEvent
    Created = CredentialIssued

    @staticmethod
    def id_for(token: str) -> UUID:
        return uuid5(_CREDENTIAL_NAMESPACE, token_digest(token))

    @classmethod
    def issue(cls, by: Account | None, account: Account) -> tuple[Credential, str]:
        """Issue a new token for ``account``; the token is returned once and never kept."""
        require_credential_manager(by, account.id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        credential = cls._create(
            CredentialIssued, id=cls.id_for(token), actor=actor_of(by), account_id=account.id
        )
        return credential, token

    def is_visible_to(self, by: Account | None) -> bool:
        """Whether ``by`` may know this credential exists: only those who manage its account's
        tokens (a credential's id is derived from its token)."""
        return by is None or by.manages_credentials_of(self.account_id)

    def revoke(self, by: Account | None, reason: str, at: datetime | None = None) -> None:
        """Revoke, with a reason; ``at`` is the moment recorded (default: now), which credentials
        revoked together share."""
        require_credential_manager(by, self.account_id)
        if self.revoked:
            raise WrongState("this credential is already revoked")
        self.trigger_event(
            CredentialRevoked, actor=actor_of(by), reason=_revocation_reason(reason), timestamp=at
        )

    @staticmethod
    def revoke_all(
        by: Account | None, account: Account, credentials: Iterable[Credential], reason: str
    ) -> list[Credential]:
        """Revoke each live one of ``account``'s ``credentials`` (others are left alone), together:
        one reason and one moment, so the ones revoked together are known afterwards as those its
        actor revoked at that moment. Returns them, in the order given."""
        require_credential_manager(by, account.id)
        reason = _revocation_reason(reason)
        moment = events.now()
        live = [c for c in credentials if c.account_id == account.id and not c.revoked]
        for credential in live:
            credential.revoke(by, reason, at=moment)
        return live

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def status(self) -> CredentialStatus:
        return credential_status(self.revoked)

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: CredentialIssued) -> None:
        self.account_id = event.account_id
        self.issued_at = event.timestamp
        self.issued_by = event.actor
        self.revoked_at: datetime | None = None
        self.revoked_by: str | None = None
        self.revocation_reason: str | None = None

    @when.register
    def _(self, event: CredentialRevoked) -> None:
        self.revoked_at = event.timestamp
        self.revoked_by = event.actor
        self.revocation_reason = event.reason


class CredentialLedger(Aggregate):
    """An account's token changes, one after another: each issue of a token and each revocation
    of all of them is recorded here, in the same save as the credentials. Two that race load the
    same version, so the second to save fails as a concurrent write (409) and is tried again on
    what the first did: a revocation of all of an account's tokens never misses one issued
    while it ran (the token a thief mints as the admin revokes the one stolen)."""

    TOPIC = "marketplace.CredentialLedger"
    Event = MarketplaceEvent
    Created = CredentialLedgerOpened

    ISSUED = "issued"
    REVOKED_ALL = "revoked_all"

    @staticmethod
    def id_for(account_id: UUID) -> UUID:
        return uuid5(_LEDGER_NAMESPACE, str(account_id))

    @classmethod
    def open(cls, by: Account | None, account_id: UUID) -> CredentialLedger:
        """The account's ledger, opened with its first change (an account opened before there
        were ledgers gets one at its first)."""
        return cls._create(
            CredentialLedgerOpened,
            id=cls.id_for(account_id),
            actor=actor_of(by),
            account_id=account_id,
        )

    def record(self, by: Account | None, change: str, credentials: Iterable[Credential]) -> None:
        if change not in (self.ISSUED, self.REVOKED_ALL):
            raise ValueError(f"unknown change {change!r}")
        self.trigger_event(
            CredentialLedgerMoved,
            actor=actor_of(by),
            change=change,
            credential_ids=tuple(c.id for c in credentials),
        )

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: CredentialLedgerOpened) -> None:
        self.account_id = event.account_id

    @when.register
    def _(self, event: CredentialLedgerMoved) -> None:
        pass  # its version is what matters: two changes made from the same one collide


def _revocation_reason(reason: str) -> str:
    return validation.required_text("reason", reason, max_length=2000)


def actor_of(account: Account | None) -> str:
    return OPERATOR if account is None else str(account.id)
