"""Through HTTP: until the award, a solicitation's evaluation results (which proposals were
declared nonresponsive and why, the ranking with every offeror's total and price) are the
consortium lead's alone, wherever they could be read: the solicitation's fields, its timeline, its
history and an ``as_of`` read. The award makes them public record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Caller
from tests.e2e.procurement_helpers import POINTS, Market, form_consortium, ok

REASON = "No rural implementation plan was included."
WITHHELD = "withheld"

# Who reads, and whether the solicitation view shows them its ranking before the award.
READERS = [
    pytest.param("anonymous", False, id="anonymous"),
    pytest.param("bidder", False, id="a-bidding-provider"),
    pytest.param("member", False, id="a-member-districts-buyer"),
    pytest.param("lead", True, id="the-leads-buyer"),
]


@pytest.fixture
def market(
    clock: Any, app: Any, make_account: Any, make_provider: Any, anonymous: Caller
) -> Market:
    """Three small rural districts in one consortium (the first leads); bidders on demand."""
    return Market(app, clock, make_account, make_provider, form_consortium(make_account), anonymous)


@dataclass
class Evaluated:
    solicitation: dict[str, Any]
    proposals: list[dict[str, Any]]
    declared_at: str  # a moment after the declaration, before the ranking

    @property
    def id(self) -> str:
        return str(self.solicitation["id"])


@pytest.fixture
def evaluated(market: Market) -> Evaluated:
    """Three proposals opened; the third declared nonresponsive, the other two scored and ranked."""
    sid = market.open()["id"]
    proposals = [market.propose(sid, bidder) for bidder in market.bidders]
    market.close(sid)
    ok(
        market.lead.post(
            f"/api/v1/solicitations/{sid}/nonresponsive",
            json={"proposal_id": proposals[2]["id"], "reason": REASON},
        )
    )
    declared_at = market.clock.moment.isoformat()
    market.clock.advance(hours=1)
    solicitation = market.evaluate(
        sid, {p["id"]: points for p, points in zip(proposals[:2], POINTS)}
    )
    assert solicitation["status"] == "evaluated" and len(solicitation["ranking"]) == 2
    return Evaluated(solicitation, proposals, declared_at)


def reader(market: Market, who: str) -> Caller:
    callers = {
        "anonymous": market.anonymous,
        "bidder": market.bidders[1].caller,
        "member": market.consortium.buyers[1],
        "lead": market.lead,
    }
    return callers[who].sees(market.lead)


def history(caller: Caller, solicitation_id: str) -> dict[str, dict[str, Any]]:
    """The solicitation's history entries by type (each type here occurs once)."""
    page = ok(caller.get(f"/api/v1/solicitations/{solicitation_id}/history?per_page=100"))
    return {entry["type"]: entry for entry in page["items"]}


def timeline_entry(solicitation: dict[str, Any], event_type: str) -> dict[str, Any]:
    return next(e for e in solicitation["timeline"] if e["type"] == event_type)


def assert_results_shown(
    solicitation: dict[str, Any], entries: dict[str, dict[str, Any]], evaluated: Evaluated
) -> None:
    nonresponsive = evaluated.proposals[2]["id"]
    assert solicitation["nonresponsive"] == [{"proposal_id": nonresponsive, "reason": REASON}]
    assert solicitation["ranking"] == evaluated.solicitation["ranking"]
    assert timeline_entry(solicitation, "ProposalDeclaredNonresponsive")["reason"] == REASON
    declared = entries["ProposalDeclaredNonresponsive"]["changes"]
    assert declared == {"proposal_id": nonresponsive, "reason": REASON}
    assert entries["Evaluated"]["changes"]["ranking"] == evaluated.solicitation["ranking"]


@pytest.mark.parametrize(("who", "sees_ranking"), READERS)
def test_before_the_award_the_timeline_and_history_withhold_the_evaluation_results_as_the_view_does(
    market: Market, evaluated: Evaluated, who: str, sees_ranking: bool
) -> None:
    caller = reader(market, who)
    solicitation = ok(caller.get(f"/api/v1/solicitations/{evaluated.id}"))
    entries = history(caller, evaluated.id)

    assert (solicitation["ranking"] is not None) is sees_ranking
    if sees_ranking:
        assert_results_shown(solicitation, entries, evaluated)
        return
    assert solicitation["nonresponsive"] is None
    assert timeline_entry(solicitation, "ProposalDeclaredNonresponsive")["reason"] == WITHHELD
    assert entries["ProposalDeclaredNonresponsive"]["changes"] == {
        "proposal_id": WITHHELD,
        "reason": WITHHELD,
    }
    assert entries["Evaluated"]["changes"] == {"ranking": WITHHELD}
    for bidder in market.bidders:  # no offeror is named, neither in the ranking nor elsewhere
        assert bidder.provider_id not in str(solicitation) + str(entries)
    assert REASON not in str(solicitation) + str(entries)


@pytest.mark.parametrize(("who", "sees_ranking"), READERS)
def test_before_the_award_an_as_of_read_withholds_the_nonresponsive_reason_as_the_view_does(
    market: Market, evaluated: Evaluated, who: str, sees_ranking: bool
) -> None:
    then = ok(
        reader(market, who).get(
            f"/api/v1/solicitations/{evaluated.id}", query_string={"as_of": evaluated.declared_at}
        )
    )
    assert then["status"] == "closed"
    declared = timeline_entry(then, "ProposalDeclaredNonresponsive")
    assert declared["reason"] == (REASON if sees_ranking else WITHHELD)
    assert (then["nonresponsive"] is not None) is sees_ranking


@pytest.mark.parametrize(("who", "sees_ranking"), READERS)
def test_after_the_award_the_evaluation_results_are_public_record_in_the_timeline_and_history(
    market: Market, evaluated: Evaluated, who: str, sees_ranking: bool
) -> None:
    market.award_top(evaluated.solicitation, evaluated.proposals)
    caller = reader(market, who)
    solicitation = ok(caller.get(f"/api/v1/solicitations/{evaluated.id}"))
    assert solicitation["status"] == "awarded"
    assert_results_shown(solicitation, history(caller, evaluated.id), evaluated)
