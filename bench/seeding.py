"""Seeding large, realistic event logs fast: aggregates built through the domain (the same rules and
events as real commands), saved many at a time with ``app.save(*aggregates)`` (one transaction
per batch of about ``events_per_save`` events).

Two mixes:
- ``realistic``: providers (an account, its credential, the provider: 4 events each) and their
  offerings, most drafted then published, some revised (before and after publishing), a few
  withdrawn, some left as drafts;
- ``published``: every offering drafted and published (2 events), for the catalog at size.

Offering details come from the demo catalog's generator (``marketplace.demo``), so titles,
summaries, subjects, grade bands and prices look like the demo's.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from events.types import Contact, OrganizationIdentifier, Role, Subject
from marketplace.demo import PROVIDER_NAMES, _details
from marketplace.domain.accounts import Account, Credential
from marketplace.domain.offerings import Offering
from marketplace.domain.providers import Provider

MIXES = ("realistic", "published")


@dataclass
class SeedReport:
    events: int = 0
    providers: int = 0
    offerings: int = 0
    published: int = 0
    revisions: int = 0
    withdrawn: int = 0
    saves: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "providers": self.providers,
            "offerings": self.offerings,
            "published": self.published,
            "revisions": self.revisions,
            "withdrawn": self.withdrawn,
            "saves": self.saves,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(self.events / self.seconds, 1) if self.seconds else None,
        }


class Seeder:
    def __init__(
        self,
        app: Any,
        mix: str = "realistic",
        seed: int = 2026,
        offerings_per_provider: int = 50,
        events_per_save: int = 1000,
    ):
        if mix not in MIXES:
            raise ValueError(f"unknown mix {mix!r}")
        self.app = app
        self.mix = mix
        self.rng = random.Random(seed)
        self.offerings_per_provider = offerings_per_provider
        self.events_per_save = events_per_save
        self.report = SeedReport()
        self._account: Account | None = None
        self._provider_name = ""
        self._left_for_provider = 0

    def seed(self, events: int, progress: Any = None) -> SeedReport:
        """Append about ``events`` events (at least that many, at most one offering more)."""
        started = time.perf_counter()
        target = self.report.events + events
        batch: list[Any] = []
        pending = 0
        while self.report.events + pending < target:
            for aggregate in self._next_aggregates():
                batch.append(aggregate)
                pending += len(aggregate.pending_events)
            if pending >= self.events_per_save:
                self._save(batch, pending)
                batch, pending = [], 0
                if progress is not None:
                    progress(self.report.events)
        if batch:
            self._save(batch, pending)
        self.report.seconds += time.perf_counter() - started
        return self.report

    def _save(self, batch: list[Any], pending: int) -> None:
        recordings = self.app.save(*batch)
        if len(recordings) != pending:  # a broken seeder would make every figure meaningless
            raise RuntimeError(f"saved {len(recordings)} events, expected {pending}")
        self.report.events += pending
        self.report.saves += 1

    def _next_aggregates(self) -> list[Any]:
        created: list[Any] = []
        if self._account is None or self._left_for_provider == 0:
            created.extend(self._new_provider())
        assert self._account is not None
        created.append(self._new_offering(self._account))
        self._left_for_provider -= 1
        return created

    def _new_provider(self) -> list[Any]:
        index = self.report.providers
        base = PROVIDER_NAMES[index % len(PROVIDER_NAMES)]
        name = base if index < len(PROVIDER_NAMES) else f"{base} {index // len(PROVIDER_NAMES) + 1}"
        domain = f"provider{index}.example.com"
        account = Account.open(None, Role.PROVIDER, f"{name} (catalog manager)")
        credential, _ = Credential.issue(None, account)
        provider = Provider.register(
            account,
            legal_name=name,
            identifier=OrganizationIdentifier(scheme="US-EIN", id=f"99-{index:07d}"),
            website=f"https://{domain}",
            contact=Contact(name="Partnerships team", email=f"partners@{domain}"),
        )
        self._account = account
        self._provider_name = name
        self._left_for_provider = self.offerings_per_provider
        self.report.providers += 1
        return [account, credential, provider]

    def _new_offering(self, account: Account) -> Offering:
        rng = self.rng
        n = self.offerings_per_provider - self._left_for_provider
        offering = Offering.draft(account, _details(rng, self._provider_name, n % 7))
        self.report.offerings += 1
        if self.mix == "published":
            offering.publish(account)
            self.report.published += 1
            return offering
        roll = rng.random()
        if roll < 0.15:  # a draft being worked on, revised or not
            if rng.random() < 0.5:
                self._revise(account, offering)
            return offering
        if rng.random() < 0.2:  # revised before publishing
            self._revise(account, offering)
        offering.publish(account)
        self.report.published += 1
        after = rng.random()
        if after < 0.3:
            self._revise(account, offering)
            if after < 0.1:
                self._revise(account, offering)
        elif after > 0.97:
            offering.withdraw(account, "Replaced by a newer edition")
            self.report.withdrawn += 1
            self.report.published -= 1
        return offering

    def _revise(self, account: Account, offering: Offering) -> None:
        rng = self.rng
        choice = rng.random()
        if choice < 0.5:
            changes: dict[str, Any] = {
                "summary": f"{offering.summary or ''} Updated for school year {2025 + rng.randrange(5)}."[:500]
            }
        elif choice < 0.8 and offering.pricing is not None:
            pricing = offering.pricing
            changes = {
                "pricing": type(pricing)(
                    unit=pricing.unit,
                    list_price=(pricing.list_price * Decimal("1.05")).quantize(Decimal("0.01")),
                    volume_tiers=(),
                )
            }
        else:
            subjects = list(offering.subjects or ())
            extra = rng.choice([s for s in Subject if s not in subjects])
            changes = {"subjects": [*subjects, extra][-3:]}
        if offering.revise(account, changes):
            self.report.revisions += 1


# For HTTP load: request bodies and ready provider accounts ---------------------------------------


def offering_body(rng: random.Random, index: int) -> dict[str, Any]:
    """A complete draft body as a client sends it (JSON: decimals and dates as strings)."""
    from events.plain import to_plain

    name = PROVIDER_NAMES[index % len(PROVIDER_NAMES)]
    details = _details(rng, name, index % 7)
    return {key: to_plain(value) for key, value in details.items()}


def open_provider(app: Any, index: int, label: str = "bench") -> tuple[Any, str]:
    """A provider account bound to a newly registered provider, through the use cases; returns
    (account, bearer token)."""
    name = f"{PROVIDER_NAMES[index % len(PROVIDER_NAMES)]} {label} {index}"
    account, token = app.open_account(None, Role.PROVIDER, f"{name} (catalog manager)")
    app.register_provider(
        account,
        legal_name=name,
        identifier=OrganizationIdentifier(scheme="US-EIN", id=f"98-{label}-{index:07d}"),
        website=f"https://provider{index}.{label}.example.com",
        contact=Contact(name="Partnerships team", email=f"partners@provider{index}.example.com"),
    )
    return app.get_account(account.id), token
