"""The award register: one row per award and member allocation, with every field an auditor asks
for (PRODUCT rule 9), denormalised so that an export is one indexed scan of ``award_register``.

A row per (contract, party district) is written when the contract is awarded and kept current
through signature, amendments (unit price, allocations, total value, term end), renewals,
termination, the award's cancellation, and districts joining later (a new row; the contract's
total value goes up on every row of that contract). A cancelled award stays in the register with
its status: it is part of the record.

District, consortium and provider names are not read from the procurement or catalog read models
(each projection is reset and rebuilt on its own): they are looked up in the event store through
the application, by aggregate id. Names never change after registration in this domain, so the
lookups are cached (a small bounded cache) and a rebuild reproduces the same rows.

Datetimes are stored in UTC, money in whole cents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from sqlalchemy import Connection, delete, insert, select, update

from events.contracts import (
    ContractAmended,
    ContractAwardCancelled,
    ContractAwarded,
    ContractRenewed,
    ContractSigned,
    ContractTerminated,
    DistrictJoinedContract,
)
from events.plain import to_plain
from events.types import CostShare
from marketplace.domain.districts import Consortium, District
from marketplace.domain.providers import Provider
from projections.procurement import cents, plain_value, utc
from projections.runner import Handler, Projection
from projections.tables import award_register

# The columns that belong to the (contract, district) pair; every other column is the contract's
# and is the same on every row of that contract.
PARTY_COLUMNS = frozenset(
    {"district_id", "district_name", "district_state", "seats", "amount_cents", "joined_at"}
)

_NAME_CACHE_LIMIT = 4096


class AwardRegisterProjection(Projection):
    name = "award_register"
    tables = (award_register,)

    def __init__(self, app: Any):
        """``app`` is the event-sourced application, used to look up names by aggregate id."""
        self.app = app
        self._names: dict[UUID, tuple[str, ...] | None] = {}

    def handlers(self) -> dict[type, Handler]:
        return {
            ContractAwarded: self._contract_awarded,
            ContractSigned: self._contract_signed,
            ContractAmended: self._contract_amended,
            ContractRenewed: self._contract_renewed,
            ContractTerminated: self._contract_ended("terminated"),
            ContractAwardCancelled: self._contract_ended("cancelled"),
            DistrictJoinedContract: self._district_joined,
        }

    # Names from the event store --------------------------------------------------------------

    def _lookup(self, aggregate_id: UUID | None, kind: type) -> tuple[str, ...] | None:
        """(name, ...) of an aggregate of ``kind``; None when there is no such aggregate."""
        if aggregate_id is None:
            return None
        if not isinstance(aggregate_id, UUID):
            aggregate_id = UUID(str(aggregate_id))
        if aggregate_id in self._names:
            return self._names[aggregate_id]
        try:
            aggregate = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        found: tuple[str, ...] | None = None
        if isinstance(aggregate, kind):
            if isinstance(aggregate, District):
                found = (aggregate.name, aggregate.state)
            elif isinstance(aggregate, Consortium):
                found = (aggregate.name,)
            elif isinstance(aggregate, Provider):
                found = (aggregate.legal_name,)
        if len(self._names) >= _NAME_CACHE_LIMIT:
            self._names.clear()
        self._names[aggregate_id] = found
        return found

    def _district(self, district_id: UUID) -> dict[str, Any]:
        found = self._lookup(district_id, District)
        name, state = found if found is not None else (str(district_id), "")
        return {"district_id": district_id, "district_name": name, "district_state": state}

    def _consortium_name(self, consortium_id: UUID | None) -> str | None:
        found = self._lookup(consortium_id, Consortium)
        return None if found is None else found[0]

    def _provider_name(self, provider_id: UUID | None) -> str | None:
        found = self._lookup(provider_id, Provider)
        return None if found is None else found[0]

    def _rejection(self, rejection: Mapping[str, Any]) -> dict[str, Any]:
        plain = to_plain(dict(rejection))
        return {
            "proposal_id": plain.get("proposal_id"),
            "provider_id": plain.get("provider_id"),
            "provider_name": self._provider_name(plain.get("provider_id")),
            "reason": plain.get("reason") or "",
        }

    def _party(self, share: CostShare, joined_at: datetime) -> dict[str, Any]:
        return {
            **self._district(share.district_id),
            "seats": share.seats,
            "amount_cents": cents(share.amount),
            "joined_at": joined_at,
        }

    # Handlers --------------------------------------------------------------------------------

    def _contract_awarded(self, conn: Connection, event: ContractAwarded, _: int) -> None:
        awarded_at = utc(event.timestamp)
        contract = {
            "contract_id": event.originator_id,
            "solicitation_id": event.solicitation_id,
            "consortium_id": event.consortium_id,
            "consortium_name": self._consortium_name(event.consortium_id),
            "lead_district_id": event.lead_district_id,
            "provider_id": event.provider_id,
            "provider_name": self._provider_name(event.provider_id) or str(event.provider_id),
            "method": plain_value(event.method),
            "method_rationale": event.method_rationale,
            "contract_type": plain_value(event.contract_type),
            "selection_reason": event.selection_reason,
            "rejections": [self._rejection(r) for r in event.rejections],
            "price_basis": event.price_basis,
            "cost_price_analysis": event.cost_price_analysis,
            "justification": to_plain(event.justification),
            "unit_price_cents": cents(event.unit_price),
            "list_unit_price_cents": cents(event.list_unit_price),
            "total_value_cents": cents(event.total_value),
            "term_start": event.term_start,
            "term_end": event.term_end,
            "awarded_at": awarded_at,
            "signed_at": None,
            "status": "awaiting_signature",
            "end_reason": None,
        }
        rows = [{**contract, **self._party(share, awarded_at)} for share in event.allocations]
        if rows:
            conn.execute(insert(award_register), rows)

    def _contract_signed(self, conn: Connection, event: ContractSigned, _: int) -> None:
        signed_at = utc(event.timestamp)
        self._update_contract(conn, event.originator_id, status="active", signed_at=signed_at)

    def _contract_amended(self, conn: Connection, event: ContractAmended, _: int) -> None:
        changes = event.changes
        values: dict[str, Any] = {}
        if "unit_price" in changes:
            values["unit_price_cents"] = cents(changes["unit_price"])
        if "total_value" in changes:
            values["total_value_cents"] = cents(changes["total_value"])
        if "term_end" in changes:
            values["term_end"] = changes["term_end"]
        if values:
            self._update_contract(conn, event.originator_id, **values)
        if "allocations" in changes:
            moment = utc(event.timestamp)
            self._write_allocations(conn, event.originator_id, changes["allocations"], moment)

    def _contract_renewed(self, conn: Connection, event: ContractRenewed, _: int) -> None:
        self._update_contract(conn, event.originator_id, term_end=event.term_end)

    def _contract_ended(self, status: str) -> Handler:
        def handle(conn: Connection, event: Any, _: int) -> None:
            self._update_contract(conn, event.originator_id, status=status, end_reason=event.reason)

        return handle

    def _district_joined(self, conn: Connection, event: DistrictJoinedContract, _: int) -> None:
        contract_id = event.originator_id
        template = self._template(conn, contract_id)
        if template is None:  # no award row: nothing to join (cannot happen with a valid log)
            return
        amount = cents(event.share.amount)
        self._update_contract(
            conn, contract_id, total_value_cents=award_register.c.total_value_cents + amount
        )
        row = {**template, **self._party(event.share, utc(event.timestamp))}
        row["total_value_cents"] = template["total_value_cents"] + amount
        conn.execute(insert(award_register).values(**row))

    # Helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _update_contract(conn: Connection, contract_id: UUID, **values: Any) -> None:
        conn.execute(
            update(award_register)
            .where(award_register.c.contract_id == contract_id)
            .values(**values)
        )

    @staticmethod
    def _template(conn: Connection, contract_id: UUID) -> dict[str, Any] | None:
        """The contract's own columns, read from any one of its rows."""
        row = (
            conn.execute(
                select(award_register)
                .where(award_register.c.contract_id == contract_id)
                .order_by(award_register.c.district_id)
                .limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return {key: value for key, value in row.items() if key not in PARTY_COLUMNS}

    def _write_allocations(
        self,
        conn: Connection,
        contract_id: UUID,
        allocations: Iterable[CostShare],
        moment: datetime,
    ) -> None:
        """Make the contract's rows equal the allocations: a party keeps its row (and its
        ``joined_at``) with new seats and amount; a new party gets a row; a party no longer
        allocated loses its row."""
        template = self._template(conn, contract_id)
        if template is None:
            return
        c = award_register.c
        present = set(
            conn.execute(select(c.district_id).where(c.contract_id == contract_id)).scalars()
        )
        allocated: set[UUID] = set()
        for share in allocations:
            allocated.add(share.district_id)
            if share.district_id in present:
                conn.execute(
                    update(award_register)
                    .where(
                        award_register.c.contract_id == contract_id,
                        award_register.c.district_id == share.district_id,
                    )
                    .values(seats=share.seats, amount_cents=cents(share.amount))
                )
            else:
                row = {**template, **self._party(share, moment)}
                conn.execute(insert(award_register).values(**row))
        gone = present - allocated
        if gone:
            conn.execute(
                delete(award_register).where(
                    award_register.c.contract_id == contract_id,
                    award_register.c.district_id.in_(gone),
                )
            )
