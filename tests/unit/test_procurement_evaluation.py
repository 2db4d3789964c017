"""PRODUCT rules 5 and 6: an evaluator attests no conflict of interest with the offerors, once the
closing has opened the proposals and before scoring; scores only against the published criteria;
the ranking is the weighted total (averaged over evaluators), or, for sealed bids and requests for
quotes, the lowest unit price at the tier the pooled seats reach."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest

from events.solicitations import ConflictOfInterestAttested
from events.types import Offeror, ProcurementMethod, Score
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState
from marketplace.domain.proposals import Proposal
from marketplace.domain.solicitations import Solicitation, SolicitationStatus
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    CP_CRITERIA,
    Cooperative,
    event_as_version_1,
    per_student,
    refused,
    scores,
    usd,
)

WEIGHTS = {c.name: Decimal(c.weight) for c in CP_CRITERIA}  # Price 40, Approach 60


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def closed(coop: Cooperative) -> tuple[Solicitation, list[Proposal]]:
    """A competitive-proposals solicitation closed with two proposals."""
    return coop.closed_with([per_student("390.00"), per_student("380.00")])


def _attested(coop: Cooperative, solicitation: Solicitation) -> None:
    coop.app.attest(coop.evaluators[0], solicitation.id, "I have no conflict of interest.")


def _weighted(points: dict[str, Decimal]) -> Decimal:
    return sum((WEIGHTS[c] * p for c, p in points.items()), Decimal(0)) / 100


# Rule 5: attest first ---------------------------------------------------------------------------


def test_scoring_without_an_attestation_is_refused(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, proposals = closed
    evaluator = coop.evaluators[0]

    with refused(NotAllowed, coop.app):
        coop.app.score_proposal(evaluator, solicitation.id, proposals[0].id, scores(80, 70), None)
    assert coop.app.find_evaluation(solicitation.id, evaluator.id) is None

    _attested(coop, solicitation)
    evaluation = coop.app.score_proposal(
        evaluator, solicitation.id, proposals[0].id, scores(80, 70), "Solid plan."
    )
    assert evaluation.points() == {proposals[0].id: {"Price": usd("80"), "Approach": usd("70")}}


def test_an_evaluator_not_named_on_the_solicitation_cannot_attest(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, _ = closed
    stranger = coop.add_evaluator("Unnamed Evaluator")

    with refused(NotAllowed, coop.app):
        coop.app.attest(stranger, solicitation.id, "I have no conflict of interest.")
    assert coop.app.find_evaluation(solicitation.id, stranger.id) is None

    coop.app.name_evaluator(coop.lead, solicitation.id, stranger.id)
    evaluation = coop.app.attest(stranger, solicitation.id, "I have no conflict of interest.")
    assert evaluation.evaluator_id == stranger.id


def _draft_with_evaluator(coop: Cooperative) -> Solicitation:
    draft = coop.draft()
    coop.app.name_evaluator(coop.lead, draft.id, coop.evaluators[0].id)
    return coop.app.get_solicitation(draft.id)


def _published_with_a_proposal(coop: Cooperative) -> Solicitation:
    solicitation = coop.published()
    coop.submit(0, solicitation)
    return solicitation


def _past_the_deadline_not_yet_closed(coop: Cooperative) -> Solicitation:
    solicitation = _published_with_a_proposal(coop)
    coop.pass_deadline(solicitation)
    return solicitation


def _evaluated_by_price(coop: Cooperative) -> Solicitation:
    solicitation, _ = coop.closed_with(
        TIERED_PRICES[:2], method=ProcurementMethod.SEALED_BIDS, criteria=()
    )
    return coop.app.complete_evaluation(coop.lead, solicitation.id)


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        (_draft_with_evaluator, "draft"),
        (_published_with_a_proposal, "published"),
        (_past_the_deadline_not_yet_closed, "published"),
        (_evaluated_by_price, "evaluated"),
    ],
)
def test_an_evaluator_attests_only_while_the_solicitation_is_closed(
    coop: Cooperative, stage: Callable[[Cooperative], Solicitation], status: str
) -> None:
    solicitation = stage(coop)
    evaluator = coop.evaluators[0]

    with refused(WrongState, coop.app, solicitation) as refusal:
        coop.app.attest(evaluator, solicitation.id, "I have no conflict of interest.")
    assert refusal.value.message.endswith(f"this solicitation is {status}")
    assert coop.app.find_evaluation(solicitation.id, evaluator.id) is None


def test_a_closing_that_opened_no_proposal_leaves_no_offeror_to_attest_about(
    coop: Cooperative,
) -> None:
    solicitation = coop.close(coop.published(), [])

    with refused(WrongState, coop.app, solicitation) as refusal:
        coop.app.attest(coop.evaluators[0], solicitation.id, "I have no conflict of interest.")
    assert "no offeror" in refusal.value.message


@pytest.mark.parametrize(
    "statement", ["x", "No conflict.", "None whatsoever.   ", "1234567890123456789"]
)
def test_a_statement_under_20_characters_is_refused_naming_statement(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]], statement: str
) -> None:
    solicitation, _ = closed

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.attest(coop.evaluators[0], solicitation.id, statement)
    assert set(refusal.value.fields) == {"statement"}
    assert "at least 20 characters" in refusal.value.fields["statement"][0]

    evaluation = coop.app.attest(coop.evaluators[0], solicitation.id, "12345678901234567890")
    assert evaluation.statement == "12345678901234567890"


def test_the_attestation_records_the_offerors_of_the_opened_proposals_by_legal_name(
    coop: Cooperative,
) -> None:
    solicitation = coop.published()
    kept = [coop.submit(2, solicitation), coop.submit(0, solicitation)]
    withdrawn = coop.submit(1, solicitation)
    coop.app.withdraw_proposal(coop.providers[1], withdrawn.id, "Capacity")
    coop.close(solicitation, [*kept, withdrawn])

    evaluation = coop.app.attest(coop.evaluators[0], solicitation.id, "No interest in any offeror.")

    expected = (
        Offeror(coop.provider_id(0), "Provider 0"),
        Offeror(coop.provider_id(2), "Provider 2"),
    )
    assert evaluation.offerors == expected
    reloaded = coop.app.find_evaluation(solicitation.id, coop.evaluators[0].id)
    assert reloaded is not None and reloaded.offerors == expected


def test_a_version_1_attestation_reads_back_with_its_offerors_unrecorded(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, _ = closed
    evaluation = coop.app.attest(coop.evaluators[0], solicitation.id, "No interest in any offeror.")

    event = event_as_version_1(coop.app, evaluation.id, "offerors")

    assert isinstance(event, ConflictOfInterestAttested) and event.offerors is None
    assert event.statement == "No interest in any offeror."


# Rule 6: only the published criteria -------------------------------------------------------------


def test_a_score_against_a_criterion_that_was_not_published_is_refused(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, proposals = closed
    _attested(coop, solicitation)
    evaluation = coop.app.find_evaluation(solicitation.id, coop.evaluators[0].id)
    assert evaluation is not None
    extra = [*scores(80, 70), Score("Brand recognition", usd("100"))]

    with refused(InvalidValue, coop.app, evaluation) as refusal:
        evaluation.score(coop.evaluators[0], solicitation, proposals[0].id, extra, None)
    assert set(refusal.value.fields) == {"scores"}
    assert "not published criteria: Brand recognition" in refusal.value.fields["scores"]

    evaluation.score(coop.evaluators[0], solicitation, proposals[0].id, scores(80, 70), None)
    assert evaluation.points()[proposals[0].id] == {"Price": usd("80"), "Approach": usd("70")}


def test_a_score_that_leaves_out_a_published_criterion_is_refused(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, proposals = closed
    _attested(coop, solicitation)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.score_proposal(
            coop.evaluators[0], solicitation.id, proposals[0].id, [Score("Price", usd("80"))], None
        )
    assert set(refusal.value.fields) == {"scores"}
    assert "score every published criterion; missing Approach" in refusal.value.fields["scores"]

    coop.app.score_proposal(
        coop.evaluators[0], solicitation.id, proposals[0].id, scores(80, 70), None
    )


@pytest.mark.parametrize("points", ["-1", "-0.01", "100.01", "101"])
def test_points_outside_0_to_100_are_refused(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]], points: str
) -> None:
    solicitation, proposals = closed
    _attested(coop, solicitation)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.score_proposal(
            coop.evaluators[0], solicitation.id, proposals[0].id, scores(70, points), None
        )
    assert set(refusal.value.fields) == {"scores.1.points"}

    evaluation = coop.app.score_proposal(
        coop.evaluators[0], solicitation.id, proposals[0].id, scores(0, 100), None
    )
    assert evaluation.points()[proposals[0].id] == {"Price": usd("0"), "Approach": usd("100")}


def test_points_finer_than_a_hundredth_are_refused_and_points_are_recorded_written_out(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, proposals = closed
    _attested(coop, solicitation)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.score_proposal(
            coop.evaluators[0], solicitation.id, proposals[0].id, scores(70, "0.0000001"), None
        )
    assert set(refusal.value.fields) == {"scores.1.points"}

    evaluation = coop.app.score_proposal(
        coop.evaluators[0], solicitation.id, proposals[0].id, scores("1E+1", "70.25"), None
    )
    recorded = evaluation.points()[proposals[0].id]
    assert (str(recorded["Price"]), str(recorded["Approach"])) == ("10", "70.25")


# Rule 6: the ranking ----------------------------------------------------------------------------


def test_the_ranking_is_the_weighted_total_averaged_over_the_evaluators(coop: Cooperative) -> None:
    solicitation, proposals = coop.closed_with([per_student("390.00")] * 3)
    second = coop.add_evaluator("Evaluator Two")
    coop.app.name_evaluator(coop.lead, solicitation.id, second.id)
    first = coop.evaluators[0]
    # Unweighted, proposal 1 leads (82.5 vs 81.25), and evaluator two alone ranks it first.
    given = {
        first.id: {0: (80, 90), 1: (95, 70), 2: (60, 85)},
        second.id: {0: (70, 85), 1: (90, 75), 2: (65, 80)},
    }
    for evaluator in (first, second):
        for n, (price, approach) in given[evaluator.id].items():
            coop.score(evaluator, solicitation, proposals[n], price, approach)

    evaluated = coop.app.complete_evaluation(coop.lead, solicitation.id)

    expected: dict[UUID, Decimal] = {}
    for n, proposal in enumerate(proposals):
        totals = [
            _weighted({"Price": Decimal(given[e][n][0]), "Approach": Decimal(given[e][n][1])})
            for e in given
        ]
        expected[proposal.id] = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"))
    assert expected == {
        proposals[0].id: usd("82.50"),
        proposals[1].id: usd("80.50"),
        proposals[2].id: usd("74.50"),
    }
    assert evaluated.status is SolicitationStatus.EVALUATED
    assert [(r["proposal_id"], r["total"]) for r in evaluated.ranking] == sorted(
        expected.items(), key=lambda item: -item[1]
    )


def test_the_ranking_follows_the_exact_weighted_total_not_the_total_shown_to_the_cent(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    """70.004 (the dearer proposal) ranks above 70.000: both are shown as 70.00, and a tie
    would have gone to the cheaper one."""
    solicitation, (dearer, cheaper) = closed
    evaluator = coop.evaluators[0]
    coop.score(evaluator, solicitation, dearer, "70.01", 70)  # type: ignore[arg-type]
    coop.score(evaluator, solicitation, cheaper, 70, 70)

    evaluated = coop.app.complete_evaluation(coop.lead, solicitation.id)

    assert [(r["proposal_id"], str(r["total"])) for r in evaluated.ranking] == [
        (dearer.id, "70.00"),
        (cheaper.id, "70.00"),
    ]


def test_the_ranking_waits_for_every_attested_evaluator_to_score_every_proposal(
    coop: Cooperative, closed: tuple[Solicitation, list[Proposal]]
) -> None:
    solicitation, proposals = closed
    coop.score(coop.evaluators[0], solicitation, proposals[0], 80, 70)

    with refused(WrongState, coop.app):
        coop.app.complete_evaluation(coop.lead, solicitation.id)

    coop.score(coop.evaluators[0], solicitation, proposals[1], 70, 60)
    ranking = coop.app.complete_evaluation(coop.lead, solicitation.id).ranking
    assert [r["proposal_id"] for r in ranking] == [proposals[0].id, proposals[1].id]


# Price-ranked methods ---------------------------------------------------------------------------

# With 3 x 400 = 1,200 pooled seats: provider 0 pays 300 (its 1,000-seat tier), provider 2 pays
# 320 (its 1,500-seat tier is not reached), provider 1 pays its list 350. By list price alone
# (what one district's 400 seats would pay) provider 1 would win.
TIERED_PRICES = [
    per_student("400.00", (1000, "300.00")),
    per_student("350.00"),
    per_student("380.00", (1000, "320.00"), (1500, "250.00")),
]


def test_sealed_bids_rank_by_the_lowest_unit_price_at_the_tier_the_pooled_seats_reach(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with(
        TIERED_PRICES, method=ProcurementMethod.SEALED_BIDS, criteria=()
    )

    ranking = coop.app.complete_evaluation(coop.lead, solicitation.id).ranking

    assert [(r["proposal_id"], r["unit_price"]) for r in ranking] == [
        (proposals[0].id, usd("300.00")),
        (proposals[2].id, usd("320.00")),
        (proposals[1].id, usd("350.00")),
    ]


def test_a_request_for_quotes_ranks_by_the_lowest_unit_price_at_the_pooled_tier(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with(TIERED_PRICES, **coop.rfq_spec())
    assert solicitation.method is ProcurementMethod.REQUEST_FOR_QUOTES

    ranking = coop.app.complete_evaluation(coop.lead, solicitation.id).ranking

    assert [r["proposal_id"] for r in ranking] == [proposals[n].id for n in (0, 2, 1)]
    assert [r["total"] for r in ranking] == [usd("300.00"), usd("320.00"), usd("350.00")]


def test_a_sealed_bid_has_nothing_to_score(coop: Cooperative) -> None:
    solicitation, proposals = coop.closed_with(
        TIERED_PRICES[:2], method=ProcurementMethod.SEALED_BIDS, criteria=()
    )
    _attested(coop, solicitation)

    with refused(WrongState, coop.app):
        coop.app.score_proposal(
            coop.evaluators[0], solicitation.id, proposals[0].id, [Score("Price", usd("90"))], None
        )

    ranking = coop.app.complete_evaluation(coop.lead, solicitation.id).ranking
    assert [r["proposal_id"] for r in ranking] == [proposals[0].id, proposals[1].id]
