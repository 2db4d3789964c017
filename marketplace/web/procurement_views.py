"""Plain documents for procurement resources, rendered from their aggregates.

Single procurement resources are read from the event store, not from a projection: the record
is small, always current (a buyer reads its own write at once) and can be read as of any earlier
version, which auditors need. Lists and searches read projections.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import events

from events.plain import in_utc, iso_utc, to_plain
from marketplace.domain.contracts import Contract
from marketplace.domain.districts import Consortium, District
from marketplace.domain.proposals import Evaluation, Proposal
from marketplace.domain.solicitations import Solicitation, SolicitationStatus
from marketplace.web.auth import current_account
from marketplace.web.services import marketplace
from projections.history import public_record, withhold_evaluation_results


def district_view(district: District) -> dict[str, Any]:
    return {
        "id": str(district.id),
        "nces_id": district.nces_id,
        "name": district.name,
        "state": district.state,
        "locale_code": district.locale_code,
        "enrollment": district.enrollment,
        "average_daily_attendance": district.average_daily_attendance,
        "rural": district.rural,
        "small": district.small,
        "version": district.version,
    }


def consortium_view(consortium: Consortium) -> dict[str, Any]:
    app = marketplace()
    members = [app.get_district(d) for d in consortium.members]
    return {
        "id": str(consortium.id),
        "name": consortium.name,
        "lead_district_id": str(consortium.lead_district_id),
        "members": [
            {
                "id": str(d.id),
                "name": d.name,
                "state": d.state,
                "rural": d.rural,
                "small": d.small,
                "enrollment": d.enrollment,
                "average_daily_attendance": d.average_daily_attendance,
            }
            for d in members
        ],
        "totals": {
            "members": len(members),
            "enrollment": sum(d.enrollment for d in members),
            "average_daily_attendance": sum(d.average_daily_attendance for d in members),
            "rural_members": sum(1 for d in members if d.rural),
            "small_members": sum(1 for d in members if d.small),
        },
        "local_thresholds": to_plain(list(consortium.local_thresholds)),
        "thresholds_today": to_plain(consortium.thresholds_on(events.now().date())),
        "version": consortium.version,
    }


def evaluation_revealed(solicitation: Solicitation) -> bool:
    """Whether the caller may see the evaluation's results (``reveals_evaluation_to``)."""
    consortium = marketplace().get_consortium(solicitation.consortium_id)
    return solicitation.reveals_evaluation_to(current_account(), consortium)


def _timeline(aggregate_id: Any, up_to_version: int, revealed: bool) -> list[dict[str, Any]]:
    entries = []
    for event in marketplace().events.get(aggregate_id, lte=up_to_version):
        event_type = event.stable_name.partition(".")[2]
        actor, said = public_record(event)
        if not revealed:
            said = withhold_evaluation_results(event_type, said)
        entry: dict[str, Any] = {
            "version": event.originator_version,
            "type": event_type,
            "at": iso_utc(event.timestamp),
            "actor": actor,
        }
        for key in ("rationale", "reason"):
            if said.get(key):
                entry[key] = said[key]
        if "changes" in said:
            entry["fields"] = sorted(said["changes"])
        entries.append(entry)
    return entries


def solicitation_view(solicitation: Solicitation) -> dict[str, Any]:
    revealed = evaluation_revealed(solicitation)
    past_deadline = solicitation.status not in (SolicitationStatus.DRAFT, SolicitationStatus.PUBLISHED)
    return {
        "id": str(solicitation.id),
        "consortium_id": str(solicitation.consortium_id),
        "status": solicitation.status.value,
        "title": solicitation.title,
        "description": solicitation.description,
        "method": solicitation.method.value,
        "required_method": solicitation.required_method.value,
        "thresholds": to_plain(solicitation.thresholds),
        "justification": to_plain(solicitation.justification),
        "estimated_value": str(solicitation.estimated_value),
        "lines": to_plain(list(solicitation.lines)),
        "total_seats": solicitation.total_seats(),
        "criteria": to_plain(list(solicitation.criteria)),
        "questions_due": iso_utc(solicitation.questions_due),
        "proposals_due": iso_utc(solicitation.proposals_due),
        "joining_policy": solicitation.joining_policy.value,
        "invited_provider_ids": [str(p) for p in solicitation.invited_provider_ids],
        "published_at": iso_utc(solicitation.published_at),
        "amendments": solicitation.amendments,
        "questions": [
            {
                "id": str(q.id),
                "text": q.text,
                "asked_at": iso_utc(q.asked_at),
                "answer": q.answer,
                "answered_at": iso_utc(q.answered_at),
            }
            for q in solicitation.questions.values()
        ],
        "evaluator_ids": [str(e) for e in solicitation.evaluator_ids] if revealed else [],
        # Sealed: not even a count before the deadline has been recorded.
        "opened_proposals": len(solicitation.opened_proposal_ids) if past_deadline else None,
        "nonresponsive": (
            [{"proposal_id": str(p), "reason": r} for p, r in solicitation.nonresponsive.items()]
            if revealed and past_deadline
            else None
        ),
        "ranking": to_plain(list(solicitation.ranking)) if revealed and solicitation.ranking else None,
        "contract_id": str(solicitation.contract_id) if solicitation.contract_id else None,
        "version": solicitation.version,
        "created_at": iso_utc(solicitation.created_on),
        "updated_at": iso_utc(solicitation.modified_on),
        "timeline": _timeline(solicitation.id, solicitation.version, revealed),
    }


def proposal_view(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": str(proposal.id),
        "solicitation_id": str(proposal.solicitation_id),
        "provider_id": str(proposal.provider_id),
        "status": "withdrawn" if proposal.withdrawn else "submitted",
        "offering_ids": [str(o) for o in proposal.offering_ids],
        "pricing": to_plain(proposal.pricing),
        "narrative": proposal.narrative,
        "withdrawal_reason": proposal.withdrawal_reason,
        "version": proposal.version,
        "submitted_at": iso_utc(proposal.created_on),
        "updated_at": iso_utc(proposal.modified_on),
    }


def evaluation_view(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": str(evaluation.id),
        "solicitation_id": str(evaluation.solicitation_id),
        "evaluator_id": str(evaluation.evaluator_id),
        "statement": evaluation.statement,
        "offerors": None if evaluation.offerors is None else to_plain(list(evaluation.offerors)),
        "scores": {str(p): to_plain(list(s)) for p, s in evaluation.scores.items()},
        "version": evaluation.version,
    }


def contract_privacy(contract: Contract, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Per party district: is it covered today (or on the day of ``as_of``, by the agreements
    the provider had recorded by then) by a signed privacy agreement of the provider (flagged
    when not), and was student data access granted (PRODUCT rule 11)."""
    app = marketplace()
    if as_of is None:
        provider = app.get_provider(contract.provider_id)
        today = events.now().date()
    else:  # the provider registered before any contract of its was awarded
        version = app.version_at(contract.provider_id, as_of)
        provider = app.get_provider(contract.provider_id, version)
        today = in_utc(as_of).date()
    statuses = []
    for share in contract.allocations:
        district = app.get_district(share.district_id)
        agreement = provider.covers(district.id, district.state, today)
        granted = share.district_id in contract.student_data_access
        access = "not_granted" if not granted else "granted" if agreement is not None else "suspended"
        statuses.append(
            {
                "district_id": str(district.id),
                "state": district.state,
                "covered": agreement is not None,
                "agreement_id": str(agreement.id) if agreement is not None else None,
                "flagged": agreement is None,
                "student_data_access": access,
            }
        )
    return statuses


def contract_view(contract: Contract, as_of: datetime | None = None) -> dict[str, Any]:
    """The contract; with ``as_of``, its privacy status as it stood then too."""
    seats = sum(a.seats for a in contract.allocations)
    saving = (contract.list_unit_price - contract.unit_price) * seats
    return {
        "id": str(contract.id),
        "status": contract.status.value,
        "solicitation_id": str(contract.solicitation_id) if contract.solicitation_id else None,
        "consortium_id": str(contract.consortium_id) if contract.consortium_id else None,
        "lead_district_id": str(contract.lead_district_id),
        "provider_id": str(contract.provider_id),
        "proposal_id": str(contract.proposal_id) if contract.proposal_id else None,
        "offering_ids": [str(o) for o in contract.offering_ids],
        "award": {
            "method": contract.method.value,
            "method_rationale": contract.method_rationale,
            "selection_reason": contract.selection_reason,
            "rejections": to_plain(list(contract.rejections)),
            "price_basis": contract.price_basis,
            "cost_price_analysis": contract.cost_price_analysis,
            "justification": to_plain(contract.justification),
        },
        "contract_type": contract.contract_type.value,
        "term_start": contract.term_start.isoformat(),
        "term_end": contract.term_end.isoformat(),
        "list_unit_price": str(contract.list_unit_price),
        "unit_price": str(contract.unit_price),
        "total_value": str(contract.total_value),
        # the analysis behind the value as it stands: the award's, or one an amendment recorded
        "cost_price_analysis": contract.current_cost_price_analysis,
        "saving_against_list": str(saving.quantize(Decimal("0.01"))),
        "allocations": to_plain(list(contract.allocations)),
        "joining_policy": contract.joining_policy.value,
        "signatory": contract.signatory,
        "signed_at": iso_utc(contract.signed_at),
        "end_reason": contract.end_reason,
        "version": contract.version,
        "awarded_at": iso_utc(contract.awarded_at),
        "privacy": contract_privacy(contract, as_of),
    }
