"""A realistic demonstration catalog: providers of personalized-learning models and their offerings.

Deterministic (a seeded generator) and loaded through the same use cases as real traffic, so the
demo's event log is an honest one. Loading twice does nothing: provider ids derive from their
identifiers, and the first demo provider's presence marks the data as loaded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import events
from events.types import (
    Contact,
    Delivery,
    Evidence,
    GradeBand,
    Interoperability,
    ModelType,
    OrganizationIdentifier,
    PriceUnit,
    Pricing,
    Role,
    Subject,
    VolumeTier,
)
from marketplace.application import Marketplace
from marketplace.domain.accounts import Account
from marketplace.domain.idempotency import IdempotencyReceipt
from marketplace.domain.offerings import Offering
from marketplace.domain.providers import Provider

PROVIDER_NAMES = [
    "Prairie Learning Collaborative", "Summit Mastery Partners", "Riverbend Education Labs",
    "Open Path Schools Network", "Cedar Ridge Learning Co.", "Northstar Competency Institute",
    "Blue Mesa Adaptive", "Harvest Moon Tutoring", "Granite Peak Project Learning",
    "Lighthouse Literacy Group", "Frontier STEM Works", "Heartland Personalized Pathways",
    "Quill & Compass Writing", "Tidewater Math Studio", "Redwood Whole-School Design",
    "Big Sky Career Academies", "Three Rivers Language Lab", "Cornerstone SEL Partners",
    "Canyon Code Academy", "Meadowlark Early Learning", "Pioneer Virtual Courses",
    "Sagebrush Science Kits", "Evergreen Inclusion Services", "Lakeshore Assessment Tools",
    "Ironwood Apprenticeship Network", "Bluebonnet Bilingual Learning", "Copperleaf Data Coaching",
    "High Plains Arts Collective", "Juniper Health & PE", "Keystone Instructional Coaching",
]

SUBJECT_WORDS = {
    Subject.MATH: ("Math", "number sense, algebra readiness and problem solving"),
    Subject.ELA: ("Literacy", "foundational reading, writing and discussion"),
    Subject.SCIENCE: ("Science", "phenomena-based investigations and lab practice"),
    Subject.SOCIAL_STUDIES: ("Civics & History", "inquiry into local and national history"),
    Subject.WORLD_LANGUAGES: ("Spanish", "conversation-first world language learning"),
    Subject.ARTS: ("Arts", "studio practice, music and performance"),
    Subject.COMPUTER_SCIENCE: ("Computer Science", "programming, data and computational thinking"),
    Subject.CAREER_TECHNICAL: ("Career Pathways", "work-based learning and industry credentials"),
    Subject.SOCIAL_EMOTIONAL: ("SEL", "self-management, relationships and advisory"),
    Subject.HEALTH_PE: ("Health & PE", "wellness, fitness and health literacy"),
    Subject.SPECIAL_EDUCATION: ("Inclusive Learning", "IEP-aligned supports and co-teaching"),
    Subject.ENGLISH_LEARNERS: ("English Language Development", "language acquisition for multilingual learners"),
}

MODEL_WORDS = {
    ModelType.WHOLE_SCHOOL: ("Whole-School Redesign", "a whole-school model with mastery-based progression, advisory and flexible scheduling"),
    ModelType.COURSE: ("Course", "a full-year course with personalized pacing and teacher dashboards"),
    ModelType.TOOL: ("Adaptive Practice", "an adaptive tool that adjusts to each student and reports to teachers"),
    ModelType.SERVICE: ("Coaching Service", "job-embedded coaching and implementation support for teachers and leaders"),
}

GRADE_RANGES = [
    (GradeBand.PRE_K, GradeBand.K_2),
    (GradeBand.K_2, GradeBand.GRADES_3_5),
    (GradeBand.GRADES_3_5, GradeBand.GRADES_6_8),
    (GradeBand.GRADES_6_8,),
    (GradeBand.GRADES_6_8, GradeBand.GRADES_9_12),
    (GradeBand.GRADES_9_12,),
    (GradeBand.GRADES_9_12, GradeBand.ADULT),
    (GradeBand.K_2, GradeBand.GRADES_3_5, GradeBand.GRADES_6_8),
]

PRICE_UNITS = {
    ModelType.WHOLE_SCHOOL: PriceUnit.PER_SCHOOL_PER_YEAR,
    ModelType.COURSE: PriceUnit.PER_STUDENT_PER_YEAR,
    ModelType.TOOL: PriceUnit.PER_STUDENT_PER_YEAR,
    ModelType.SERVICE: PriceUnit.PER_TEACHER_PER_YEAR,
}
PRICE_RANGES = {
    PriceUnit.PER_SCHOOL_PER_YEAR: (18000, 95000),
    PriceUnit.PER_STUDENT_PER_YEAR: (6, 240),
    PriceUnit.PER_TEACHER_PER_YEAR: (400, 4800),
}

OFFERINGS_PER_PROVIDER = 5  # 30 providers x 5 = 150 offerings


@dataclass(frozen=True)
class DemoReport:
    providers: int
    offerings: int
    admin_token: str
    provider_token: str
    buyer_token: str
    solicitations: int
    contracts: int


def _identifier(index: int) -> OrganizationIdentifier:
    return OrganizationIdentifier(scheme="US-EIN", id=f"84-{1000000 + index * 7919:07d}")


DEMO_ACTOR, DEMO_KEY = "system:demo", "demo-load"
"""The demo's last write is the receipt of its loading under this actor and key: its mark of a
load that finished."""


def loaded_state(app: Marketplace) -> str:
    """``empty``: no demo data; ``loaded``: a load that finished; ``partial``: one that began
    (its first provider is there) and did not finish, such as a load stopped midway."""
    if app.load_optional(IdempotencyReceipt.id_for(DEMO_ACTOR, DEMO_KEY)) is not None:
        return "loaded"
    if app.load_optional(Provider.id_for(_identifier(0))) is not None:
        return "partial"
    return "empty"


def _mark_loaded(app: Marketplace) -> None:
    app.save(IdempotencyReceipt.record(DEMO_ACTOR, DEMO_KEY, "", 200, None, None))


def _price(rng: random.Random, unit: PriceUnit) -> Decimal:
    low, high = PRICE_RANGES[unit]
    value = rng.uniform(low, high)
    step = Decimal("1") if value > 1000 else Decimal("0.50")
    return (Decimal(str(value)) / step).quantize(Decimal("1")) * step


def _pricing(rng: random.Random, model_type: ModelType) -> Pricing:
    unit = PRICE_UNITS[model_type]
    list_price = _price(rng, unit).quantize(Decimal("0.01"))
    tiers: tuple[VolumeTier, ...] = ()
    if unit is PriceUnit.PER_STUDENT_PER_YEAR and rng.random() < 0.7:
        tiers = (
            VolumeTier(250, (list_price * Decimal("0.90")).quantize(Decimal("0.01"))),
            VolumeTier(1000, (list_price * Decimal("0.80")).quantize(Decimal("0.01"))),
            VolumeTier(5000, (list_price * Decimal("0.70")).quantize(Decimal("0.01"))),
        )
    elif unit is PriceUnit.PER_TEACHER_PER_YEAR and rng.random() < 0.5:
        tiers = (VolumeTier(20, (list_price * Decimal("0.85")).quantize(Decimal("0.01"))),)
    return Pricing(unit=unit, list_price=list_price, volume_tiers=tiers)


def _evidence(rng: random.Random, slug: str) -> Evidence | None:
    roll = rng.random()
    if roll < 0.3:
        return None  # early models often have no outcome data yet, and that is not a gate
    tier = 1 if roll < 0.42 else 2 if roll < 0.6 else 3 if roll < 0.8 else 4
    study_date = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365))
    return Evidence(
        tier=tier,
        study_url=f"https://evidence.example.org/studies/{slug}",
        study_date=study_date,
        study_title=f"Outcomes study of {slug.replace('-', ' ')}",
    )


def _details(rng: random.Random, provider_name: str, n: int) -> dict[str, Any]:
    model_type = rng.choice(list(ModelType))
    subjects = rng.sample(list(SUBJECT_WORDS), k=rng.choice((1, 1, 2, 3)))
    grades = rng.choice(GRADE_RANGES)
    subject_label, subject_focus = SUBJECT_WORDS[subjects[0]]
    model_label, model_text = MODEL_WORDS[model_type]
    brand = provider_name.split()[0]
    title = f"{brand} {subject_label} {model_label}" + (f" {n + 1}" if n >= 4 else "")
    interop = sorted(
        rng.sample(list(Interoperability), k=rng.choice((0, 1, 2, 2, 3))), key=lambda i: i.value
    )
    slug = "-".join(title.lower().replace("&", "and").split())
    rural_note = rng.choice(
        (
            "Designed for small and rural schools with multi-grade classrooms.",
            "Works with intermittent connectivity and offline sync.",
            "Includes remote coaching for districts far from a training center.",
            "Shared-staff friendly: one coordinator can support several schools.",
        )
    )
    first, last = (g.value.replace("_", "-").replace("pre-k", "pre-K") for g in (grades[0], grades[-1]))
    span = first if first == last else f"{first} to {last}"
    return {
        "title": title,
        "summary": f"{model_label} in {subject_label.lower()} for grades {span}: {subject_focus}.",
        "description": f"{provider_name} offers {model_text}, focused on {subject_focus}. "
        f"{rural_note} Students move on when they show mastery; teachers see each student's "
        "progress and next steps. Implementation includes onboarding, data privacy review and a "
        "mid-year check-in.",
        "model_type": model_type,
        "subjects": subjects,
        "grade_bands": list(grades),
        "delivery": rng.choice(list(Delivery)),
        "interoperability": interop,
        "pricing": _pricing(rng, model_type),
        "evidence": _evidence(rng, slug),
    }


class DemoClock:
    """The demo's own timeline: it starts months ago and ends before now, so the demo can hold
    solicitations in every state of their life, each event stamped when it would have happened."""

    def __init__(self, start: datetime):
        self.moment = start

    def now(self) -> datetime:
        self.moment += timedelta(milliseconds=1)
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class DemoCatalog:
    admin_token: str
    provider_token: str
    offerings: int
    providers: list[tuple[Account, list[Offering]]] = field(default_factory=list)


def load_demo(app: Marketplace, seed: int = 2026) -> DemoReport | None:
    """The demo data, loaded into an empty store; None (nothing done) where ``loaded_state``
    is not ``empty``."""
    if loaded_state(app) != "empty":
        return None
    from marketplace.demo_procurement import load_procurement

    rng = random.Random(seed)
    clock = DemoClock(datetime.now(tz=timezone.utc) - timedelta(days=150))
    previous = events.set_clock(clock)
    try:
        catalog = _load_catalog(app, rng)
        procurement = load_procurement(app, clock, rng, catalog.providers)
    finally:
        events.set_clock(previous)
    _mark_loaded(app)
    return DemoReport(
        providers=len(PROVIDER_NAMES),
        offerings=catalog.offerings,
        admin_token=catalog.admin_token,
        provider_token=catalog.provider_token,
        buyer_token=procurement.lead_buyer_token,
        solicitations=procurement.solicitations,
        contracts=procurement.contracts,
    )


def _load_catalog(app: Marketplace, rng: random.Random) -> DemoCatalog:
    _, admin_token = app.open_account(None, Role.ADMIN, "Demo administrator")
    catalog = DemoCatalog(admin_token=admin_token, provider_token="", offerings=0)
    for index, name in enumerate(PROVIDER_NAMES):
        opened, token = app.open_account(None, Role.PROVIDER, f"{name} (catalog manager)")
        catalog.provider_token = catalog.provider_token or token
        domain = name.lower().replace("&", "and").replace(".", "").replace(" ", "")[:24]
        app.register_provider(
            opened,
            legal_name=name,
            identifier=_identifier(index),
            website=f"https://{domain}.example.com",
            contact=Contact(name="Partnerships team", email=f"partners@{domain}.example.com"),
        )
        account = app.get_account(opened.id)
        published: list[Offering] = []
        for n in range(OFFERINGS_PER_PROVIDER):
            offering = app.draft_offering(account, _details(rng, name, n))
            catalog.offerings += 1
            roll = rng.random()
            if roll < 0.08:
                continue  # stays a draft, visible to its provider only
            offering = app.publish_offering(account, offering.id)
            if roll > 0.97:
                app.withdraw_offering(account, offering.id, "Replaced by a newer edition")
                continue
            if roll > 0.8:
                offering = app.revise_offering(
                    account,
                    offering.id,
                    {"summary": (offering.summary or "") + " Updated for the coming school year."},
                )
            published.append(offering)
        catalog.providers.append((account, published))
    return catalog
