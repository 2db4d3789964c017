"""Use cases on the event-sourced application: load, call the domain, save.

A command runs inside a ``CommandContext`` (set by the web layer or the CLI). Saving inside a
context does two more things: it adds the idempotency receipt, if the request carried a key, to the
same atomic save; and it records the log position of the last event written, which the caller
hands back to the client for read-your-writes.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder

import events
from events.types import Contact, OrganizationIdentifier, Role
from marketplace.config import APPLICATION_NAME
from marketplace.domain.accounts import Account, Credential
from marketplace.domain.errors import NotFound, StaleVersion
from marketplace.domain.idempotency import IdempotencyReceipt
from marketplace.domain.offerings import Offering
from marketplace.domain.providers import Provider


@dataclass
class PendingReceipt:
    actor: str
    key: str
    fingerprint: str
    status: int


@dataclass
class CommandContext:
    receipt: PendingReceipt | None = None
    position: int | None = None


_command: ContextVar[CommandContext | None] = ContextVar("marketplace_command", default=None)


@contextmanager
def command_context(receipt: PendingReceipt | None = None) -> Iterator[CommandContext]:
    context = CommandContext(receipt=receipt)
    token = _command.set(context)
    try:
        yield context
    finally:
        _command.reset(token)


class Marketplace(Application):
    name = APPLICATION_NAME

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        events.register_transcodings(transcoder)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save atomically; the first aggregate is the resource the command answers with."""
        context = _command.get()
        if context is not None and context.receipt is not None and objs:
            primary = objs[0]
            pending = context.receipt
            receipt = IdempotencyReceipt.record(
                actor=pending.actor,
                key=pending.key,
                fingerprint=pending.fingerprint,
                status=pending.status,
                resource_id=getattr(primary, "id", None),
                resource_version=getattr(primary, "version", None),
            )
            objs = (*objs, receipt)
            context.receipt = None
        recordings = super().save(*objs, **kwargs)
        if context is not None and recordings:
            context.position = max(r.notification.id for r in recordings)
        return recordings

    # Loading -------------------------------------------------------------------------------

    def _get(self, cls: type, aggregate_id: UUID, label: str, version: int | None = None) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{label} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{label} {aggregate_id} not found")
        return aggregate

    def get_account(self, account_id: UUID) -> Account:
        return self._get(Account, account_id, "account")

    def get_provider(self, provider_id: UUID) -> Provider:
        return self._get(Provider, provider_id, "provider")

    def get_offering(self, offering_id: UUID, version: int | None = None) -> Offering:
        return self._get(Offering, offering_id, "offering", version)

    def load(self, aggregate_id: UUID, version: int | None = None) -> Any:
        return self.repository.get(aggregate_id, version=version)

    def find_receipt(self, actor: str, key: str) -> IdempotencyReceipt | None:
        try:
            return self.repository.get(IdempotencyReceipt.id_for(actor, key))
        except AggregateNotFoundError:
            return None

    # Accounts ------------------------------------------------------------------------------

    def authenticate(self, token: str) -> Account | None:
        """The account a bearer token belongs to, or None for an unknown or revoked token."""
        try:
            credential = self.repository.get(Credential.id_for(token))
        except AggregateNotFoundError:
            return None
        if not isinstance(credential, Credential) or credential.revoked:
            return None
        return self.get_account(credential.account_id)

    def open_account(
        self, by: Account | None, role: Role, name: str, organization_id: UUID | None = None
    ) -> tuple[Account, str]:
        """Open an account with its first token; the token is returned here and never again."""
        if organization_id is not None:
            self.get_provider(organization_id)  # the only kind of organization so far
        account = Account.open(by, role, name, organization_id)
        credential, token = Credential.issue(by, account)
        self.save(account, credential)
        return account, token

    # Providers -----------------------------------------------------------------------------

    def register_provider(
        self,
        by: Account,
        legal_name: str,
        identifier: OrganizationIdentifier,
        website: str | None,
        contact: Contact,
    ) -> Provider:
        provider = Provider.register(by, legal_name, identifier, website, contact)
        self.save(provider, by)
        return provider

    # Offerings -----------------------------------------------------------------------------

    def draft_offering(self, by: Account, details: dict[str, Any]) -> Offering:
        offering = Offering.draft(by, details)
        self.save(offering)
        return offering

    def revise_offering(
        self,
        by: Account,
        offering_id: UUID,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> Offering:
        offering = self._get_expected(by, offering_id, expected_version)
        offering.revise(by, changes)
        self.save(offering)
        return offering

    def publish_offering(
        self, by: Account, offering_id: UUID, expected_version: int | None = None
    ) -> Offering:
        offering = self._get_expected(by, offering_id, expected_version)
        offering.publish(by)
        self.save(offering)
        return offering

    def withdraw_offering(
        self,
        by: Account,
        offering_id: UUID,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Offering:
        offering = self._get_expected(by, offering_id, expected_version)
        offering.withdraw(by, reason)
        self.save(offering)
        return offering

    def _get_expected(
        self, by: Account, offering_id: UUID, expected_version: int | None
    ) -> Offering:
        offering = self.get_offering(offering_id)
        if not offering.is_visible_to(by):  # another provider's draft: as if it did not exist
            raise NotFound(f"offering {offering_id} not found")
        if expected_version is not None and offering.version != expected_version:
            raise StaleVersion(
                f"offering {offering_id} is at version {offering.version}, "
                f"not {expected_version}: reload it and retry"
            )
        return offering
