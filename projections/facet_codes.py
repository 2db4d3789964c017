"""Small, stable integer codes for the catalog's categorical values.

The catalog read model stores an offering's subjects, grade bands and interoperability standards as
bit sets (bit ``code`` set for each value): a stored form, so a value keeps its code forever. A new
value takes the next free code; renumbering needs ``flask projections rebuild --name catalog``.
The catalog index (``projections.catalog_index``) codes the single-valued facets the same way.
"""

from __future__ import annotations

from typing import Iterable

from events.types import Delivery, GradeBand, Interoperability, ModelType, PriceUnit, Subject

SUBJECT = {
    "math": 0,
    "ela": 1,
    "science": 2,
    "social_studies": 3,
    "world_languages": 4,
    "arts": 5,
    "computer_science": 6,
    "career_technical": 7,
    "social_emotional": 8,
    "health_pe": 9,
    "special_education": 10,
    "english_learners": 11,
}
GRADE_BAND = {"pre_k": 0, "k_2": 1, "3_5": 2, "6_8": 3, "9_12": 4, "adult": 5}
INTEROPERABILITY = {
    "lti_1_3": 0,
    "oneroster": 1,
    "ed_fi": 2,
    "qti": 3,
    "caliper": 4,
    "common_cartridge": 5,
}
MODEL_TYPE = {"whole_school": 0, "course": 1, "tool": 2, "service": 3}
DELIVERY = {"in_person": 0, "online": 1, "blended": 2}
PRICE_UNIT = {
    "per_student_per_year": 0,
    "per_teacher_per_year": 1,
    "per_school_per_year": 2,
    "per_district_per_year": 3,
    "one_time": 4,
}
EVIDENCE_TIER = {"none": 0, "1": 1, "2": 2, "3": 3, "4": 4}

CODES = {
    "subject": (SUBJECT, Subject),
    "grade_band": (GRADE_BAND, GradeBand),
    "interoperability": (INTEROPERABILITY, Interoperability),
    "model_type": (MODEL_TYPE, ModelType),
    "delivery": (DELIVERY, Delivery),
    "price_unit": (PRICE_UNIT, PriceUnit),
}
"""Each enum-valued facet: its codes and the enum whose every value must have one."""

MULTI_VALUED = {"subject": SUBJECT, "grade_band": GRADE_BAND, "interoperability": INTEROPERABILITY}
SINGLE_VALUED = {"model_type": MODEL_TYPE, "delivery": DELIVERY, "price_unit": PRICE_UNIT}


def bits(codes: dict[str, int], values: Iterable[str] | None, strict: bool = False) -> int:
    """The bit set of ``values``. A value with no code sets no bit; with ``strict`` it makes the
    answer -1 instead (nothing can hold every one of the values)."""
    result = 0
    for value in values or ():
        code = codes.get(value)
        if code is None:
            if strict:
                return -1
            continue
        result |= 1 << code
    return result
