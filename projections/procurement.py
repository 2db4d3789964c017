"""The procurement read model: districts, consortia and their members, solicitations, the internal
proposal index, contracts and their party districts.

Solicitation rows never carry proposal data, counts or providers (PRODUCT rule 3: proposals are
sealed until the deadline). ``proposal_index`` exists for the deadline scheduler and for a
provider listing its own proposals; no public query reads it.

Datetimes are stored in UTC: SQLite keeps no zone, and a deadline given with another offset must
still compare correctly with ``now``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum
from typing import Any, Iterable
from uuid import UUID

from sqlalchemy import Connection, delete, insert, select, update

from events.contracts import (
    ContractAmended,
    ContractAwardCancelled,
    ContractAwarded,
    ContractRenewed,
    ContractSigned,
    ContractTerminated,
    DistrictJoinedContract,
    StudentDataAccessGranted,
)
from events.districts import (
    ConsortiumFormed,
    ConsortiumMemberJoined,
    ConsortiumMemberLeft,
    ConsortiumThresholdsSet,
    DistrictRegistered,
)
from events.plain import to_plain
from events.solicitations import (
    EvaluatorNamed,
    ProposalDeclaredNonresponsive,
    ProposalResubmitted,
    ProposalRevised,
    ProposalSubmitted,
    ProposalWithdrawn,
    QuestionAnswered,
    QuestionAsked,
    SolicitationAmended,
    SolicitationAwardCancelled,
    SolicitationAwarded,
    SolicitationCancelled,
    SolicitationClosed,
    SolicitationDeclaredUnsuccessful,
    SolicitationDrafted,
    SolicitationEvaluated,
    SolicitationPublished,
    SolicitationRevised,
)
from marketplace.domain.districts import RURAL_LOCALES, SMALL_ADA_LIMIT
from projections.runner import Handler, Projection
from projections.tables import (
    consortia,
    consortium_members,
    contract_offerings,
    contract_parties,
    contracts,
    districts,
    proposal_index,
    solicitations,
)


def cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_HALF_EVEN))


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def plain_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


# How a solicitation's specification fields (as drafted, revised or amended) map to columns; the
# rest (description, lines, criteria, ...) are not part of this read model.
SOLICITATION_COLUMNS = {
    "title": ("title", str),
    "estimated_value": ("estimated_value_cents", cents),
    "method": ("method", plain_value),
    "required_method": ("required_method", plain_value),
    "questions_due": ("questions_due", utc),
    "proposals_due": ("proposals_due", utc),
    "joining_policy": ("joining_policy", plain_value),
}


def solicitation_columns(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        column: convert(fields[name])
        for name, (column, convert) in SOLICITATION_COLUMNS.items()
        if name in fields
    }


class ProcurementProjection(Projection):
    name = "procurement"
    # Parents before children: reset deletes in reverse order.
    tables = (
        districts,
        consortia,
        consortium_members,
        solicitations,
        proposal_index,
        contracts,
        contract_parties,
        contract_offerings,
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            DistrictRegistered: self._district_registered,
            ConsortiumFormed: self._consortium_formed,
            ConsortiumMemberJoined: self._member_joined,
            ConsortiumMemberLeft: self._member_left,
            ConsortiumThresholdsSet: self._thresholds_set,
            SolicitationDrafted: self._solicitation_drafted,
            SolicitationRevised: self._solicitation_changed,
            SolicitationAmended: self._solicitation_changed,
            SolicitationPublished: self._solicitation_published,
            QuestionAsked: self._question_asked,
            SolicitationClosed: self._solicitation_closed,
            SolicitationEvaluated: self._status("evaluated"),
            SolicitationAwarded: self._status("awarded"),
            SolicitationAwardCancelled: self._status("evaluated"),
            SolicitationCancelled: self._status("cancelled"),
            SolicitationDeclaredUnsuccessful: self._status("unsuccessful"),
            # These change nothing stored here but the version, which clients send back as the
            # expected version of their next command.
            QuestionAnswered: self._solicitation_touched,
            EvaluatorNamed: self._solicitation_touched,
            ProposalDeclaredNonresponsive: self._solicitation_touched,
            ProposalSubmitted: self._proposal_submitted,
            ProposalRevised: self._proposal_revised,
            ProposalWithdrawn: self._proposal_withdrawn,
            ProposalResubmitted: self._proposal_resubmitted,
            ContractAwarded: self._contract_awarded,
            ContractSigned: self._contract_signed,
            ContractAmended: self._contract_amended,
            ContractRenewed: self._contract_renewed,
            ContractTerminated: self._contract_status("terminated"),
            ContractAwardCancelled: self._contract_status("cancelled"),
            DistrictJoinedContract: self._district_joined_contract,
            StudentDataAccessGranted: self._contract_touched,  # the version only
        }

    # Districts and consortia -----------------------------------------------------------------

    @staticmethod
    def _district_registered(conn: Connection, event: DistrictRegistered, _: int) -> None:
        conn.execute(
            insert(districts).values(
                id=event.originator_id,
                nces_id=event.nces_id,
                name=event.name,
                state=event.state,
                locale_code=event.locale_code,
                enrollment=event.enrollment,
                average_daily_attendance=event.average_daily_attendance,
                rural=event.locale_code in RURAL_LOCALES,
                small=event.average_daily_attendance < SMALL_ADA_LIMIT,
                registered_at=utc(event.timestamp),
                version=event.originator_version,
            )
        )

    @staticmethod
    def _consortium_formed(conn: Connection, event: ConsortiumFormed, _: int) -> None:
        conn.execute(
            insert(consortia).values(
                id=event.originator_id,
                name=event.name,
                lead_district_id=event.lead_district_id,
                formed_at=utc(event.timestamp),
                version=event.originator_version,
                local_thresholds=[],
            )
        )
        conn.execute(
            insert(consortium_members).values(
                consortium_id=event.originator_id,
                district_id=event.lead_district_id,
                joined_at=utc(event.timestamp),
            )
        )

    def _member_joined(self, conn: Connection, event: ConsortiumMemberJoined, _: int) -> None:
        conn.execute(
            insert(consortium_members).values(
                consortium_id=event.originator_id,
                district_id=event.district_id,
                joined_at=utc(event.timestamp),
            )
        )
        self._touch_consortium(conn, event)

    def _member_left(self, conn: Connection, event: ConsortiumMemberLeft, _: int) -> None:
        conn.execute(
            delete(consortium_members).where(
                consortium_members.c.consortium_id == event.originator_id,
                consortium_members.c.district_id == event.district_id,
            )
        )
        self._touch_consortium(conn, event)

    def _thresholds_set(self, conn: Connection, event: ConsortiumThresholdsSet, _: int) -> None:
        current = conn.execute(
            select(consortia.c.local_thresholds).where(consortia.c.id == event.originator_id)
        ).scalar_one()
        self._touch_consortium(conn, event, local_thresholds=[*current, to_plain(event.thresholds)])

    @staticmethod
    def _touch_consortium(conn: Connection, event: Any, **values: Any) -> None:
        conn.execute(
            update(consortia)
            .where(consortia.c.id == event.originator_id)
            .values(version=event.originator_version, **values)
        )

    # Solicitations ---------------------------------------------------------------------------

    @staticmethod
    def _solicitation_drafted(conn: Connection, event: SolicitationDrafted, _: int) -> None:
        conn.execute(
            insert(solicitations).values(
                id=event.originator_id,
                consortium_id=event.consortium_id,
                status="draft",
                drafted_at=utc(event.timestamp),
                amendments=0,
                question_count=0,
                updated_at=utc(event.timestamp),
                version=event.originator_version,
                **solicitation_columns(vars(event)),
            )
        )

    def _solicitation_changed(
        self, conn: Connection, event: SolicitationRevised | SolicitationAmended, _: int
    ) -> None:
        values = solicitation_columns(event.changes)
        if isinstance(event, SolicitationAmended):
            values["amendments"] = solicitations.c.amendments + 1
        self._touch_solicitation(conn, event, **values)

    def _solicitation_published(
        self, conn: Connection, event: SolicitationPublished, _: int
    ) -> None:
        self._touch_solicitation(conn, event, status="published", published_at=utc(event.timestamp))

    def _question_asked(self, conn: Connection, event: QuestionAsked, _: int) -> None:
        self._touch_solicitation(conn, event, question_count=solicitations.c.question_count + 1)

    def _solicitation_closed(self, conn: Connection, event: SolicitationClosed, _: int) -> None:
        self._touch_solicitation(conn, event, status="closed", closed_at=utc(event.timestamp))

    def _status(self, status: str) -> Handler:
        def handle(conn: Connection, event: Any, _: int) -> None:
            self._touch_solicitation(conn, event, status=status)

        return handle

    def _solicitation_touched(self, conn: Connection, event: Any, _: int) -> None:
        self._touch_solicitation(conn, event)

    @staticmethod
    def _touch_solicitation(conn: Connection, event: Any, **values: Any) -> None:
        conn.execute(
            update(solicitations)
            .where(solicitations.c.id == event.originator_id)
            .values(version=event.originator_version, updated_at=utc(event.timestamp), **values)
        )

    # Proposals (internal index only) ---------------------------------------------------------

    @staticmethod
    def _proposal_submitted(conn: Connection, event: ProposalSubmitted, _: int) -> None:
        conn.execute(
            insert(proposal_index).values(
                id=event.originator_id,
                solicitation_id=event.solicitation_id,
                provider_id=event.provider_id,
                status="submitted",
                submitted_at=utc(event.timestamp),
                updated_at=utc(event.timestamp),
            )
        )

    def _proposal_revised(self, conn: Connection, event: ProposalRevised, _: int) -> None:
        self._touch_proposal(conn, event)

    def _proposal_withdrawn(self, conn: Connection, event: ProposalWithdrawn, _: int) -> None:
        self._touch_proposal(conn, event, status="withdrawn")

    def _proposal_resubmitted(self, conn: Connection, event: ProposalResubmitted, _: int) -> None:
        self._touch_proposal(conn, event, status="submitted")

    @staticmethod
    def _touch_proposal(conn: Connection, event: Any, **values: Any) -> None:
        conn.execute(
            update(proposal_index)
            .where(proposal_index.c.id == event.originator_id)
            .values(updated_at=utc(event.timestamp), **values)
        )

    # Contracts -------------------------------------------------------------------------------

    def _contract_awarded(self, conn: Connection, event: ContractAwarded, _: int) -> None:
        conn.execute(
            insert(contracts).values(
                id=event.originator_id,
                solicitation_id=event.solicitation_id,
                consortium_id=event.consortium_id,
                lead_district_id=event.lead_district_id,
                provider_id=event.provider_id,
                method=plain_value(event.method),
                contract_type=plain_value(event.contract_type),
                status="awaiting_signature",
                unit_price_cents=cents(event.unit_price),
                list_unit_price_cents=cents(event.list_unit_price),
                total_value_cents=cents(event.total_value),
                term_start=event.term_start,
                term_end=event.term_end,
                awarded_at=utc(event.timestamp),
                signed_at=None,
                version=event.originator_version,
            )
        )
        self._write_parties(conn, event.originator_id, event.allocations, utc(event.timestamp))
        offering_ids = list(dict.fromkeys(event.offering_ids))
        if offering_ids:
            conn.execute(
                insert(contract_offerings),
                [{"contract_id": event.originator_id, "offering_id": o} for o in offering_ids],
            )

    def _contract_signed(self, conn: Connection, event: ContractSigned, _: int) -> None:
        self._touch_contract(conn, event, status="active", signed_at=utc(event.timestamp))

    def _contract_amended(self, conn: Connection, event: ContractAmended, _: int) -> None:
        changes = event.changes
        values: dict[str, Any] = {}
        if "unit_price" in changes:
            values["unit_price_cents"] = cents(changes["unit_price"])
        if "total_value" in changes:
            values["total_value_cents"] = cents(changes["total_value"])
        if "term_end" in changes:
            values["term_end"] = changes["term_end"]
        if "allocations" in changes:
            moment = utc(event.timestamp)
            self._write_parties(conn, event.originator_id, changes["allocations"], moment)
        self._touch_contract(conn, event, **values)

    def _contract_renewed(self, conn: Connection, event: ContractRenewed, _: int) -> None:
        self._touch_contract(conn, event, term_end=event.term_end)

    def _contract_status(self, status: str) -> Handler:
        def handle(conn: Connection, event: Any, _: int) -> None:
            self._touch_contract(conn, event, status=status)

        return handle

    def _district_joined_contract(
        self, conn: Connection, event: DistrictJoinedContract, _: int
    ) -> None:
        share = event.share
        conn.execute(
            insert(contract_parties).values(
                contract_id=event.originator_id,
                district_id=share.district_id,
                seats=share.seats,
                amount_cents=cents(share.amount),
                joined_at=utc(event.timestamp),
            )
        )
        self._touch_contract(
            conn, event, total_value_cents=contracts.c.total_value_cents + cents(share.amount)
        )

    def _contract_touched(self, conn: Connection, event: Any, _: int) -> None:
        self._touch_contract(conn, event)

    @staticmethod
    def _touch_contract(conn: Connection, event: Any, **values: Any) -> None:
        conn.execute(
            update(contracts)
            .where(contracts.c.id == event.originator_id)
            .values(version=event.originator_version, **values)
        )

    @staticmethod
    def _write_parties(
        conn: Connection, contract_id: UUID, allocations: Iterable[Any], moment: datetime
    ) -> None:
        """Make the contract's parties equal the allocations; a party keeps its ``joined_at``."""
        joined = dict(
            conn.execute(
                select(contract_parties.c.district_id, contract_parties.c.joined_at).where(
                    contract_parties.c.contract_id == contract_id
                )
            ).all()
        )
        conn.execute(delete(contract_parties).where(contract_parties.c.contract_id == contract_id))
        rows = [
            {
                "contract_id": contract_id,
                "district_id": share.district_id,
                "seats": share.seats,
                "amount_cents": cents(share.amount),
                "joined_at": joined.get(share.district_id, moment),
            }
            for share in allocations
        ]
        if rows:
            conn.execute(insert(contract_parties), rows)
