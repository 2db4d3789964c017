"""What can be bought by seats: a price per seat.

Demand is counted in seats (each line's demand per member district, a direct purchase's demand,
a district joining a contract), and a contract's value and each district's cost share are its unit
price times its seats. That product means something only when the price is a price per seat. A
seat is one person's license: a student's, or a teacher's (professional learning and teacher tools
are licensed per teacher). A price per school, per district or one-time is not a price per seat:
multiplied by seats it would overstate the value by the number of students, and ranked against
prices per seat it would compare unlike things.

Offerings stay free to be listed in the catalog in any unit; only buying them by seats (a
proposal's pricing, a direct purchase at list price) needs a unit per seat. And one solicitation's
seats are all of one kind, so its proposals are ranked and awarded only when all are priced in
the same unit per seat.
"""

from __future__ import annotations

from typing import Iterable
from uuid import UUID

from events.types import Pricing, PriceUnit
from marketplace.domain.errors import InvalidValue, invalid

SEAT_UNITS = (PriceUnit.PER_STUDENT_PER_YEAR, PriceUnit.PER_TEACHER_PER_YEAR)
"""Units priced per seat, a seat being one student's or one teacher's license."""

_SEAT_UNIT_NAMES = " or ".join(u.value for u in SEAT_UNITS)
_CATALOG_NOTE = (
    "an offering may still be listed in the catalog per school, per district or one-time, "
    "but it cannot be bought by seats"
)


def is_per_seat(unit: PriceUnit) -> bool:
    return unit in SEAT_UNITS


def require_proposal_per_seat(pricing: Pricing) -> None:
    """A proposal prices the solicitation's demand, which is counted in seats."""
    if not is_per_seat(pricing.unit):
        raise invalid(
            "pricing.unit",
            f"a proposal is priced per seat ({_SEAT_UNIT_NAMES}), since the demand is counted "
            f"in seats and the contract value is the price times the seats; not "
            f"{pricing.unit.value}: {_CATALOG_NOTE} through a solicitation",
        )


def require_offering_per_seat(pricing: Pricing) -> None:
    """A direct purchase buys seats at the offering's list price."""
    if not is_per_seat(pricing.unit):
        raise invalid(
            "offering_id",
            f"is priced {pricing.unit.value}: a direct purchase buys seats at the list price, "
            f"so the offering must be priced per seat ({_SEAT_UNIT_NAMES}); {_CATALOG_NOTE} "
            "directly",
        )


def require_one_seat_unit(priced: Iterable[tuple[UUID, Pricing]]) -> None:
    """The responsive proposals of one solicitation are ranked and awarded against the same
    seats: refuse unless they are all priced in one unit per seat."""
    by_unit: dict[PriceUnit, list[str]] = {}
    for proposal_id, pricing in priced:
        by_unit.setdefault(pricing.unit, []).append(str(proposal_id))
    not_per_seat = {u: ids for u, ids in by_unit.items() if not is_per_seat(u)}
    if not not_per_seat and len(by_unit) <= 1:
        return
    listing = "; ".join(f"{u.value}: {', '.join(ids)}" for u, ids in by_unit.items())
    if not_per_seat:
        message = (
            f"every responsive proposal must be priced per seat ({_SEAT_UNIT_NAMES}); {listing}"
        )
    else:
        message = (
            "the responsive proposals are priced in different units and cannot be ranked "
            f"against each other ({listing}): declare nonresponsive those not priced in the "
            "unit the demand's seats are counted in"
        )
    raise InvalidValue(message, {"pricing.unit": [message]})
