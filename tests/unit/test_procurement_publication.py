"""PRODUCT rule 2: a formal solicitation publishes all criteria with weights before it opens;
weights sum to 100; price is a criterion; criteria lock at publication and change only by a
recorded amendment. A request for quotes goes to at least three providers; a formal solicitation
is publicly advertised, open to every provider, so it invites none."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from events.solicitations import SolicitationAmended, SolicitationDrafted
from events.types import Criterion, ProcurementMethod
from marketplace.domain.errors import InvalidValue, WrongState
from marketplace.domain.solicitations import (
    PRICE_ONLY,
    ProposalAfterDeadline,
    Solicitation,
    SolicitationStatus,
)
from marketplace.domain.validation import MAX_SEATS
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import CP_CRITERIA, Cooperative, refused, stored_events, usd

REVISED_CRITERIA = (
    Criterion("Price", 30, is_price=True),
    Criterion("Approach", 50),
    Criterion("Rural experience", 20),
)


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


def test_competitive_proposals_whose_weights_do_not_sum_to_100_cannot_be_published(
    coop: Cooperative,
) -> None:
    solicitation = coop.draft(
        criteria=(Criterion("Price", 40, is_price=True), Criterion("Approach", 50))
    )

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert set(refusal.value.fields) == {"criteria"}
    assert "weights must sum to 100, not 90" in refusal.value.fields["criteria"]
    assert coop.app.get_solicitation(solicitation.id).status is SolicitationStatus.DRAFT

    coop.app.revise_solicitation(coop.lead, solicitation.id, {"criteria": CP_CRITERIA})
    published = coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert published.status is SolicitationStatus.PUBLISHED


def test_competitive_proposals_without_a_price_criterion_cannot_be_published(
    coop: Cooperative,
) -> None:
    solicitation = coop.draft(criteria=(Criterion("Quality", 40), Criterion("Approach", 60)))

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert set(refusal.value.fields) == {"criteria"}
    assert "price must be one of the criteria" in refusal.value.fields["criteria"]

    coop.app.revise_solicitation(
        coop.lead,
        solicitation.id,
        {"criteria": (Criterion("Price", 40, is_price=True), Criterion("Approach", 60))},
    )
    assert coop.app.publish_solicitation(coop.lead, solicitation.id).status is (
        SolicitationStatus.PUBLISHED
    )


def test_competitive_proposals_without_any_criteria_cannot_be_published(
    coop: Cooperative,
) -> None:
    solicitation = coop.draft(criteria=())

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert set(refusal.value.fields) == {"criteria"}

    coop.app.revise_solicitation(coop.lead, solicitation.id, {"criteria": CP_CRITERIA})
    assert coop.app.publish_solicitation(coop.lead, solicitation.id).criteria == CP_CRITERIA


def test_sealed_bids_publish_price_as_their_only_criterion(coop: Cooperative) -> None:
    solicitation = coop.draft(method=ProcurementMethod.SEALED_BIDS, criteria=CP_CRITERIA)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert set(refusal.value.fields) == {"criteria"}

    coop.app.revise_solicitation(coop.lead, solicitation.id, {"criteria": PRICE_ONLY})
    assert coop.app.publish_solicitation(coop.lead, solicitation.id).criteria == PRICE_ONLY


def test_criteria_lock_at_publication_so_revising_them_is_refused(coop: Cooperative) -> None:
    solicitation = coop.published()

    with refused(WrongState, coop.app):
        coop.app.revise_solicitation(coop.lead, solicitation.id, {"criteria": REVISED_CRITERIA})
    assert coop.app.get_solicitation(solicitation.id).criteria == CP_CRITERIA

    draft = coop.draft()
    revised = coop.app.revise_solicitation(coop.lead, draft.id, {"criteria": REVISED_CRITERIA})
    assert revised.criteria == REVISED_CRITERIA


def test_published_criteria_change_only_by_an_amendment_with_a_rationale(
    coop: Cooperative,
) -> None:
    solicitation = coop.published()

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.amend_solicitation(
            coop.lead, solicitation.id, {"criteria": REVISED_CRITERIA}, "   "
        )
    assert set(refusal.value.fields) == {"rationale"}

    amended = coop.app.amend_solicitation(
        coop.lead,
        solicitation.id,
        {"criteria": REVISED_CRITERIA},
        "Added rural experience after providers' questions.",
    )
    assert amended.criteria == REVISED_CRITERIA
    assert amended.amendments == 1
    last = stored_events(coop.app, solicitation.id)[-1]
    assert isinstance(last, SolicitationAmended)
    assert last.rationale == "Added rural experience after providers' questions."
    assert set(last.changes) == {"criteria"}


def test_an_amendment_s_criteria_must_still_sum_to_100_and_include_price(
    coop: Cooperative,
) -> None:
    solicitation = coop.published()

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.amend_solicitation(
            coop.lead,
            solicitation.id,
            {"criteria": (Criterion("Quality", 50), Criterion("Approach", 40))},
            "Rebalance the criteria.",
        )
    assert set(refusal.value.fields) == {"criteria"}
    assert coop.app.get_solicitation(solicitation.id).criteria == CP_CRITERIA

    amended = coop.app.amend_solicitation(
        coop.lead, solicitation.id, {"criteria": REVISED_CRITERIA}, "Rebalance the criteria."
    )
    assert amended.criteria == REVISED_CRITERIA


def test_a_solicitation_cannot_be_amended_after_its_deadline(coop: Cooperative) -> None:
    solicitation = coop.published()
    coop.clock.moment = solicitation.proposals_due - timedelta(minutes=1)
    coop.app.amend_solicitation(
        coop.lead, solicitation.id, {"description": "Grades 6-8."}, "Clarify the grades."
    )
    coop.at_deadline(solicitation)

    with refused(ProposalAfterDeadline, coop.app):
        coop.app.amend_solicitation(
            coop.lead, solicitation.id, {"criteria": REVISED_CRITERIA}, "Too late to change."
        )
    assert coop.app.get_solicitation(solicitation.id).criteria == CP_CRITERIA


def test_an_amendment_cannot_move_the_questions_deadline_into_the_past(coop: Cooperative) -> None:
    solicitation = coop.published()
    coop.clock.moment += timedelta(days=1)  # the questions deadline is still 6 days ahead

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.amend_solicitation(
            coop.lead,
            solicitation.id,
            {"questions_due": coop.clock.moment - timedelta(hours=1)},
            "Close questions early.",
        )
    assert set(refusal.value.fields) == {"questions_due"}

    sooner = {"questions_due": coop.clock.moment + timedelta(hours=1)}
    past_questions = coop.app.amend_solicitation(coop.lead, solicitation.id, sooner, "Sooner.")
    coop.clock.moment += timedelta(hours=2)  # questions now closed; other changes still allowed
    amended = coop.app.amend_solicitation(
        coop.lead, past_questions.id, {"description": "Grades 6-8."}, "Clarify the grades."
    )
    assert amended.description == "Grades 6-8."


@pytest.mark.parametrize(
    "due",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),  # year 10000 in UTC
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5))),  # year 0 in UTC
        datetime(2100, 1, 1, tzinfo=timezone.utc),
        datetime(1999, 12, 31, 23, 59, tzinfo=timezone.utc),
    ],
)
def test_a_deadline_outside_the_years_2000_to_2099_is_refused_on_drafting_and_amending(
    coop: Cooperative, due: datetime
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(proposals_due=due)
    assert "proposals_due" in refusal.value.fields
    solicitation = coop.published()
    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.amend_solicitation(coop.lead, solicitation.id, {"proposals_due": due}, "Extend.")
    assert "proposals_due" in refusal.value.fields


def test_a_request_for_quotes_needs_at_least_three_invited_providers_to_publish(
    coop: Cooperative,
) -> None:
    two = (coop.provider_id(0), coop.provider_id(1))
    solicitation = coop.draft(**coop.rfq_spec(invited_provider_ids=two))
    assert solicitation.method is ProcurementMethod.REQUEST_FOR_QUOTES

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert set(refusal.value.fields) == {"invited_provider_ids"}

    coop.app.revise_solicitation(
        coop.lead, solicitation.id, {"invited_provider_ids": (*two, coop.provider_id(2))}
    )
    published = coop.app.publish_solicitation(coop.lead, solicitation.id)
    assert published.status is SolicitationStatus.PUBLISHED
    assert published.estimated_value == usd("200000.00")


@pytest.mark.parametrize(
    ("estimated_value", "method"),
    [
        ("480000", None),
        ("480000", ProcurementMethod.SEALED_BIDS),
        ("200000", ProcurementMethod.COMPETITIVE_PROPOSALS),
    ],
)
def test_a_formal_solicitation_naming_invited_providers_is_refused_naming_them(
    coop: Cooperative, estimated_value: str, method: ProcurementMethod | None
) -> None:
    criteria = () if method is ProcurementMethod.SEALED_BIDS else CP_CRITERIA
    spec = coop.spec(estimated_value=Decimal(estimated_value), method=method, criteria=criteria)

    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(**spec, invited_provider_ids=(coop.provider_id(0),))
    assert set(refusal.value.fields) == {"invited_provider_ids"}
    assert "open to every provider" in str(refusal.value)

    drafted = coop.draft(**spec)
    assert drafted.method is (method or ProcurementMethod.COMPETITIVE_PROPOSALS)
    assert drafted.invited_provider_ids == ()


def test_inviting_providers_to_a_formal_draft_is_refused_naming_them(coop: Cooperative) -> None:
    drafted = coop.draft()

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.revise_solicitation(
            coop.lead, drafted.id, {"invited_provider_ids": (coop.provider_id(0),)}
        )
    assert set(refusal.value.fields) == {"invited_provider_ids"}
    assert coop.app.get_solicitation(drafted.id).invited_provider_ids == ()


def test_a_request_for_quotes_revised_into_a_formal_method_must_drop_its_invitations(
    coop: Cooperative,
) -> None:
    drafted = coop.draft(**coop.rfq_spec())
    assert drafted.method is ProcurementMethod.REQUEST_FOR_QUOTES
    above_simplified = {"estimated_value": Decimal("480000"), "criteria": CP_CRITERIA}

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.revise_solicitation(coop.lead, drafted.id, above_simplified)
    assert set(refusal.value.fields) == {"invited_provider_ids"}
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.revise_solicitation(
            coop.lead, drafted.id, {"method": ProcurementMethod.SEALED_BIDS, "criteria": ()}
        )
    assert set(refusal.value.fields) == {"invited_provider_ids"}
    assert coop.app.get_solicitation(drafted.id).version == drafted.version

    revised = coop.app.revise_solicitation(
        coop.lead, drafted.id, {**above_simplified, "invited_provider_ids": ()}
    )
    assert revised.method is ProcurementMethod.COMPETITIVE_PROPOSALS
    assert revised.invited_provider_ids == ()


def test_a_formal_draft_recorded_with_invitations_is_published_only_once_they_are_removed(
    coop: Cooperative,
) -> None:
    """Drafts recorded before formal methods refused invitations may still name some."""
    valid = coop.draft()
    legacy = Solicitation._create(
        SolicitationDrafted,
        id=uuid4(),
        actor=str(coop.lead.id),
        consortium_id=coop.consortium_id,
        thresholds=valid.thresholds,
        required_method=valid.required_method,
        method_chosen=valid.method_chosen,
        **{**valid.spec(), "invited_provider_ids": (coop.provider_id(0),)},
    )
    coop.app.save(legacy)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.publish_solicitation(coop.lead, legacy.id)
    assert set(refusal.value.fields) == {"invited_provider_ids"}

    coop.app.revise_solicitation(coop.lead, legacy.id, {"invited_provider_ids": ()})
    published = coop.app.publish_solicitation(coop.lead, legacy.id)
    assert published.status is SolicitationStatus.PUBLISHED


@pytest.mark.parametrize("seats", [0, MAX_SEATS + 1])
def test_a_solicitation_needing_seats_outside_1_to_the_bound_is_refused_naming_them(
    coop: Cooperative, seats: int
) -> None:
    lines = coop.spec(seats=(400, seats, 400))["lines"]

    with refused(InvalidValue, coop.app):
        coop.draft(lines=lines)
    drafted = coop.draft()
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.revise_solicitation(coop.lead, drafted.id, {"lines": lines})
    assert set(refusal.value.fields) == {"lines.0.demand.1.seats"}
    assert coop.app.get_solicitation(drafted.id).version == drafted.version


# Questions and answers ---------------------------------------------------------------------------


def test_a_question_is_answered_before_the_proposals_deadline(coop: Cooperative) -> None:
    solicitation = coop.published()
    asked = coop.app.ask_question(coop.providers[0], solicitation.id, "May we start mid-year?")
    question_id = next(iter(asked.questions))
    coop.at_deadline(solicitation)
    coop.clock.moment -= timedelta(minutes=1)

    answered = coop.app.answer_question(coop.lead, solicitation.id, question_id, "Yes, prorated.")
    assert answered.questions[question_id].answer == "Yes, prorated."


def test_a_question_cannot_be_answered_once_the_proposals_deadline_has_passed(
    coop: Cooperative,
) -> None:
    solicitation = coop.published()
    asked = coop.app.ask_question(coop.providers[0], solicitation.id, "May we start mid-year?")
    question_id = next(iter(asked.questions))
    coop.at_deadline(solicitation)

    with refused(WrongState, coop.app) as refusal:
        coop.app.answer_question(coop.lead, solicitation.id, question_id, "Yes, prorated.")
    assert "past" in refusal.value.message and "deadline" in refusal.value.message

    coop.close(solicitation, [])
    with refused(WrongState, coop.app) as refusal:
        coop.app.answer_question(coop.lead, solicitation.id, question_id, "Yes, prorated.")
    assert "this one is closed" in refusal.value.message
    assert coop.app.get_solicitation(solicitation.id).questions[question_id].answer is None
