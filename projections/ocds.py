"""Open Contracting Data Standard 1.1.5: one immutable release per meaningful event of a
contracting process (PRODUCT "Exports").

A solicitation is one contracting process, ``{prefix}-{solicitation id}``; a direct purchase, which
has no solicitation, is one too, ``{prefix}-{contract id}``. Its releases, tagged from the closed
releaseTag codelist:

    published                       tender
    amended                         tenderAmendment
    closed at the deadline          tenderUpdate        (the tenderers become known)
    declared unsuccessful           tenderUpdate        (tender status unsuccessful)
    cancelled                       tenderCancellation
    awarded (the contract created)  award, contract
    award cancelled                 awardCancellation
    contract signed                 contract
    contract amended or renewed     contractAmendment
    a district joined the contract  contractAmendment
    contract terminated             contractTermination

Drafts are not public and produce nothing. Each release is a full snapshot of what is public at
that moment, keyed ``{ocid}-{log position}`` and dated with the event's timestamp, and is never
rewritten: replaying the log rebuilds the same releases, byte for byte once serialised with
sorted keys.

Sealed proposal contents never reach this projection's output: of a proposal it keeps only which
provider submitted it (in ``ocds_state``, never published before the deadline's closing), and it
does not read evaluations or the ranking (scores, totals, losing prices) at all.

``ocds_state`` is the projection's working memory, one JSON document per key:
``{ocid}`` (a contracting process), ``district:{id}``, ``provider:{id}``, ``consortium:{id}``
and ``contract:{id}`` (which process a contract belongs to). It reads no other projection's
tables, so it rebuilds on its own. A release's content is built from that state by
``projections.ocds_release``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

from sqlalchemy import Connection, insert, select, update

from events.contracts import (
    ContractAmended,
    ContractAwardCancelled,
    ContractAwarded,
    ContractRenewed,
    ContractSigned,
    ContractTerminated,
    DistrictJoinedContract,
)
from events.districts import (
    ConsortiumFormed,
    ConsortiumMemberJoined,
    ConsortiumMemberLeft,
    DistrictRegistered,
)
from events.plain import iso_utc, to_plain
from events.providers import ProviderRegistered
from events.solicitations import (
    ProposalSubmitted,
    QuestionAsked,
    SolicitationAmended,
    SolicitationAwardCancelled,
    SolicitationCancelled,
    SolicitationClosed,
    SolicitationDeclaredUnsuccessful,
    SolicitationDrafted,
    SolicitationPublished,
    SolicitationRevised,
)
from projections.ocds_release import CURRENCY, build_release_content, compact, provider_ids
from projections.procurement import utc
from projections.runner import Handler, Projection
from projections.tables import ocds_releases, ocds_state

DEFAULT_OCID_PREFIX = "ocds-mkt001"

# The solicitation's public specification, as drafted, revised or amended.
SPEC_FIELDS = (
    "title",
    "description",
    "lines",
    "estimated_value",
    "method",
    "justification",
    "criteria",
    "questions_due",
    "proposals_due",
)


def ocid_for(prefix: str, process_id: Any) -> str:
    return f"{prefix}-{process_id}"


def _plain_spec(fields: dict[str, Any]) -> dict[str, Any]:
    """The public specification fields in plain JSON; datetimes in UTC."""
    out: dict[str, Any] = {}
    for name in SPEC_FIELDS:
        if name in fields:
            value = fields[name]
            out[name] = iso_utc(value) if isinstance(value, datetime) else to_plain(value)
    return out


class At:
    """The event being applied and the release it will make: what a change needs to record an
    amendment that names this release and the one before it."""

    def __init__(
        self, conn: Connection, ocid: str, process: dict[str, Any], event: Any, position: int
    ):
        self.conn = conn
        self.ocid = ocid
        self.process = process
        self.event = event
        self.position = position
        self.date = iso_utc(event.timestamp)
        self.release_id = f"{ocid}-{position}"

    def amend(self, amendments: list[dict[str, Any]], scope: str, why: str, said: str) -> None:
        amendments.append(
            compact(
                {
                    "id": f"{scope}-amendment-{len(amendments) + 1}",
                    "date": self.date,
                    "rationale": why,
                    "description": said,
                    "amendsReleaseID": self.process["last_release_id"],
                    "releaseID": self.release_id,
                }
            )
        )


Tags = list[str] | None  # the tags of the release an event makes, or None: nothing public
SolicitationChange = Callable[[At], Tags]
ContractChange = Callable[[At, dict[str, Any]], Tags]


def _new_process(kind: str, tender_id: str, consortium_id: Any, lead: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "published": False,
        "tender_id": tender_id,
        "consortium_id": None if consortium_id is None else str(consortium_id),
        "lead_district_id": lead,
        "buyers": [],
        "spec": {},
        "status": "planning",
        "published_at": None,
        "has_enquiries": False,
        "amendments": [],
        "proposals": {},  # proposal id -> provider id: internal, sealed until the closing
        "tenderers": None,  # provider ids, known from the closing on
        "contracts": [],
        "last_release_id": None,
    }


class OcdsProjection(Projection):
    name = "ocds"
    tables = (ocds_state, ocds_releases)

    def __init__(self, ocid_prefix: str = DEFAULT_OCID_PREFIX):
        if not ocid_prefix.strip():
            raise ValueError("the OCID prefix must not be blank")
        self.ocid_prefix = ocid_prefix.strip()

    def handlers(self) -> dict[type, Handler]:
        solicitation, contract = self._solicitation_event, self._contract_event
        return {
            DistrictRegistered: self._district_registered,
            ProviderRegistered: self._provider_registered,
            ConsortiumFormed: self._consortium_formed,
            ConsortiumMemberJoined: self._consortium_members,
            ConsortiumMemberLeft: self._consortium_members,
            SolicitationDrafted: self._solicitation_drafted,
            ProposalSubmitted: self._proposal_submitted,
            SolicitationRevised: solicitation(self._revised),
            SolicitationPublished: solicitation(self._published),
            SolicitationAmended: solicitation(self._amended),
            QuestionAsked: solicitation(self._question_asked),
            SolicitationClosed: solicitation(self._closed),
            # Its release comes with the contract's AwardCancelled, recorded in the same save.
            SolicitationAwardCancelled: solicitation(self._award_cancelled_on_solicitation),
            SolicitationCancelled: solicitation(self._cancelled),
            SolicitationDeclaredUnsuccessful: solicitation(self._unsuccessful),
            ContractAwarded: self._contract_awarded,
            ContractSigned: contract(self._signed),
            ContractAmended: contract(self._contract_amended),
            ContractRenewed: contract(self._renewed),
            ContractTerminated: contract(self._terminated),
            ContractAwardCancelled: contract(self._award_cancelled),
            DistrictJoinedContract: contract(self._district_joined),
        }

    # Working memory --------------------------------------------------------------------------

    @staticmethod
    def _load(conn: Connection, key: str) -> dict[str, Any] | None:
        row = conn.execute(select(ocds_state.c.document).where(ocds_state.c.ocid == key)).first()
        return None if row is None else dict(row.document)

    @staticmethod
    def _store(conn: Connection, key: str, document: dict[str, Any]) -> None:
        changed = conn.execute(
            update(ocds_state).where(ocds_state.c.ocid == key).values(document=document)
        )
        if changed.rowcount == 0:
            conn.execute(insert(ocds_state).values(ocid=key, document=document))

    def _solicitation_event(self, change: SolicitationChange) -> Handler:
        """A handler for a solicitation's event: ``change`` updates the process and returns the
        tags of the release the event makes, or None when nothing public happened."""

        def handle(conn: Connection, event: Any, position: int) -> None:
            ocid = ocid_for(self.ocid_prefix, event.originator_id)
            process = self._load(conn, ocid)
            if process is not None:
                at = At(conn, ocid, process, event, position)
                self._record(at, change(at))

        return handle

    def _contract_event(self, change: ContractChange) -> Handler:
        """A handler for a contract's event: ``change`` gets the contract's entry too."""

        def handle(conn: Connection, event: Any, position: int) -> None:
            index = self._load(conn, f"contract:{event.originator_id}")
            process = None if index is None else self._load(conn, index["ocid"])
            if index is None or process is None:
                return
            entry = next(c for c in process["contracts"] if c["id"] == str(event.originator_id))
            at = At(conn, index["ocid"], process, event, position)
            self._record(at, change(at, entry))

        return handle

    # Districts, providers, consortia: names and members for the parties ----------------------

    def _district_registered(self, conn: Connection, event: DistrictRegistered, _: int) -> None:
        district = {"name": event.name, "nces_id": event.nces_id, "state": event.state}
        self._store(conn, f"district:{event.originator_id}", district)

    def _provider_registered(self, conn: Connection, event: ProviderRegistered, _: int) -> None:
        provider = {
            "name": event.legal_name,
            "scheme": event.identifier.scheme,
            "identifier": event.identifier.id,
        }
        self._store(conn, f"provider:{event.originator_id}", provider)

    def _consortium_formed(self, conn: Connection, event: ConsortiumFormed, _: int) -> None:
        lead = str(event.lead_district_id)
        consortium = {"name": event.name, "lead_district_id": lead, "members": [lead]}
        self._store(conn, f"consortium:{event.originator_id}", consortium)

    def _consortium_members(
        self, conn: Connection, event: ConsortiumMemberJoined | ConsortiumMemberLeft, _: int
    ) -> None:
        key = f"consortium:{event.originator_id}"
        consortium = self._load(conn, key)
        if consortium is None:
            return
        members = [m for m in consortium["members"] if m != str(event.district_id)]
        if isinstance(event, ConsortiumMemberJoined):
            members.append(str(event.district_id))
        self._store(conn, key, {**consortium, "members": members})

    # Solicitations ---------------------------------------------------------------------------

    def _solicitation_drafted(self, conn: Connection, event: SolicitationDrafted, _: int) -> None:
        consortium = self._load(conn, f"consortium:{event.consortium_id}") or {}
        process = _new_process(
            "solicitation",
            str(event.originator_id),
            event.consortium_id,
            consortium.get("lead_district_id"),
        )
        process["spec"] = _plain_spec(vars(event))
        self._store(conn, ocid_for(self.ocid_prefix, event.originator_id), process)

    def _proposal_submitted(self, conn: Connection, event: ProposalSubmitted, _: int) -> None:
        ocid = ocid_for(self.ocid_prefix, event.solicitation_id)
        process = self._load(conn, ocid)
        if process is not None:
            process["proposals"][str(event.originator_id)] = str(event.provider_id)
            self._store(conn, ocid, process)

    @staticmethod
    def _revised(at: At) -> Tags:
        at.process["spec"].update(_plain_spec(at.event.changes))
        return None

    def _published(self, at: At) -> Tags:
        process = at.process
        consortium = self._load(at.conn, f"consortium:{process['consortium_id']}") or {}
        lead = process["lead_district_id"]
        others = [m for m in consortium.get("members", []) if m != lead]
        process.update(
            published=True,
            status="active",
            published_at=at.date,
            buyers=[lead, *others] if lead else others,
        )
        return ["tender"]

    @staticmethod
    def _amended(at: At) -> Tags:
        event: SolicitationAmended = at.event
        at.process["spec"].update(_plain_spec(event.changes))
        said = "Amended: " + ", ".join(sorted(event.changes))
        at.amend(at.process["amendments"], "tender", event.rationale, said)
        return ["tenderAmendment"]

    @staticmethod
    def _question_asked(at: At) -> Tags:
        at.process["has_enquiries"] = True
        return None

    @staticmethod
    def _closed(at: At) -> Tags:
        event: SolicitationClosed = at.event
        submitted = at.process["proposals"]
        opened = {submitted[str(p)] for p in event.opened_proposal_ids if str(p) in submitted}
        at.process["tenderers"] = sorted(opened)
        return ["tenderUpdate"]

    @staticmethod
    def _award_cancelled_on_solicitation(at: At) -> Tags:
        at.process["status"] = "active"
        return None

    @staticmethod
    def _cancelled(at: At) -> Tags:
        at.process["status"] = "cancelled"
        if not at.process["published"]:  # a draft, cancelled: never public
            return None
        said = "The solicitation was cancelled."
        at.amend(at.process["amendments"], "tender", at.event.reason, said)
        return ["tenderCancellation"]

    @staticmethod
    def _unsuccessful(at: At) -> Tags:
        at.process["status"] = "unsuccessful"
        said = "The solicitation was declared unsuccessful."
        at.amend(at.process["amendments"], "tender", at.event.reason, said)
        return ["tenderUpdate"]

    # Awards and contracts --------------------------------------------------------------------

    def _contract_awarded(self, conn: Connection, event: ContractAwarded, position: int) -> None:
        if event.solicitation_id is not None:
            ocid = ocid_for(self.ocid_prefix, event.solicitation_id)
            process = self._load(conn, ocid)
            if process is None:
                return
        else:  # a direct purchase: a contracting process of its own
            ocid = ocid_for(self.ocid_prefix, event.originator_id)
            lead = str(event.lead_district_id)
            process = _new_process("direct", str(event.originator_id), event.consortium_id, lead)
            process.update(published=True, buyers=[lead])
            process["spec"] = {
                "method": to_plain(event.method),
                "method_rationale": event.method_rationale,
            }
        allocations = [to_plain(share) for share in event.allocations]
        _add_buyers(process, [a["district_id"] for a in allocations])
        process["status"] = "complete"
        process["contracts"].append(
            {
                "id": str(event.originator_id),
                "provider_id": str(event.provider_id),
                "award_status": "active",
                "status": "pending",
                "awarded_at": iso_utc(event.timestamp),
                "signed_at": None,
                "selection_reason": event.selection_reason,
                "award_value": to_plain(event.total_value),
                "award_unit_price": to_plain(event.unit_price),
                "award_term_end": to_plain(event.term_end),
                "award_amendments": [],
                "value": to_plain(event.total_value),
                "unit_price": to_plain(event.unit_price),
                "term_start": to_plain(event.term_start),
                "term_end": to_plain(event.term_end),
                "seats": sum(a["seats"] for a in allocations),
                "joined": [],
                "amendments": [],
            }
        )
        self._store(conn, f"contract:{event.originator_id}", {"ocid": ocid})
        self._record(At(conn, ocid, process, event, position), ["award", "contract"])

    @staticmethod
    def _signed(at: At, contract: dict[str, Any]) -> Tags:
        contract.update(status="active", signed_at=at.date)
        return ["contract"]

    @staticmethod
    def _contract_amended(at: At, contract: dict[str, Any]) -> Tags:
        event: ContractAmended = at.event
        said = []
        for change, key, unit in (
            ("unit_price", "unit_price", f" {CURRENCY}"),
            ("total_value", "value", f" {CURRENCY}"),
            ("term_end", "term_end", ""),
        ):
            if change in event.changes:
                contract[key] = to_plain(event.changes[change])
                said.append(f"{change.replace('_', ' ')} {contract[key]}{unit}")
        if "cost_price_analysis" in event.changes:
            said.append("cost or price analysis recorded")
        scope = f"contract-{contract['id']}"
        at.amend(contract["amendments"], scope, event.rationale, "Amended: " + "; ".join(said))
        return ["contractAmendment"]

    @staticmethod
    def _renewed(at: At, contract: dict[str, Any]) -> Tags:
        event: ContractRenewed = at.event
        contract["term_end"] = to_plain(event.term_end)
        said = f"Renewed: the term now ends {contract['term_end']}"
        at.amend(contract["amendments"], f"contract-{contract['id']}", event.rationale, said)
        return ["contractAmendment"]

    @staticmethod
    def _terminated(at: At, contract: dict[str, Any]) -> Tags:
        # Ended before its signature, a contract never came into force: OCDS calls it cancelled.
        contract["status"] = "terminated" if contract["status"] == "active" else "cancelled"
        said = "The contract was terminated."
        at.amend(contract["amendments"], f"contract-{contract['id']}", at.event.reason, said)
        return ["contractTermination"]

    @staticmethod
    def _award_cancelled(at: At, contract: dict[str, Any]) -> Tags:
        contract.update(award_status="cancelled", status="cancelled")
        said = "The award was cancelled before signature."
        at.amend(contract["award_amendments"], f"award-{contract['id']}", at.event.reason, said)
        return ["awardCancellation"]

    def _district_joined(self, at: At, contract: dict[str, Any]) -> Tags:
        share = to_plain(at.event.share)
        contract["value"] = to_plain(Decimal(contract["value"]) + Decimal(share["amount"]))
        contract["joined"].append(
            {"district_id": share["district_id"], "seats": share["seats"], "at": at.date}
        )
        _add_buyers(at.process, [share["district_id"]])
        district = self._load(at.conn, f"district:{share['district_id']}") or {}
        said = (
            f"{district.get('name', share['district_id'])} joined with {share['seats']} seats "
            f"for {share['amount']} {CURRENCY}; value {contract['value']} {CURRENCY}"
        )
        why = "A district joined the contract, as its solicitation allowed."
        at.amend(contract["amendments"], f"contract-{contract['id']}", why, said)
        return ["contractAmendment"]

    # Releases --------------------------------------------------------------------------------

    def _record(self, at: At, tags: Tags) -> None:
        """Record the release the event makes (if it makes one), then remember the process."""
        conn, process = at.conn, at.process
        if tags:
            release = {
                "ocid": at.ocid,
                "id": at.release_id,
                "date": at.date,
                "tag": tags,
                "initiationType": "tender",
                "language": "en",
                **build_release_content(process, self._names(conn, process)),
            }
            conn.execute(
                insert(ocds_releases).values(
                    id=at.release_id,
                    ocid=at.ocid,
                    position=at.position,
                    date=utc(at.event.timestamp),
                    tags=tags,
                    release=release,
                )
            )
            process["last_release_id"] = at.release_id
        self._store(conn, at.ocid, process)

    def _names(self, conn: Connection, process: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Names and identifiers of the process's parties, by district or provider id."""
        keys = [f"district:{d}" for d in process["buyers"]]
        keys += [f"provider:{p}" for p in provider_ids(process)]
        if not keys:
            return {}
        rows = conn.execute(
            select(ocds_state.c.ocid, ocds_state.c.document).where(ocds_state.c.ocid.in_(keys))
        )
        return {key.partition(":")[2]: dict(document) for key, document in rows}


def _add_buyers(process: dict[str, Any], district_ids: Iterable[str]) -> None:
    process["buyers"] += [d for d in dict.fromkeys(district_ids) if d not in process["buyers"]]
