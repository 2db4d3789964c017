"""Builders for the procurement end-to-end tests, all through HTTP.

A ``Market`` holds one test's cast (a consortium of small rural districts, providers with
published offerings, evaluators) and the few steps every procurement test repeats: draft,
publish, propose, let the deadline pass (``procurement tick``), attest and score, rank, award.
Each step asserts its own success, so a test only spells out the behaviour it is about.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import Caller, complete_offering

_NCES_IDS = itertools.count(3100001)

# Three proposals, in bidder order: (list price, unit price at the 1,000-seat tier) and one
# evaluator's points; bidder 0 ranks first (85.75), then 1 (74.75), then 2 (71.00).
PRICES: list[tuple[str, str | None]] = [
    ("390.00", "360.00"),
    ("380.00", "350.00"),
    ("370.00", "340.00"),
]
POINTS = [
    {"Price": "90", "Instructional approach": "85", "Rural implementation support": "80"},
    {"Price": "70", "Instructional approach": "80", "Rural implementation support": "75"},
    {"Price": "60", "Instructional approach": "70", "Rural implementation support": "90"},
]

CRITERIA = [
    {"name": "Price", "weight": 40, "is_price": True},
    {"name": "Instructional approach", "weight": 35},
    {"name": "Rural implementation support", "weight": 25},
]


# Responses -------------------------------------------------------------------------------------


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _flatten(messages: Any, prefix: str = "") -> set[str]:
    if isinstance(messages, dict):
        out: set[str] = set()
        for key, value in messages.items():
            out |= _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix}


def error_fields(response: Any) -> set[str]:
    """Every field the error envelope names, as dotted paths (``scores.0.points``), whether the
    schema nested them or the domain named them flat."""
    body = response.get_json() or {}
    return {path for location in (body.get("errors") or {}).values() for path in _flatten(location)}


def refused(response: Any, status: int, *fields: str) -> dict[str, Any]:
    """Assert the envelope of a refusal: its status, and that it names each of ``fields``."""
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert body["status"] == status and body["message"], body
    named = error_fields(response)
    for name in fields:
        assert name in named, (name, body)
    return body


# Districts and consortia -----------------------------------------------------------------------


def register_district(
    buyer: Caller,
    name: str | None = None,
    locale_code: int = 43,
    enrollment: int = 420,
    ada: int = 398,
) -> dict[str, Any]:
    nces_id = str(next(_NCES_IDS))
    return ok(
        buyer.post(
            "/api/v1/districts",
            json={
                "nces_id": nces_id,
                "name": name or f"District {nces_id}",
                "state": "MT",
                "locale_code": locale_code,
                "enrollment": enrollment,
                "average_daily_attendance": ada,
            },
        ),
        201,
    )


@dataclass
class Consortium:
    id: str
    buyers: list[Caller]
    districts: list[dict[str, Any]]

    @property
    def lead(self) -> Caller:
        return self.buyers[0]

    def district_ids(self) -> list[str]:
        return [d["id"] for d in self.districts]


def form_consortium(make_account: Callable[..., Caller], members: int = 3) -> Consortium:
    """``members`` districts, each registered by its own buyer; the first one leads."""
    buyers = [make_account("buyer") for _ in range(members)]
    districts = [register_district(buyer) for buyer in buyers]
    formed = ok(
        buyers[0].post(
            "/api/v1/consortia",
            json={"name": "Crazy Mountains Cooperative", "lead_district_id": districts[0]["id"]},
        ),
        201,
    )
    for buyer, district in zip(buyers[1:], districts[1:]):
        ok(
            buyer.post(
                f"/api/v1/consortia/{formed['id']}/members", json={"district_id": district["id"]}
            )
        )
    return Consortium(formed["id"], buyers, districts)


# Providers -------------------------------------------------------------------------------------


def pricing(
    list_price: str, tier_price: str | None = None, min_quantity: int = 1000
) -> dict[str, Any]:
    tiers = [] if tier_price is None else [{"min_quantity": min_quantity, "unit_price": tier_price}]
    return {"unit": "per_student_per_year", "list_price": list_price, "volume_tiers": tiers}


def publish_offering(
    caller: Caller, title: str, list_price: str = "400.00", tier_price: str | None = "380.00"
) -> dict[str, Any]:
    created = ok(
        caller.post(
            "/api/v1/offerings",
            json=complete_offering(title=title, pricing=pricing(list_price, tier_price)),
        ),
        201,
    )
    return ok(caller.post(f"/api/v1/offerings/{created['id']}/publish"))


@dataclass
class Bidder:
    caller: Caller
    provider_id: str
    offering: dict[str, Any]

    @property
    def offering_id(self) -> str:
        return self.offering["id"]


def make_bidders(make_provider: Callable[..., tuple[Caller, str]], count: int = 3) -> list[Bidder]:
    """``count`` providers, each with one published middle-school math offering."""
    bidders = []
    for n in range(count):
        caller, provider_id = make_provider(name=f"Math Provider {n}")
        bidders.append(Bidder(caller, provider_id, publish_offering(caller, f"Math Pathways {n}")))
    return bidders


# A procurement in progress ---------------------------------------------------------------------


@dataclass
class Market:
    """One test's procurement cast and the steps between need and contract."""

    app: Any
    clock: Any
    make_account: Callable[..., Caller]
    make_provider: Callable[..., tuple[Caller, str]]
    consortium: Consortium
    anonymous: Caller
    _bidders: list[Bidder] | None = None

    @property
    def lead(self) -> Caller:
        return self.consortium.lead

    @property
    def bidders(self) -> list[Bidder]:
        """Three providers with a published offering each, registered when first needed."""
        if self._bidders is None:
            self._bidders = make_bidders(self.make_provider)
        return self._bidders

    def new_bidder(self, name: str) -> Bidder:
        caller, provider_id = self.make_provider(name=name)
        return Bidder(caller, provider_id, publish_offering(caller, f"{name} Math"))

    def add_member(self) -> tuple[Caller, dict[str, Any]]:
        """Another district, registered by its own buyer, joins the consortium."""
        buyer = self.make_account("buyer")
        district = register_district(buyer)
        ok(
            buyer.post(
                f"/api/v1/consortia/{self.consortium.id}/members",
                json={"district_id": district["id"]},
            )
        )
        self.consortium.buyers.append(buyer)
        self.consortium.districts.append(district)
        return buyer, district

    def leave(self, member: int) -> dict[str, Any]:
        """Member ``member`` leaves the consortium by its own buyer (it stays in the cast)."""
        district_id = self.consortium.districts[member]["id"]
        return ok(
            self.consortium.buyers[member].delete(
                f"/api/v1/consortia/{self.consortium.id}/members/{district_id}"
            )
        )

    def rejoin(self, member: int) -> dict[str, Any]:
        """Member ``member``, having left, joins the consortium again by its own buyer."""
        return ok(
            self.consortium.buyers[member].post(
                f"/api/v1/consortia/{self.consortium.id}/members",
                json={"district_id": self.consortium.districts[member]["id"]},
            )
        )

    def outsider(self) -> tuple[Caller, dict[str, Any]]:
        """A district that is no member of the consortium, with its buyer."""
        buyer = self.make_account("buyer")
        return buyer, register_district(buyer, locale_code=42, enrollment=90, ada=84)

    # Solicitations -----------------------------------------------------------------------------

    def need(
        self, seats: int = 400, demand_from: int | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A complete body for POST /api/v1/solicitations: a competitive-proposals need for
        480,000 with the published criteria, each of the first ``demand_from`` members needing
        ``seats`` seats; questions due in 7 days, proposals in 21."""
        now = self.clock.moment
        districts = self.consortium.districts[: demand_from or len(self.consortium.districts)]
        body: dict[str, Any] = {
            "consortium_id": self.consortium.id,
            "title": "Personalized middle-school math, grades 6-8",
            "description": "A blended, mastery-based math model for small rural districts.",
            "lines": [
                {
                    "description": "Grades 6-8 math seats",
                    "category": "math",
                    "demand": [{"district_id": d["id"], "seats": seats} for d in districts],
                }
            ],
            "estimated_value": "480000.00",
            "criteria": [dict(c) for c in CRITERIA],
            "questions_due": (now + timedelta(days=7)).isoformat(),
            "proposals_due": (now + timedelta(days=21)).isoformat(),
            "joining_policy": "none",
        }
        body.update(overrides)
        return body

    def quotes_need(
        self, estimated_value: str = "200000.00", invite: int = 3, **overrides: Any
    ) -> dict[str, Any]:
        """A request for quotes to the first ``invite`` bidders (price is the only criterion)."""
        body = self.need(
            estimated_value=estimated_value,
            method="request_for_quotes",
            invited_provider_ids=[b.provider_id for b in self.bidders[:invite]],
        )
        del body["criteria"]
        body.update(overrides)
        return body

    def draft(self, body: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        return ok(self.lead.post("/api/v1/solicitations", json=body or self.need(**overrides)), 201)

    def publish(self, solicitation_id: str) -> dict[str, Any]:
        published = ok(self.lead.post(f"/api/v1/solicitations/{solicitation_id}/publish"))
        assert published["status"] == "published"
        return published

    def open(self, body: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        """Draft and publish."""
        return self.publish(self.draft(body, **overrides)["id"])

    def get(self, solicitation_id: str, caller: Caller | None = None) -> dict[str, Any]:
        return ok((caller or self.lead).get(f"/api/v1/solicitations/{solicitation_id}"))

    # Proposals ---------------------------------------------------------------------------------

    def propose(
        self,
        solicitation_id: str,
        bidder: Bidder,
        list_price: str = "400.00",
        tier_price: str | None = "380.00",
        **headers: str,
    ) -> dict[str, Any]:
        return ok(
            bidder.caller.post(
                f"/api/v1/solicitations/{solicitation_id}/proposals",
                json=proposal_body(bidder, list_price, tier_price),
                headers=headers or None,
            ),
            201,
        )

    def pass_deadline(self, solicitation_id: str) -> None:
        """Move the clock a minute past the proposals deadline (the scheduler is not run)."""
        due = datetime.fromisoformat(self.get(solicitation_id)["proposals_due"])
        if self.clock.moment < due + timedelta(minutes=1):
            self.clock.advance(
                seconds=(due + timedelta(minutes=1) - self.clock.moment).total_seconds()
            )

    def close(self, solicitation_id: str) -> dict[str, Any]:
        """Let the deadline pass and run the scheduler, which records the closing."""
        self.pass_deadline(solicitation_id)
        tick = self.app.test_cli_runner().invoke(args=["procurement", "tick"])
        assert tick.exit_code == 0, tick.output
        assert solicitation_id in tick.output, tick.output
        closed = self.get(solicitation_id)
        assert closed["status"] == "closed", closed
        return closed

    # Evaluation --------------------------------------------------------------------------------

    def evaluator(self, solicitation_id: str, attest: bool = True) -> Caller:
        """A new evaluator account, named on the solicitation (and attested unless told not to)."""
        evaluator = self.make_account("evaluator")
        me = ok(evaluator.get("/api/v1/accounts/me"))
        ok(
            self.lead.post(
                f"/api/v1/solicitations/{solicitation_id}/evaluators", json={"account_id": me["id"]}
            )
        )
        if attest:
            self.attest(evaluator, solicitation_id)
        return evaluator

    @staticmethod
    def attest(evaluator: Caller, solicitation_id: str) -> dict[str, Any]:
        return ok(
            evaluator.post(
                f"/api/v1/solicitations/{solicitation_id}/evaluation/attestation",
                json={"statement": "I have no financial or personal interest in any offeror."},
            ),
            201,
        )

    @staticmethod
    def score(
        evaluator: Caller, solicitation_id: str, proposal_id: str, points: dict[str, str]
    ) -> Any:
        return evaluator.post(
            f"/api/v1/solicitations/{solicitation_id}/evaluation/scores",
            json={
                "proposal_id": proposal_id,
                "scores": [{"criterion": name, "points": value} for name, value in points.items()],
            },
        )

    def complete(self, solicitation_id: str) -> dict[str, Any]:
        evaluated = ok(
            self.lead.post(f"/api/v1/solicitations/{solicitation_id}/evaluation/complete")
        )
        assert evaluated["status"] == "evaluated", evaluated
        return evaluated

    def evaluate(
        self, solicitation_id: str, points_by_proposal: dict[str, dict[str, str]]
    ) -> dict[str, Any]:
        """One attested evaluator scores each proposal as given; the lead ranks them."""
        evaluator = self.evaluator(solicitation_id)
        for proposal_id, points in points_by_proposal.items():
            ok(self.score(evaluator, solicitation_id, proposal_id, points))
        return self.complete(solicitation_id)

    def run_to_evaluation(
        self,
        body: dict[str, Any] | None = None,
        prices: list[tuple[str, str | None]] = PRICES,
        points: list[dict[str, str]] = POINTS,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Open a competitive-proposals solicitation, one proposal per bidder at ``prices``, close
        it, score the proposals with ``points`` and rank them: (the evaluated solicitation,
        the proposals in bidder order)."""
        solicitation = self.open(body)
        proposals = [
            self.propose(solicitation["id"], bidder, list_price, tier_price)
            for bidder, (list_price, tier_price) in zip(self.bidders, prices)
        ]
        self.close(solicitation["id"])
        evaluated = self.evaluate(
            solicitation["id"], {p["id"]: pts for p, pts in zip(proposals, points)}
        )
        return evaluated, proposals

    def award_top(
        self, solicitation: dict[str, Any], proposals: list[dict[str, Any]], **overrides: Any
    ) -> dict[str, Any]:
        """Award to the top-ranked proposal with a complete record; the new contract."""
        winner = solicitation["ranking"][0]["proposal_id"]
        body = self.award_body(winner, [p["id"] for p in proposals], **overrides)
        return ok(self.award(solicitation["id"], body), 201)

    def sign(self, contract: dict[str, Any]) -> dict[str, Any]:
        signed = ok(
            self.bidder_of(contract).caller.post(
                f"/api/v1/contracts/{contract['id']}/sign", json={"signatory": "Dana Reyes, CEO"}
            )
        )
        assert signed["status"] == "active"
        return signed

    # Award -------------------------------------------------------------------------------------

    def award_body(self, proposal_id: str, others: list[str], **overrides: Any) -> dict[str, Any]:
        today = self.clock.moment.date()
        body: dict[str, Any] = {
            "proposal_id": proposal_id,
            "contract_type": "fixed_unit_price",
            "method_rationale": "Above the simplified acquisition threshold: competitive proposals",
            "selection_reason": "Highest weighted total against the published criteria.",
            "rejections": [
                {"proposal_id": p, "reason": "Lower weighted total."}
                for p in others
                if p != proposal_id
            ],
            "price_basis": "Competitive proposals; volume tier reached by pooled demand.",
            "cost_price_analysis": "Compared the proposals with each other and with list prices.",
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=364)).isoformat(),
        }
        body.update(overrides)
        return body

    def award(self, solicitation_id: str, body: dict[str, Any]) -> Any:
        return self.lead.post(f"/api/v1/solicitations/{solicitation_id}/award", json=body)

    def contract(self, contract_id: str, caller: Caller | None = None) -> dict[str, Any]:
        return ok((caller or self.anonymous).get(f"/api/v1/contracts/{contract_id}"))

    def bidder_of(self, document: dict[str, Any]) -> Bidder:
        """The bidder a proposal or contract belongs to."""
        return next(b for b in self.bidders if b.provider_id == document["provider_id"])


def proposal_body(
    bidder: Bidder, list_price: str = "400.00", tier_price: str | None = "380.00"
) -> dict[str, Any]:
    return {
        "offering_ids": [bidder.offering_id],
        "pricing": pricing(list_price, tier_price),
        "narrative": f"Our approach, from {bidder.offering['title']}.",
    }


def weighted_total(points: dict[str, str], criteria: list[dict[str, Any]] = CRITERIA) -> Decimal:
    weights = {c["name"]: Decimal(c["weight"]) for c in criteria}
    return sum((weights[name] * Decimal(value) for name, value in points.items()), Decimal(0)) / 100
