"""The event-sourced application: use cases (one module per area) over one store.

A command runs inside a ``CommandContext`` (set by the web layer or the CLI). Saving inside a
context does two more things: it adds the idempotency receipt, if the request carried a key, to the
same atomic save; and it records the log position of the last event written, which the caller
hands back to the client for read-your-writes.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterator
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, LRUCache, Repository
from eventsourcing.persistence import JSONTranscoder

import events
from marketplace.config import APPLICATION_NAME
from marketplace.domain.accounts import Account
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
    precondition: tuple[UUID, int] | None = None
    """``If-Match``: the record the request addresses, and the version the client last saw."""


_command: ContextVar[CommandContext | None] = ContextVar("marketplace_command", default=None)


@contextmanager
def command_context(
    receipt: PendingReceipt | None = None, precondition: tuple[UUID, int] | None = None
) -> Iterator[CommandContext]:
    context = CommandContext(receipt=receipt, precondition=precondition)
    token = _command.set(context)
    try:
        yield context
    finally:
        _command.reset(token)


LEGAL_NAMES_KEPT = 10_000
"""Providers whose legal name a process keeps once read (a few hundred bytes each)."""

CREDENTIALS_KEPT = 10_000
"""Credentials a process keeps between requests, each brought up to date at every use."""

ACCOUNTS_KEPT = 10_000
"""Settled accounts (final: see ``Account.settled``) a process keeps once read."""


class MarketplaceBase(Application):
    name = APPLICATION_NAME

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._legal_names = lru_cache(maxsize=LEGAL_NAMES_KEPT)(self._read_legal_name)
        # Every request reads its caller's credential: this repository keeps credentials and, at
        # every read, brings the kept one up to date from the event store (the library's
        # fast-forward: only events after the kept version are selected), so a revocation saved
        # by any process is seen by the very next request. Nothing else uses it.
        self.credentials: Repository[UUID] = Repository(
            self.events, cache_maxsize=CREDENTIALS_KEPT, fastforward=True
        )
        self._settled_accounts: LRUCache[UUID, Account] = LRUCache(maxsize=ACCOUNTS_KEPT)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        events.register_transcodings(transcoder)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save atomically; the first aggregate is the resource the command answers with."""
        context = _command.get()
        if context is not None and context.precondition is not None:
            self._check_precondition(context.precondition, objs)
            context.precondition = None  # a command's later saves build on its first
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

    def _check_precondition(self, precondition: tuple[UUID, int], objs: tuple[Any, ...]) -> None:
        """``If-Match`` on any write: the addressed record must be at the version the client
        names. Checked on the very state the command changed (the version it was loaded at, and
        the store refuses a save over a newer one), or, when the command leaves the record as it
        is, on the record as it stands."""
        aggregate_id, expected = precondition
        changed = next((o for o in objs if getattr(o, "id", None) == aggregate_id), None)
        if changed is not None:
            pending = changed.pending_events
            before = pending[0].originator_version - 1 if pending else changed.version
        else:
            found = self.load_optional(aggregate_id)
            if found is None:
                return
            before = found.version
        if before != expected:
            raise StaleVersion(
                f"{aggregate_id} is at version {before}, not {expected} (If-Match): reload it "
                "and retry"
            )

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

    def get_caller(self, account_id: UUID) -> Account:
        """The account a request acts as. A settled account is final, so once read it is kept
        and a copy handed out (a command may change what it is given); any other is read."""
        try:
            kept = self._settled_accounts.get(account_id)
        except KeyError:
            account = self.get_account(account_id)
            if not account.settled:
                return account
            kept = deepcopy(account)
            self._settled_accounts.put(account_id, kept)
        return deepcopy(kept)

    def get_provider(self, provider_id: UUID, version: int | None = None) -> Provider:
        return self._get(Provider, provider_id, "provider", version)

    def provider_legal_name(self, provider_id: UUID) -> str:
        """A provider's legal name. It is fixed at registration (no Provider event changes it),
        so a name once read from the store is never stale and is kept, without reading again."""
        return self._legal_names(provider_id)

    def _read_legal_name(self, provider_id: UUID) -> str:
        return self.get_provider(provider_id).legal_name

    def get_offering(self, offering_id: UUID, version: int | None = None) -> Offering:
        return self._get(Offering, offering_id, "offering", version)

    def load(self, aggregate_id: UUID, version: int | None = None) -> Any:
        return self.repository.get(aggregate_id, version=version)

    def version_at(self, aggregate_id: UUID, moment: datetime) -> int | None:
        """The aggregate's version as it stood at ``moment`` (None: it did not exist yet)."""
        version = None
        for event in self.events.get(aggregate_id):
            if event.timestamp > moment:
                break
            version = event.originator_version
        return version

    def load_optional(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def find_receipt(self, actor: str, key: str) -> IdempotencyReceipt | None:
        try:
            return self.repository.get(IdempotencyReceipt.id_for(actor, key))
        except AggregateNotFoundError:
            return None



from marketplace.application.catalog import CatalogUseCases  # noqa: E402
from marketplace.application.outcomes import OutcomeUseCases  # noqa: E402
from marketplace.application.procurement import ProcurementUseCases  # noqa: E402
from marketplace.application.trust import TrustUseCases  # noqa: E402


class Marketplace(
    CatalogUseCases, ProcurementUseCases, TrustUseCases, OutcomeUseCases, MarketplaceBase
):
    name = APPLICATION_NAME
