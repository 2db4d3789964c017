"""The library's own core, with nothing of the service: a bare ``Application`` whose aggregate
records one event per command carrying what an offering draft carries (as plain JSON values).

Its events are saved by the same persistence module (``eventsourcing.sqlite`` or
``eventsourcing.postgres``) the service is configured with, on a fresh database of the same kind.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class BaselineListing(Aggregate):
    @event("Drafted")
    def __init__(self, details: dict[str, Any]):
        self.details = dict(details)

    @event("Revised")
    def revise(self, changes: dict[str, Any]) -> None:
        self.details.update(changes)


class BaselineApplication(Application):
    name = "BenchBaseline"

    def draft(self, details: dict[str, Any]) -> Any:
        listing = BaselineListing(details)
        self.save(listing)
        return listing.id

    def revise(self, listing_id: Any, changes: dict[str, Any]) -> None:
        listing = self.repository.get(listing_id)
        listing.revise(changes)
        self.save(listing)
