"""Demonstration procurement: districts in four states, three consortia, and solicitations in
every state of their life (draft, open, closed, evaluated, awarded awaiting signature, active with
a district that joined later, cancelled, unsuccessful), plus a direct purchase.

Everything goes through the same use cases as real traffic, on the demo's own clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from events.types import (
    ContractType,
    Criterion,
    JoiningPolicy,
    NeedLine,
    PriceUnit,
    PrivacyAgreementKind,
    PrivacyScope,
    ReportedResult,
    Usage,
    Pricing,
    ProcurementMethod,
    Role,
    Score,
    Seats,
    Subject,
    VolumeTier,
)
from marketplace.application import Marketplace
from marketplace.domain.accounts import Account
from marketplace.domain.districts import Consortium, District
from marketplace.domain.offerings import Offering
from marketplace.domain.pricing import is_per_seat
from marketplace.domain.solicitations import AwardDecision, Solicitation

# nces_id, name, state, NCES locale, enrollment, average daily attendance
DISTRICTS = [
    ("3000110", "Big Timber Public Schools", "MT", 43, 420, 398),
    ("3000120", "Harlowton Public Schools", "MT", 43, 260, 241),
    ("3000130", "White Sulphur Springs Schools", "MT", 42, 310, 290),
    ("3000140", "Melville Public Schools", "MT", 43, 90, 84),
    ("3800210", "Hettinger Public School District", "ND", 43, 330, 312),
    ("3800220", "Mott-Regent Public Schools", "ND", 43, 280, 262),
    ("3800230", "New England Public Schools", "ND", 42, 250, 233),
    ("5000310", "Orange Southwest School District", "VT", 42, 880, 812),
    ("5000320", "Blue Mountain Union School District", "VT", 43, 410, 388),
    ("5000330", "Rivendell Interstate School District", "VT", 43, 560, 521),
    ("3500410", "Mora Independent Schools", "NM", 43, 380, 344),
    ("3500420", "Los Lunas Public Schools", "NM", 21, 8300, 7420),
]
CONSORTIA = [
    ("Crazy Mountains Cooperative", ["3000110", "3000120", "3000130"]),
    ("Prairie Rose Purchasing Alliance", ["3800210", "3800220", "3800230"]),
    ("Green Mountain Learning Collaborative", ["5000310", "5000320", "5000330"]),
]
PRICE = Criterion("Price", 40, is_price=True)
APPROACH = Criterion("Instructional approach", 35)
SUPPORT = Criterion("Rural implementation support", 25)


@dataclass(frozen=True)
class ProcurementReport:
    lead_buyer_token: str
    solicitations: int
    contracts: int


class _Demo:
    def __init__(self, app: Marketplace, clock: Any, rng: random.Random, providers: list[tuple[Account, list[Offering]]]):
        self.app = app
        self.clock = clock
        self.rng = rng
        self.bidders = [(account, offerings[0]) for account, offerings in providers if offerings]
        self.catalog = [(account, offerings) for account, offerings in providers if offerings]
        self.buyers: dict[str, Account] = {}
        self.districts: dict[str, District] = {}
        self.tokens: dict[str, str] = {}
        self.solicitations = 0
        self.contracts = 0

    # Set-up ----------------------------------------------------------------------------------

    def districts_and_consortia(self) -> list[tuple[Consortium, Account, Account]]:
        for nces_id, name, state, locale, enrollment, ada in DISTRICTS:
            opened, token = self.app.open_account(None, Role.BUYER, f"{name} procurement officer")
            district = self.app.register_district(
                opened,
                nces_id=nces_id,
                name=name,
                state=state,
                locale_code=locale,
                enrollment=enrollment,
                average_daily_attendance=ada,
            )
            self.buyers[nces_id] = self.app.get_account(opened.id)
            self.districts[nces_id] = district
            self.tokens[nces_id] = token
        out = []
        for name, members in CONSORTIA:
            lead = self.buyers[members[0]]
            consortium = self.app.form_consortium(lead, name, self.districts[members[0]].id, None)
            for nces_id in members[1:]:
                self.app.add_consortium_member(self.buyers[nces_id], consortium.id, self.districts[nces_id].id)
            evaluator, _ = self.app.open_account(None, Role.EVALUATOR, f"{name} evaluator")
            out.append((self.app.get_consortium(consortium.id), lead, evaluator))
        return out

    def _bidders_for(self, subject: Subject, count: int) -> list[tuple[Account, Offering]]:
        """Providers with a published offering in the subject, each proposing that offering."""
        def fit(offering: Offering) -> int:  # 2: the offering's main subject, 1: one of them
            return 2 if offering.subjects[:1] == (subject,) else int(subject in offering.subjects)

        matching = [
            (account, max(offerings, key=fit))
            for account, offerings in self.catalog
            if any(fit(o) for o in offerings)
        ]
        matching.sort(key=lambda pair: -fit(pair[1]))
        matching = matching[: max(count, 3)]
        others = [(a, o[0]) for a, o in self.catalog if all(a is not m[0] for m in matching)]
        pool = matching if len(matching) >= count else matching + others
        return self.rng.sample(pool, k=count) if count else []

    # One solicitation, taken as far as ``stop`` -----------------------------------------------

    def solicit(
        self,
        consortium: Consortium,
        lead: Account,
        evaluator: Account,
        *,
        title: str,
        subject: Subject,
        seats: int,
        value: str,
        method: ProcurementMethod | None,
        stop: str,
        joining: JoiningPolicy = JoiningPolicy.NONE,
        bidders: int = 3,
        open_until: datetime | None = None,
    ) -> tuple[Solicitation, Any]:
        now = self.clock.moment
        chosen = self._bidders_for(subject, bidders)
        criteria = (PRICE, APPROACH, SUPPORT) if method in (None, ProcurementMethod.COMPETITIVE_PROPOSALS) else ()
        proposals_due = open_until or (now + timedelta(days=14))
        spec = {
            "title": title,
            "description": f"{consortium.name} pools its members' demand: {title.lower()}.",
            "lines": (
                NeedLine(
                    description=title,
                    category=subject,
                    offering_ids=(),
                    demand=tuple(Seats(d, seats) for d in consortium.members),
                ),
            ),
            "estimated_value": Decimal(value),
            "method": method,
            "criteria": criteria,
            "questions_due": proposals_due - timedelta(days=5),
            "proposals_due": proposals_due,
            "joining_policy": joining,
            "invited_provider_ids": tuple(a.organization_id for a, _ in chosen)
            if method is ProcurementMethod.REQUEST_FOR_QUOTES
            else (),
        }
        solicitation = self.app.draft_solicitation(lead, consortium.id, spec)
        self.solicitations += 1
        if stop == "draft":
            return solicitation, None
        self.app.publish_solicitation(lead, solicitation.id)
        self.app.name_evaluator(lead, solicitation.id, evaluator.id)
        if chosen:
            asked = self.app.ask_question(chosen[0][0], solicitation.id, "May districts start mid-year?")
            question_id = next(iter(asked.questions))
            self.app.answer_question(lead, solicitation.id, question_id, "Yes: pricing is prorated by month.")
        if stop == "cancelled":
            self.clock.advance(days=3)
            self.app.cancel_solicitation(lead, solicitation.id, "The board deferred the purchase to next year.")
            return solicitation, None
        proposals = []
        for n, (account, offering) in enumerate(chosen):
            self.clock.advance(hours=6)
            base = Decimal(value) / (seats * len(consortium.members)) * Decimal("0.97") - n * 3
            base = base.quantize(Decimal("1"))
            pricing = Pricing(
                PriceUnit.PER_STUDENT_PER_YEAR,
                base,
                volume_tiers=(VolumeTier(1000, (base * Decimal("0.92")).quantize(Decimal("0.01"))),),
            )
            proposals.append(
                self.app.submit_proposal(
                    account, solicitation.id, [offering.id], pricing, f"How {offering.title} fits this need."
                )
            )
        if stop == "open":
            return solicitation, None
        self.clock.moment = max(self.clock.moment, proposals_due) + timedelta(hours=1)
        self.app.close_solicitation(solicitation.id, [p.id for p in proposals])
        if stop == "closed":
            return solicitation, None
        if stop == "unsuccessful":
            self.app.declare_unsuccessful(lead, solicitation.id, "No proposals were received.")
            return solicitation, None
        solicitation = self.app.get_solicitation(solicitation.id)
        if solicitation.method is ProcurementMethod.COMPETITIVE_PROPOSALS:
            self.app.attest(evaluator, solicitation.id, "I have no interest in any offeror.")
            for proposal in proposals:
                scores = [Score(c.name, Decimal(self.rng.randrange(60, 96))) for c in solicitation.criteria]
                self.app.score_proposal(evaluator, solicitation.id, proposal.id, scores, None)
        self.clock.advance(days=2)
        solicitation = self.app.complete_evaluation(lead, solicitation.id)
        if stop == "evaluated":
            return solicitation, None
        winner = solicitation.ranking[0]["proposal_id"]
        self.clock.advance(days=2)
        start = (self.clock.moment + timedelta(days=10)).date()
        contract = self.app.award(
            lead,
            solicitation.id,
            AwardDecision(
                proposal_id=winner,
                contract_type=ContractType.FIXED_UNIT_PRICE,
                method_rationale=(
                    f"{solicitation.method.value.replace('_', ' ')} for an estimated {value} USD "
                    f"under the thresholds in force on {solicitation.created_on.date()}"
                ),
                selection_reason="Best ranked responsive proposal.",
                rejections={p.id: "Ranked lower." for p in proposals if p.id != winner},
                price_basis="Competition among the proposals received; pooled seats reach a volume tier.",
                cost_price_analysis="Proposals compared with each other and with catalog list prices.",
                term_start=start,
                term_end=start.replace(year=start.year + 1) - timedelta(days=1),
            ),
        )
        self.contracts += 1
        if stop == "signed":
            provider = next(a for a, _ in chosen if a.organization_id == contract.provider_id)
            self.clock.advance(days=3)
            contract = self.app.sign_contract(provider, contract.id, "Partnerships director")
        return solicitation, contract


def _trust_and_outcomes(demo: _Demo, contract: Any) -> None:
    """Designations, privacy agreements, student-data access and outcome reports for the demo."""
    app, clock = demo.app, demo.clock
    today = clock.moment.date()
    authority, _ = app.open_account(None, Role.AUTHORITY, "Montana Office of Public Instruction")
    labelled = [contract.offering_ids[0], *(o.id for _, o in demo.bidders[:3])]
    designations = [
        app.issue_designation(
            authority,
            offering_id,
            name="Montana Approved Personalized Learning Model",
            issuer="Montana Office of Public Instruction",
            criteria_url="https://opi.example.gov/personalized-learning/criteria",
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=335),
        )
        for offering_id in dict.fromkeys(labelled)
    ]
    app.revoke_designation(authority, designations[-1].id, "The model's implementation partner changed.")

    winner = next(a for a, _ in demo.bidders if a.organization_id == contract.provider_id)
    app.record_privacy_agreement(
        winner,
        contract.provider_id,
        scope=PrivacyScope.STATE,
        kind=PrivacyAgreementKind.STATE_MODEL,
        state="MT",
        signed_on=today - timedelta(days=60),
        document_url="https://privacy.example.org/agreements/mt-model",
    )
    for account, _ in demo.bidders[:4]:
        if account.organization_id == contract.provider_id:
            continue
        app.record_privacy_agreement(
            account,
            account.organization_id,
            scope=PrivacyScope.STATE,
            kind=PrivacyAgreementKind.NATIONAL_DPA,
            state="ND",
            signed_on=today - timedelta(days=90),
            document_url="https://privacy.example.org/agreements/ndpa",
        )
    clock.advance(days=1)
    for nces_id in ("3000110", "3000120"):
        app.grant_student_data_access(demo.buyers[nces_id], contract.id, demo.districts[nces_id].id)

    clock.advance(days=14)
    year = f"{today.year}-{(today.year + 1) % 100:02d}" if today.month >= 7 else f"{today.year - 1}-{today.year % 100:02d}"
    for nces_id, students, baseline, result, renewing in (
        ("3000110", 380, "41.0", "52.5", True),
        ("3000120", 230, "38.5", "47.0", True),
        ("3000140", 55, None, "44.0", False),
    ):
        app.report_outcome(
            demo.buyers[nces_id],
            contract.id,
            demo.districts[nces_id].id,
            year,
            {
                "students_served": students,
                "usage": Usage(average_minutes_per_week=95, sessions=None, notes=None),
                "results": (
                    ReportedResult(
                        measure="Share of students at or above grade level in math (%)",
                        baseline=None if baseline is None else Decimal(baseline),
                        result=Decimal(result),
                        method="Fall-to-winter benchmark assessment",
                    ),
                ),
                "satisfaction": 4 if renewing else 3,
                "renewing": renewing,
            },
        )


def load_procurement(
    app: Marketplace, clock: Any, rng: random.Random, providers: list[tuple[Account, list[Offering]]]
) -> ProcurementReport:
    demo = _Demo(app, clock, rng, providers)
    clock.advance(days=1)
    (montana, mt_lead, mt_eval), (dakota, nd_lead, nd_eval), (vermont, vt_lead, vt_eval) = (
        demo.districts_and_consortia()
    )
    real_now = datetime.now(tz=timezone.utc)

    _, active = demo.solicit(
        montana, mt_lead, mt_eval, title="Middle-school math, grades 6-8", subject=Subject.MATH,
        seats=400, value="480000.00", method=None, stop="signed", joining=JoiningPolicy.ANY_DISTRICT,
    )
    demo.solicit(
        dakota, nd_lead, nd_eval, title="Early literacy tutoring tool", subject=Subject.ELA,
        seats=200, value="120000.00", method=ProcurementMethod.REQUEST_FOR_QUOTES, stop="awarded",
    )
    demo.solicit(
        vermont, vt_lead, vt_eval, title="High-school science labs", subject=Subject.SCIENCE,
        seats=400, value="400000.00", method=ProcurementMethod.SEALED_BIDS, stop="evaluated",
    )
    demo.solicit(
        dakota, nd_lead, nd_eval, title="Career pathways coaching", subject=Subject.CAREER_TECHNICAL,
        seats=150, value="90000.00", method=ProcurementMethod.COMPETITIVE_PROPOSALS, stop="cancelled",
    )
    demo.solicit(
        montana, mt_lead, mt_eval, title="World languages courses", subject=Subject.WORLD_LANGUAGES,
        seats=120, value="60000.00", method=ProcurementMethod.COMPETITIVE_PROPOSALS, stop="unsuccessful",
        bidders=0,
    )
    demo.solicit(
        vermont, vt_lead, vt_eval, title="Social-emotional learning advisory", subject=Subject.SOCIAL_EMOTIONAL,
        seats=300, value="200000.00", method=ProcurementMethod.COMPETITIVE_PROPOSALS, stop="closed",
    )
    demo.solicit(
        dakota, nd_lead, nd_eval, title="Computer science pathway, grades 9-12", subject=Subject.COMPUTER_SCIENCE,
        seats=150, value="380000.00", method=None, stop="open", open_until=real_now + timedelta(days=20),
    )
    demo.solicit(
        montana, mt_lead, mt_eval, title="Science curriculum refresh", subject=Subject.SCIENCE,
        seats=300, value="250000.00", method=ProcurementMethod.COMPETITIVE_PROPOSALS, stop="draft",
    )

    # A small district outside the consortium joins the active contract, as it allowed.
    clock.moment = max(clock.moment, datetime.combine(active.term_start, datetime.min.time(), timezone.utc))
    clock.advance(days=20)
    app.join_contract(
        demo.buyers["3000140"], active.id, demo.districts["3000140"].id, 60, active.offering_ids[0]
    )
    # A district buys alone, below the micro-purchase threshold: seats, of an offering priced
    # per seat (one priced per school, per district or one-time is not bought by seats).
    offering = min(
        (
            o
            for _, published in providers
            for o in published
            if o.pricing is not None and is_per_seat(o.pricing.unit)
        ),
        key=lambda o: o.pricing.list_price if o.pricing else Decimal(0),
    )
    assert offering.pricing is not None
    seats = max(1, int(Decimal("9000") / max(offering.pricing.list_price, Decimal(1))))
    today = clock.moment.date()
    app.direct_purchase(
        demo.buyers["3500410"],
        offering.id,
        [Seats(demo.districts["3500410"].id, seats)],
        None,
        "Three catalog listings compared; this list price is the lowest for the grade band.",
        ContractType.FIXED_UNIT_PRICE,
        today + timedelta(days=7),
        today + timedelta(days=371),
    )
    demo.contracts += 1
    _trust_and_outcomes(demo, app.get_contract(active.id))
    if clock.moment > real_now:
        raise RuntimeError("the demo timeline ran past the present")
    return ProcurementReport(
        lead_buyer_token=demo.tokens["3000110"],
        solicitations=demo.solicitations,
        contracts=demo.contracts,
    )
