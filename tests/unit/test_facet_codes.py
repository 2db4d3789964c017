"""The catalog's stored facet codes cover every value and never collide."""

from __future__ import annotations

import pytest

from projections.facet_codes import CODES, bits


@pytest.mark.parametrize("facet", sorted(CODES))
def test_every_value_of_a_facet_has_its_own_code(facet: str) -> None:
    codes, enum = CODES[facet]

    assert set(codes) == {member.value for member in enum}
    assert len(set(codes.values())) == len(codes)
    assert all(0 <= code < 31 for code in codes.values())  # a bit of a signed 32-bit column


def test_a_bit_set_holds_exactly_the_values_given() -> None:
    codes, _ = CODES["subject"]

    held = bits(codes, ["math", "science"])

    assert {value for value, code in codes.items() if held >> code & 1} == {"math", "science"}
    assert bits(codes, []) == 0
    assert bits(codes, ["astrology"]) == 0  # no code, no bit


def test_a_strict_bit_set_of_a_value_with_no_code_is_impossible() -> None:
    codes, _ = CODES["interoperability"]

    assert bits(codes, ["lti_1_3", "oneroster"], strict=True) == bits(codes, ["lti_1_3", "oneroster"]) > 0
    assert bits(codes, ["lti_1_3", "smoke_signals"], strict=True) == -1
    assert bits(codes, ["lti_1_3", "smoke_signals"]) == bits(codes, ["lti_1_3"])
