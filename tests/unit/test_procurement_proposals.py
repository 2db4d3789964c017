"""PRODUCT rules 3 and 4: proposals are sealed until the deadline, and nothing is accepted, revised
or withdrawn after it, judged by the clock when the command runs (even before the scheduler closes
the solicitation). Who may propose: on a solicitation that names invited providers (a request for
quotes, or a noncompetitive one), those only; with their own published offerings, once per
solicitation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.types import ProcurementMethod, Role
from marketplace.domain.districts import Consortium
from marketplace.domain.errors import (
    AuthenticationRequired,
    InvalidValue,
    NotAllowed,
    NotFound,
    WrongState,
)
from marketplace.domain.offerings import OfferingStatus
from marketplace.domain.proposals import Proposal
from marketplace.domain.solicitations import ProposalAfterDeadline, Solicitation, SolicitationStatus
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    Cooperative,
    offering_details,
    per_student,
    refused,
    single_source,
    usd,
)


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def open_solicitation(coop: Cooperative) -> Solicitation:
    """Published, with one named evaluator and provider 0's proposal in."""
    solicitation = coop.published()
    coop.submit(0, solicitation)
    return solicitation


@pytest.fixture
def consortium(coop: Cooperative, open_solicitation: Solicitation) -> Consortium:
    return coop.app.get_consortium(open_solicitation.consortium_id)


# No proposal accepted, revised or withdrawn after the deadline ---------------------------------


def test_a_proposal_at_the_deadline_is_refused_although_the_solicitation_is_not_yet_closed(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    coop.clock.moment = open_solicitation.proposals_due - timedelta(seconds=1)
    coop.submit(1, open_solicitation)
    coop.at_deadline(open_solicitation)

    with refused(ProposalAfterDeadline, coop.app):
        coop.submit(2, open_solicitation)
    assert coop.app.get_solicitation(open_solicitation.id).status is SolicitationStatus.PUBLISHED


def test_a_proposal_cannot_be_revised_after_the_deadline(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    proposal_id = coop.submit(1, open_solicitation).id
    revised = coop.app.revise_proposal(
        coop.providers[1], proposal_id, None, per_student("385.00"), None
    )
    assert revised.pricing.list_price == usd("385.00")
    coop.at_deadline(open_solicitation)

    with refused(ProposalAfterDeadline, coop.app):
        coop.app.revise_proposal(coop.providers[1], proposal_id, None, per_student("300.00"), None)
    assert coop.app.get_proposal(proposal_id).pricing.list_price == usd("385.00")


def test_a_proposal_cannot_be_withdrawn_after_the_deadline(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    early = coop.submit(1, open_solicitation)
    late = coop.submit(2, open_solicitation)
    assert coop.app.withdraw_proposal(coop.providers[1], early.id, "Capacity").withdrawn
    coop.at_deadline(open_solicitation)

    with refused(ProposalAfterDeadline, coop.app):
        coop.app.withdraw_proposal(coop.providers[2], late.id, "Changed our mind")
    assert not coop.app.get_proposal(late.id).withdrawn


# Sealed until the deadline ---------------------------------------------------------------------


def test_before_the_deadline_the_lead_buyer_may_not_read_proposals(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    before = open_solicitation.proposals_due - timedelta(microseconds=1)

    assert not open_solicitation.may_read_proposals(coop.lead, consortium, False, before)
    assert open_solicitation.may_read_proposals(
        coop.lead, consortium, False, open_solicitation.proposals_due
    )


def test_before_the_deadline_even_an_attested_evaluator_may_not_read_proposals(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    evaluator = coop.evaluators[0]
    assert evaluator.id in open_solicitation.evaluator_ids
    before = open_solicitation.proposals_due - timedelta(microseconds=1)

    assert not open_solicitation.may_read_proposals(evaluator, consortium, True, before)
    assert open_solicitation.may_read_proposals(
        evaluator, consortium, True, open_solicitation.proposals_due
    )


def test_nobody_anonymous_may_read_proposals_before_or_after_the_deadline(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    after = open_solicitation.proposals_due + timedelta(days=1)

    assert not open_solicitation.may_read_proposals(None, consortium, False, coop.clock.moment)
    assert not open_solicitation.may_read_proposals(None, consortium, True, after)
    assert open_solicitation.may_read_proposals(coop.lead, consortium, False, after)


def test_after_the_deadline_a_named_evaluator_reads_proposals_only_once_attested(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    evaluator = coop.evaluators[0]
    after = open_solicitation.proposals_due + timedelta(days=1)

    assert not open_solicitation.may_read_proposals(evaluator, consortium, False, after)
    assert open_solicitation.may_read_proposals(evaluator, consortium, True, after)


def test_after_the_deadline_another_provider_may_not_read_proposals(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    after = open_solicitation.proposals_due + timedelta(days=1)

    assert not open_solicitation.may_read_proposals(coop.providers[1], consortium, True, after)
    assert open_solicitation.may_read_proposals(coop.lead, consortium, False, after)


def test_after_the_deadline_a_member_district_s_buyer_who_is_not_the_lead_may_not_read_them(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    after = open_solicitation.proposals_due + timedelta(days=1)

    assert not open_solicitation.may_read_proposals(coop.buyers[1], consortium, False, after)
    assert open_solicitation.may_read_proposals(coop.buyers[0], consortium, False, after)


def test_reading_proposals_without_an_account_needs_authentication_before_or_after_the_deadline(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    after = open_solicitation.proposals_due + timedelta(days=1)

    for now in (coop.clock.moment, after):
        with pytest.raises(AuthenticationRequired):
            open_solicitation.require_may_read_proposals(None, consortium, False, now)


def test_a_refusal_to_read_proposals_says_sealed_before_the_deadline_and_who_reads_after_it(
    coop: Cooperative, open_solicitation: Solicitation, consortium: Consortium
) -> None:
    before, after = coop.clock.moment, open_solicitation.proposals_due + timedelta(days=1)

    with pytest.raises(NotAllowed, match="sealed until the deadline"):
        open_solicitation.require_may_read_proposals(coop.lead, consortium, False, before)
    with pytest.raises(NotAllowed, match="after the deadline only the lead"):
        open_solicitation.require_may_read_proposals(coop.buyers[1], consortium, False, after)
    with pytest.raises(WrongState, match="opened when its closing is recorded"):  # not yet
        open_solicitation.require_may_read_proposals(coop.lead, consortium, False, after)
    closed = coop.close(open_solicitation, [])
    closed.require_may_read_proposals(coop.lead, consortium, False, after)


def test_before_the_deadline_reading_a_proposal_finds_nothing_for_anyone_but_its_author(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    proposal = coop.submit(1, open_solicitation)
    proposal_id = proposal.id

    for reader in (coop.lead, coop.evaluators[0], coop.providers[0], coop.buyers[2], None):
        with refused(NotFound, coop.app):
            coop.app.read_proposal(reader, proposal_id)
    assert coop.app.read_proposal(coop.providers[1], proposal_id).id == proposal_id

    coop.pass_deadline(open_solicitation)
    with refused(NotFound, coop.app):  # past the deadline, but not opened until the closing
        coop.app.read_proposal(coop.lead, proposal_id)
    coop.close(open_solicitation, [proposal])
    assert coop.app.read_proposal(coop.lead, proposal_id).id == proposal_id


def test_after_the_deadline_reading_a_proposal_needs_the_evaluator_s_attestation(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    proposal = coop.submit(1, open_solicitation)
    proposal_id = proposal.id
    evaluator = coop.evaluators[0]
    coop.close(open_solicitation, [proposal])

    with refused(NotFound, coop.app):
        coop.app.read_proposal(evaluator, proposal_id)

    coop.app.attest(evaluator, open_solicitation.id, "I have no conflict of interest.")
    assert coop.app.read_proposal(evaluator, proposal_id).id == proposal_id


# Who may propose -------------------------------------------------------------------------------


def test_only_invited_providers_may_answer_a_request_for_quotes(coop: Cooperative) -> None:
    outsider, outsider_offering = coop.add_provider(
        "84-9000009", "Outsider", per_student("300.00")
    )
    solicitation = coop.draft(**coop.rfq_spec())
    coop.app.publish_solicitation(coop.lead, solicitation.id)

    with refused(NotAllowed, coop.app) as refusal:
        coop.app.submit_proposal(
            outsider, solicitation.id, [outsider_offering.id], per_student("300.00"), "Cheaper."
        )
    assert "request for quotes" in str(refusal.value)

    proposal = coop.submit(2, solicitation)
    assert proposal.provider_id == coop.provider_id(2)


def test_only_a_registered_provider_that_may_propose_asks_a_question(coop: Cooperative) -> None:
    unregistered, _ = coop.app.open_account(None, Role.PROVIDER, "Not yet registered")
    outsider, _ = coop.add_provider("84-9000009", "Outsider", per_student("300.00"))
    solicitation = coop.draft(**coop.rfq_spec())
    coop.app.publish_solicitation(coop.lead, solicitation.id)

    with refused(NotAllowed, coop.app) as refusal:
        coop.app.ask_question(unregistered, solicitation.id, "Is offline use required?")
    assert "register your provider" in str(refusal.value)
    with refused(NotAllowed, coop.app) as refusal:
        coop.app.ask_question(outsider, solicitation.id, "Is offline use required?")
    assert "invited providers only" in str(refusal.value)

    asked = coop.app.ask_question(coop.providers[1], solicitation.id, "Is offline use required?")
    assert [q.text for q in asked.questions.values()] == ["Is offline use required?"]


def test_a_noncompetitive_solicitation_naming_its_source_refuses_others_saying_so(
    coop: Cooperative,
) -> None:
    solicitation = coop.draft(
        method=ProcurementMethod.NONCOMPETITIVE,
        criteria=(),
        justification=single_source(),
        invited_provider_ids=(coop.provider_id(0),),
    )
    coop.app.publish_solicitation(coop.lead, solicitation.id)

    with refused(NotAllowed, coop.app) as refusal:
        coop.submit(1, solicitation)
    assert "noncompetitive" in str(refusal.value)
    assert "request for quotes" not in str(refusal.value)

    proposal = coop.submit(0, solicitation)
    assert proposal.provider_id == coop.provider_id(0)


def test_a_provider_cannot_propose_another_provider_s_offering(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.submit_proposal(
            coop.providers[1],
            open_solicitation.id,
            [coop.offerings[0].id],
            per_student("390.00"),
            "We will deliver provider 0's course.",
        )
    assert set(refusal.value.fields) == {"offering_ids.0"}

    proposal = coop.submit(1, open_solicitation)
    assert proposal.offering_ids == (coop.offerings[1].id,)


def test_a_provider_cannot_propose_an_unpublished_offering(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    unpublished = coop.app.draft_offering(
        coop.providers[1], offering_details("Provider 1 Science", per_student("200.00"))
    )
    assert unpublished.status is OfferingStatus.DRAFT

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.submit_proposal(
            coop.providers[1],
            open_solicitation.id,
            [coop.offerings[1].id, unpublished.id],
            per_student("390.00"),
            "Math and science together.",
        )
    assert set(refusal.value.fields) == {"offering_ids.1"}

    assert coop.submit(1, open_solicitation).offering_ids == (coop.offerings[1].id,)


def test_a_provider_makes_one_proposal_per_solicitation_and_revises_it_instead(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    first = coop.app.get_proposal(Proposal.id_for(open_solicitation.id, coop.provider_id(0)))

    with refused(WrongState, coop.app, first) as refusal:
        coop.submit(0, open_solicitation, per_student("350.00"))
    assert set(refusal.value.fields) == {"solicitation_id"}

    revised = coop.app.revise_proposal(
        coop.providers[0], first.id, None, per_student("350.00"), None
    )
    assert (revised.id, revised.pricing.list_price) == (first.id, usd("350.00"))

