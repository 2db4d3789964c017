"""Behaviours settled after review: a method that was never chosen follows the value; withdrawn
proposals are never opened and their authors may bid again before the deadline; old stored
solicitations read back through the upcaster."""

from __future__ import annotations

from decimal import Decimal

import pytest

from events.solicitations import SolicitationDrafted
from events.types import ProcurementMethod
from marketplace.domain.errors import InvalidValue, NotFound
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    Cooperative,
    event_as_version_1,
    per_student,
    refused,
)


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


def test_a_method_that_was_never_chosen_follows_the_value_when_it_is_revised(coop: Cooperative) -> None:
    solicitation = coop.draft(estimated_value=Decimal("20000"), criteria=(), method=None)
    assert solicitation.method is ProcurementMethod.REQUEST_FOR_QUOTES and not solicitation.method_chosen

    revised = coop.app.revise_solicitation(coop.lead, solicitation.id, {"estimated_value": Decimal("400000")})

    assert revised.method is ProcurementMethod.COMPETITIVE_PROPOSALS
    assert revised.required_method is ProcurementMethod.COMPETITIVE_PROPOSALS


def test_a_chosen_method_stays_chosen_and_a_looser_one_is_still_refused(coop: Cooperative) -> None:
    solicitation = coop.draft(
        estimated_value=Decimal("20000"), criteria=(), method=ProcurementMethod.REQUEST_FOR_QUOTES
    )
    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.revise_solicitation(coop.lead, solicitation.id, {"estimated_value": Decimal("400000")})
    assert set(refusal.value.fields) == {"method"}


def test_a_withdrawn_proposal_is_not_opened_and_stays_unreadable_after_the_closing(coop: Cooperative) -> None:
    solicitation = coop.published()
    kept, withdrawn = coop.submit(0, solicitation), coop.submit(1, solicitation)
    coop.app.withdraw_proposal(coop.providers[1], withdrawn.id, "Capacity")
    closed = coop.close(solicitation, [kept, withdrawn])

    assert closed.opened_proposal_ids == (kept.id,)
    assert coop.app.read_proposal(coop.lead, kept.id).id == kept.id
    with refused(NotFound, coop.app):
        coop.app.read_proposal(coop.lead, withdrawn.id)


def test_a_provider_that_withdrew_may_bid_again_before_the_deadline(coop: Cooperative) -> None:
    solicitation = coop.published()
    first = coop.submit(1, solicitation)
    coop.app.withdraw_proposal(coop.providers[1], first.id, "Repricing")

    again = coop.submit(1, solicitation, per_student("355.00"))

    assert again.id == first.id and not again.withdrawn
    assert again.pricing.list_price == Decimal("355.00")
    assert coop.close(solicitation, [again]).opened_proposal_ids == (first.id,)


def test_a_version_1_drafted_event_reads_back_with_its_method_taken_as_chosen(coop: Cooperative) -> None:
    solicitation = coop.draft()

    event = event_as_version_1(coop.app, solicitation.id, "method_chosen")

    assert isinstance(event, SolicitationDrafted) and event.method_chosen is True


def test_a_draft_solicitation_is_visible_to_the_lead_s_buyers_only(coop: Cooperative) -> None:
    draft = coop.draft()
    consortium = coop.app.get_consortium(draft.consortium_id)
    assert draft.is_visible_to(coop.lead, consortium)
    for other in (coop.buyers[1], coop.providers[0], coop.evaluators[0], None):
        assert not draft.is_visible_to(other, consortium)
        with refused(NotFound, coop.app):
            coop.app.read_solicitation(other, draft.id)
    published = coop.published()
    assert coop.app.read_solicitation(None, published.id).id == published.id
