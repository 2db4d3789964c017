"""PRODUCT rules 7, 8 and 9: what an award must record before anything is recorded. Fewer than two
responsive proposals on a formal method needs a noncompetitive justification; above the simplified
acquisition threshold a cost or price analysis; always the method's rationale, contract type, why
the winner was selected and each other offeror rejected, and the basis of the price; the award goes
to the highest-ranked responsive proposal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from events.types import ContractType, Justification, NoncompetitiveCase, ProcurementMethod
from marketplace.domain.contracts import ContractStatus
from marketplace.domain.errors import InvalidValue, NotAllowed
from marketplace.domain.solicitations import AwardDecision, Solicitation, SolicitationStatus
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    FACTS,
    TERM_END,
    TERM_START,
    Cooperative,
    per_student,
    refused,
    usd,
)

INADEQUATE = Justification(NoncompetitiveCase.INADEQUATE_COMPETITION, FACTS)


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


def _version(coop: Cooperative, solicitation: Solicitation) -> int:
    return coop.app.get_solicitation(solicitation.id).version


# Rule 7 -----------------------------------------------------------------------------------------


def test_a_formal_solicitation_with_a_single_proposal_is_awarded_only_with_a_justification(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.evaluated(points=[(90, 90)])
    version = _version(coop, solicitation)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert set(refusal.value.fields) == {"justification"}
    assert "competitive proposals drew 1 responsive proposal(s), fewer than two" in str(
        refusal.value
    )
    assert _version(coop, solicitation) == version

    contract = coop.app.award(
        coop.lead, solicitation.id, coop.decision(solicitation, justification=INADEQUATE)
    )
    assert contract.justification == INADEQUATE


def test_one_responsive_proposal_among_two_still_needs_a_justification(coop: Cooperative) -> None:
    solicitation, proposals = coop.closed_with([per_student("390.00"), per_student("380.00")])
    coop.app.declare_nonresponsive(
        coop.lead, solicitation.id, proposals[1].id, "No accessibility conformance report."
    )
    coop.score(coop.evaluators[0], solicitation, proposals[0], 90, 90)
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)
    assert [r["proposal_id"] for r in solicitation.ranking] == [proposals[0].id]

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert set(refusal.value.fields) == {"justification"}

    contract = coop.app.award(
        coop.lead, solicitation.id, coop.decision(solicitation, justification=INADEQUATE)
    )
    assert contract.justification == INADEQUATE
    assert contract.rejections[0]["proposal_id"] == proposals[1].id


def test_two_responsive_proposals_on_a_formal_solicitation_need_no_justification(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.evaluated(points=[(90, 90), (80, 70)])
    assert len(solicitation.responsive_proposal_ids()) == 2

    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert contract.justification is None


# Rule 8 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("analysis", [None, "", "   "])
def test_above_the_simplified_acquisition_threshold_an_award_needs_a_cost_or_price_analysis(
    coop: Cooperative, analysis: str | None
) -> None:
    solicitation, _ = coop.evaluated()
    assert solicitation.estimated_value > solicitation.thresholds.simplified_acquisition

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(
            coop.lead, solicitation.id, coop.decision(solicitation, cost_price_analysis=analysis)
        )
    assert set(refusal.value.fields) == {"cost_price_analysis"}

    contract = coop.app.award(
        coop.lead,
        solicitation.id,
        coop.decision(solicitation, cost_price_analysis="  Compared with three proposals.  "),
    )
    assert contract.cost_price_analysis == "Compared with three proposals."


def test_at_or_below_the_simplified_acquisition_threshold_no_analysis_is_needed(
    coop: Cooperative,
) -> None:
    # 1,200 seats at 150.00 = 180,000, estimated 200,000: both under 350,000.
    solicitation, _ = coop.closed_with(
        [per_student("150.00"), per_student("160.00"), per_student("170.00")], **coop.rfq_spec()
    )
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)

    contract = coop.app.award(
        coop.lead, solicitation.id, coop.decision(solicitation, cost_price_analysis=None)
    )

    assert contract.total_value == usd("180000.00")
    assert contract.cost_price_analysis is None


def test_an_award_whose_value_exceeds_the_threshold_needs_an_analysis_despite_a_lower_estimate(
    coop: Cooperative,
) -> None:
    # Sealed bids (stricter than the quotes 200,000 needs), estimated 200,000, but the lowest bid
    # is 1,200 seats at 300.00 = 360,000: above 350,000.
    solicitation, _ = coop.closed_with(
        [per_student("300.00"), per_student("310.00"), per_student("320.00")],
        method=ProcurementMethod.SEALED_BIDS,
        criteria=(),
        estimated_value=usd("200000"),
    )
    assert solicitation.required_method is ProcurementMethod.REQUEST_FOR_QUOTES
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(
            coop.lead, solicitation.id, coop.decision(solicitation, cost_price_analysis=None)
        )
    assert set(refusal.value.fields) == {"cost_price_analysis"}

    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert contract.total_value == usd("360000.00")


# Rule 9 -----------------------------------------------------------------------------------------


def test_an_award_without_a_method_rationale_selection_reason_or_price_basis_names_each(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.evaluated()

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(
            coop.lead,
            solicitation.id,
            coop.decision(solicitation, method_rationale="", selection_reason="  ", price_basis=""),
        )
    assert set(refusal.value.fields) == {"method_rationale", "selection_reason", "price_basis"}

    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert contract.status is ContractStatus.AWAITING_SIGNATURE


def test_an_award_needs_the_reason_each_other_offeror_was_rejected(coop: Cooperative) -> None:
    solicitation, proposals = coop.evaluated()
    winner = solicitation.ranking[0]["proposal_id"]
    others = [p.id for p in proposals if p.id != winner]

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(
            coop.lead,
            solicitation.id,
            coop.decision(solicitation, rejections={others[0]: "Lower total.", others[1]: " "}),
        )
    assert set(refusal.value.fields) == {"rejections"}
    assert str(others[1]) in refusal.value.fields["rejections"][0]

    contract = coop.app.award(
        coop.lead,
        solicitation.id,
        coop.decision(
            solicitation, rejections={others[0]: "Lower total.", others[1]: "Lowest total."}
        ),
    )
    assert {r["proposal_id"]: r["reason"] for r in contract.rejections} == {
        others[0]: "Lower total.",
        others[1]: "Lowest total.",
    }


def test_a_proposal_given_two_rejection_reasons_is_refused_naming_rejections() -> None:
    other = uuid4()

    with pytest.raises(InvalidValue) as refusal:
        AwardDecision.rejections_from([(other, "Lower total."), (other, "Late references.")])
    assert set(refusal.value.fields) == {"rejections"}
    assert str(other) in refusal.value.message

    assert AwardDecision.rejections_from([(other, "Lower total.")]) == {other: "Lower total."}


def test_an_award_with_a_term_far_from_the_day_of_the_award_is_refused_naming_it(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.evaluated()

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(
            coop.lead,
            solicitation.id,
            coop.decision(solicitation, term_start=date(1, 1, 1), term_end=date(1, 1, 2)),
        )
    assert set(refusal.value.fields) == {"term_start"}
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(
            coop.lead,
            solicitation.id,
            coop.decision(solicitation, term_end=TERM_START.replace(year=2037)),
        )
    assert set(refusal.value.fields) == {"term_end"}
    assert "at most 10 years" in refusal.value.message


def test_the_award_goes_to_the_highest_ranked_responsive_proposal(coop: Cooperative) -> None:
    solicitation, proposals = coop.evaluated()
    first, second = (r["proposal_id"] for r in solicitation.ranking[:2])
    assert first == proposals[0].id

    runner_up = coop.decision(
        solicitation,
        proposal_id=second,
        rejections={p.id: "Lower total." for p in proposals if p.id != second},
    )
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(coop.lead, solicitation.id, runner_up)
    assert set(refusal.value.fields) == {"proposal_id"}

    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert contract.proposal_id == first


def test_only_the_lead_district_s_buyer_awards(coop: Cooperative) -> None:
    solicitation, _ = coop.evaluated()

    with refused(NotAllowed, coop.app):
        coop.app.award(coop.buyers[1], solicitation.id, coop.decision(solicitation))

    assert coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation)).id


def test_the_contract_records_everything_the_award_decided(coop: Cooperative) -> None:
    solicitation, proposals = coop.evaluated()
    decision = coop.decision(solicitation, contract_type=ContractType.FIRM_FIXED_PRICE)

    contract = coop.app.award(coop.lead, solicitation.id, decision)

    assert contract.solicitation_id == solicitation.id
    assert contract.consortium_id == coop.consortium_id
    assert contract.lead_district_id == coop.districts[0].id
    assert (contract.proposal_id, contract.provider_id) == (proposals[0].id, coop.provider_id(0))
    assert contract.offering_ids == (coop.offerings[0].id,)
    assert contract.method is ProcurementMethod.COMPETITIVE_PROPOSALS
    assert contract.contract_type is ContractType.FIRM_FIXED_PRICE
    assert contract.method_rationale == decision.method_rationale
    assert contract.selection_reason == decision.selection_reason
    assert contract.price_basis == decision.price_basis
    assert contract.cost_price_analysis == decision.cost_price_analysis
    assert sorted(contract.rejections, key=lambda r: str(r["proposal_id"])) == sorted(
        (
            {"proposal_id": p.id, "provider_id": p.provider_id, "reason": "Lower weighted total."}
            for p in proposals[1:]
        ),
        key=lambda r: str(r["proposal_id"]),
    )
    assert (contract.term_start, contract.term_end) == (TERM_START, TERM_END)
    assert contract.unit_price == Decimal("360.00")
    awarded = coop.app.get_solicitation(solicitation.id)
    assert (awarded.status, awarded.contract_id) == (SolicitationStatus.AWARDED, contract.id)


# The demand's districts are still members at the award ------------------------------------------


def test_an_award_is_refused_naming_each_district_in_the_demand_that_left_the_consortium(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.evaluated()
    departed = [coop.districts[1].id, coop.districts[2].id]
    for buyer, district_id in zip(coop.buyers[1:], departed):
        coop.app.remove_consortium_member(buyer, coop.consortium_id, district_id)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))

    assert refusal.value.fields == {
        "lines": [f"district {d} is no longer a member of the consortium" for d in departed]
    }
    assert all(str(d) in refusal.value.message for d in departed)
    assert "rejoined" in refusal.value.message
    assert "cancel this solicitation" in refusal.value.message
    after = coop.app.get_solicitation(solicitation.id)
    assert (after.status, after.contract_id) == (SolicitationStatus.EVALUATED, None)


def test_once_the_departed_district_rejoins_the_award_gives_it_its_seats_and_cost_share(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.evaluated()
    buyer, district = coop.buyers[2], coop.districts[2]
    coop.app.remove_consortium_member(buyer, coop.consortium_id, district.id)
    with refused(InvalidValue, coop.app):
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))

    coop.app.add_consortium_member(buyer, coop.consortium_id, district.id)
    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))

    assert {a.district_id: a.seats for a in contract.allocations} == {
        d.id: 400 for d in coop.districts
    }


def test_a_district_that_left_before_the_deadline_is_amended_out_of_the_demand_then_awarded(
    coop: Cooperative,
) -> None:
    solicitation = coop.published()
    coop.app.remove_consortium_member(coop.buyers[2], coop.consortium_id, coop.districts[2].id)
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.amend_solicitation(
            coop.lead, solicitation.id, {"description": "Grades 6-8."}, "Clarify the grades."
        )
    assert set(refusal.value.fields) == {"lines.0.demand.2.district_id"}

    remaining = coop.spec(seats=(400, 400))["lines"]
    rationale = "White Sulphur Springs left the consortium."
    coop.app.amend_solicitation(coop.lead, solicitation.id, {"lines": remaining}, rationale)
    proposals = [coop.submit(n, solicitation) for n in range(2)]
    solicitation = coop.close(solicitation, proposals)
    for proposal, (price, approach) in zip(proposals, [(90, 90), (80, 70)]):
        coop.score(coop.evaluators[0], solicitation, proposal, price, approach)
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)
    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))

    assert {a.district_id: a.seats for a in contract.allocations} == {
        d.id: 400 for d in coop.districts[:2]
    }
