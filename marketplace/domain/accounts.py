"""Accounts act for at most one organization; credentials are bearer tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from functools import singledispatchmethod
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.accounts import AccountBoundToOrganization, AccountOpened, CredentialIssued, CredentialRevoked
from events.types import Role
from marketplace.domain.errors import NotAllowed, WrongState, invalid

OPERATOR = "operator"
"""The actor recorded for commands run by an operator from the command line."""

_CREDENTIAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:credential")
TOKEN_PREFIX = "mkt_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Account(Aggregate):
    TOPIC = "marketplace.Account"
    Event = MarketplaceEvent
    Created = AccountOpened

    @classmethod
    def open(
        cls, by: Account | None, role: Role, name: str, organization_id: UUID | None = None
    ) -> Account:
        """Open an account; ``by`` is the admin doing it, or None for an operator at the console."""
        if by is not None:
            by.require_role(Role.ADMIN)
        name = name.strip()
        if not name:
            raise invalid("name", "must not be blank")
        if len(name) > 200:
            raise invalid("name", "must be at most 200 characters")
        if role is Role.ADMIN and organization_id is not None:
            raise invalid("organization_id", "an admin account acts for no organization")
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
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        credential = cls._create(
            CredentialIssued, id=cls.id_for(token), actor=actor_of(by), account_id=account.id
        )
        return credential, token

    def revoke(self, by: Account | None, reason: str) -> None:
        if self.revoked:
            raise WrongState("credential already revoked")
        self.trigger_event(CredentialRevoked, actor=actor_of(by), reason=reason)

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: CredentialIssued) -> None:
        self.account_id = event.account_id
        self.revoked = False

    @when.register
    def _(self, event: CredentialRevoked) -> None:
        self.revoked = True


def actor_of(account: Account | None) -> str:
    return OPERATOR if account is None else str(account.id)
