"""Purchase thresholds as data with effective dates, and the procurement method they require.

PRODUCT rule 1: the method follows from the total value and the thresholds in force on the
solicitation's date. Federal values come from 2 CFR 200.1 and 200.320 (raised from 2025-10-01);
a consortium may set stricter (lower) local values, which win where they are lower.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Iterable

from events.types import Justification, NoncompetitiveCase, ProcurementMethod, Thresholds
from marketplace.domain import validation
from marketplace.domain.errors import InvalidValue, invalid

FEDERAL_THRESHOLDS: tuple[Thresholds, ...] = (
    Thresholds(date(2018, 6, 20), Decimal("10000.00"), Decimal("250000.00")),
    Thresholds(date(2025, 10, 1), Decimal("15000.00"), Decimal("350000.00")),
)

FORMAL_METHODS = frozenset({ProcurementMethod.COMPETITIVE_PROPOSALS, ProcurementMethod.SEALED_BIDS})
PRICE_RANKED_METHODS = frozenset(
    {ProcurementMethod.SEALED_BIDS, ProcurementMethod.REQUEST_FOR_QUOTES}
)
_RANK = {
    ProcurementMethod.DIRECT_PURCHASE: 0,
    ProcurementMethod.REQUEST_FOR_QUOTES: 1,
    ProcurementMethod.COMPETITIVE_PROPOSALS: 2,
    ProcurementMethod.SEALED_BIDS: 2,
}
SOLICITATION_CASES = frozenset(NoncompetitiveCase) - {NoncompetitiveCase.MICRO_PURCHASE}
MIN_QUOTES = 3  # local policy: a request for quotes goes to at least three providers


def in_force(schedule: Iterable[Thresholds], on: date) -> Thresholds | None:
    current = None
    for thresholds in sorted(schedule, key=lambda t: t.effective_from):
        if thresholds.effective_from <= on:
            current = thresholds
    return current


def thresholds_on(on: date, local_schedule: Iterable[Thresholds] = ()) -> Thresholds:
    """The thresholds in force on a day: federal, lowered where a local value is stricter."""
    federal = in_force(FEDERAL_THRESHOLDS, on)
    if federal is None:
        raise invalid("on", f"no purchase thresholds are recorded for {on.isoformat()}")
    local = in_force(local_schedule, on)
    if local is None:
        return federal
    return Thresholds(
        max(federal.effective_from, local.effective_from),
        min(federal.micro_purchase, local.micro_purchase),
        min(federal.simplified_acquisition, local.simplified_acquisition),
    )


def required_method(value: Decimal, thresholds: Thresholds) -> ProcurementMethod:
    """At or below micro-purchase: direct purchase; up to simplified acquisition: quotes;
    above: a formal method (competitive proposals or sealed bids)."""
    if value <= thresholds.micro_purchase:
        return ProcurementMethod.DIRECT_PURCHASE
    if value <= thresholds.simplified_acquisition:
        return ProcurementMethod.REQUEST_FOR_QUOTES
    return ProcurementMethod.COMPETITIVE_PROPOSALS


def is_at_least(method: ProcurementMethod, required: ProcurementMethod) -> bool:
    """Is ``method`` as strict as ``required`` or stricter?"""
    return _RANK[method] >= _RANK[required]


def is_formal(method: ProcurementMethod) -> bool:
    return method in FORMAL_METHODS


def check_solicitation_method(
    chosen: ProcurementMethod, required: ProcurementMethod, justification: Justification | None
) -> None:
    """A buyer may choose a stricter method than the value requires, never a looser one;
    noncompetitive only with a justification from the allowed cases."""
    if chosen is ProcurementMethod.DIRECT_PURCHASE:
        raise invalid("method", "a direct purchase is ordered from the catalog, not solicited")
    if chosen is ProcurementMethod.NONCOMPETITIVE:
        check_justification(justification, SOLICITATION_CASES)
        return
    if not is_at_least(chosen, required):
        raise InvalidValue(
            f"method: the estimated value requires {required.value} or stricter, "
            f"not {chosen.value}",
            {"method": [f"the estimated value requires {required.value} or stricter"]},
        )


def check_justification(
    justification: Justification | None, allowed: Iterable[NoncompetitiveCase]
) -> Justification:
    if justification is None:
        raise invalid("justification", "a noncompetitive procurement needs a recorded justification")
    allowed = frozenset(allowed)
    if justification.case not in allowed:
        names = ", ".join(sorted(c.value for c in allowed))
        raise invalid("justification.case", f"must be one of the allowed cases: {names}")
    explanation = validation.statement(
        "justification.explanation", justification.explanation, asks="must state the facts"
    )
    return Justification(case=justification.case, explanation=explanation)


def check_local_thresholds(thresholds: Thresholds, within: str | None = None) -> Thresholds:
    """Local thresholds must be positive amounts in whole cents, ordered, and no looser than
    federal ones that day.

    ``within``: the field holding them, when they are not the request itself
    (``local_thresholds`` of a new consortium)."""

    def field(name: str) -> str:
        return f"{within}.{name}" if within else name

    amounts = {
        field("micro_purchase"): thresholds.micro_purchase,
        field("simplified_acquisition"): thresholds.simplified_acquisition,
    }
    not_positive = {
        name: ["must be a positive amount"]
        for name, amount in amounts.items()
        if not amount.is_finite() or amount <= 0
    }
    if not_positive:
        raise InvalidValue("local thresholds must be positive amounts", not_positive)
    not_cents = {
        name: ["must be in whole cents (at most two decimal places)"]
        for name, amount in amounts.items()
        if not validation.in_whole_cents(amount)
    }
    if not_cents:
        message = f"{', '.join(not_cents)}: must be in whole cents (at most two decimal places)"
        raise InvalidValue(message, not_cents)
    if thresholds.micro_purchase >= thresholds.simplified_acquisition:
        raise invalid(field("micro_purchase"), "must be below the simplified acquisition threshold")
    federal = in_force(FEDERAL_THRESHOLDS, thresholds.effective_from)
    if federal is None:
        raise invalid(field("effective_from"), "is before any federal threshold on record")
    problems: dict[str, list[str]] = {}
    if thresholds.micro_purchase > federal.micro_purchase:
        problems[field("micro_purchase")] = [
            f"must not exceed the federal {federal.micro_purchase} in force on that date"
        ]
    if thresholds.simplified_acquisition > federal.simplified_acquisition:
        problems[field("simplified_acquisition")] = [
            f"must not exceed the federal {federal.simplified_acquisition} in force on that date"
        ]
    if problems:
        raise InvalidValue("local thresholds may only be stricter than federal ones", problems)
    return replace(  # "5000" is recorded as 5000.00
        thresholds,
        micro_purchase=validation.cents(thresholds.micro_purchase),
        simplified_acquisition=validation.cents(thresholds.simplified_acquisition),
    )
