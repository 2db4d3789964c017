"""Every event of the aggregates whose history is public: type, time, actor and what it said.

Accounts, credentials and idempotency receipts are left out: they are not public record and a
credential's history would only show account ids.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from events.offerings import OfferingDrafted, OfferingPublished, OfferingRevised, OfferingWithdrawn
from events.plain import event_changes
from events.providers import ProviderRegistered
from projections.runner import Handler, Projection
from projections.tables import event_history

PUBLIC_EVENTS = (
    ProviderRegistered,
    OfferingDrafted,
    OfferingRevised,
    OfferingPublished,
    OfferingWithdrawn,
)


class HistoryProjection(Projection):
    name = "history"
    tables = (event_history,)

    def handlers(self) -> dict[type, Handler]:
        return {cls: self._record for cls in PUBLIC_EVENTS}

    @staticmethod
    def _record(conn: Connection, event: Any, position: int) -> None:
        aggregate_type, _, event_type = event.stable_name.partition(".")
        conn.execute(
            insert(event_history).values(
                aggregate_id=event.originator_id,
                version=event.originator_version,
                aggregate_type=aggregate_type,
                event_type=event_type,
                occurred_at=event.timestamp,
                actor=event.actor,
                changes=event_changes(event),
                position=position,
            )
        )
