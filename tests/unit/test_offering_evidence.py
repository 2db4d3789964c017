"""PRODUCT rule 10: a claimed ESSA evidence tier carries a study link, dated, not in the future."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from events.types import Evidence
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue
from marketplace.domain.offerings import Offering, OfferingStatus
from tests.unit.conftest import FIXED_NOW, FixedClock
from tests.unit.factories import complete_details, evidence

TODAY = FIXED_NOW.date()


def draft_with(owner: Account, value: Any) -> Offering:
    return Offering.draft(owner, {"title": "Prairie Math", "evidence": value})


def refused_fields(owner: Account, value: Any) -> set[str]:
    with pytest.raises(InvalidValue) as refused:
        draft_with(owner, value)
    return set(refused.value.fields)


@pytest.mark.parametrize("tier", [1, 2, 3, 4])
def test_each_essa_tier_from_one_to_four_is_accepted(owner: Account, tier: int) -> None:
    assert draft_with(owner, evidence(tier=tier)).evidence.tier == tier


@pytest.mark.parametrize("tier", [0, 5, -1, None])
def test_an_evidence_tier_outside_one_to_four_is_refused(owner: Account, tier: Any) -> None:
    assert refused_fields(owner, evidence(tier=tier)) == {"evidence.tier"}


@pytest.mark.parametrize("study_url", [None, "", "   "])
def test_a_claimed_tier_without_a_study_url_is_refused(owner: Account, study_url: Any) -> None:
    assert refused_fields(owner, evidence(study_url=study_url)) == {"evidence.study_url"}


@pytest.mark.parametrize(
    "study_url", ["evidence.example.org/study", "ftp://example.org/s", "https://"]
)
def test_a_study_url_that_is_not_an_http_url_is_refused(owner: Account, study_url: str) -> None:
    assert refused_fields(owner, evidence(study_url=study_url)) == {"evidence.study_url"}


@pytest.mark.parametrize("study_date", [None, "2024-05-01"])
def test_a_claimed_tier_without_a_study_date_is_refused(owner: Account, study_date: Any) -> None:
    assert refused_fields(owner, evidence(study_date=study_date)) == {"evidence.study_date"}


def test_a_study_dated_after_today_is_refused(owner: Account) -> None:
    assert refused_fields(owner, evidence(study_date=date(2025, 6, 16))) == {"evidence.study_date"}


def test_a_study_dated_today_is_accepted(owner: Account) -> None:
    assert draft_with(owner, evidence(study_date=TODAY)).evidence.study_date == TODAY


def test_today_is_taken_from_the_events_clock(owner: Account, fixed_clock: FixedClock) -> None:
    fixed_clock.moment = datetime(2019, 1, 1, 12, 0, tzinfo=timezone.utc)

    assert refused_fields(owner, evidence(study_date=date(2019, 1, 2))) == {"evidence.study_date"}


def test_no_evidence_is_accepted_and_recorded_as_none(owner: Account) -> None:
    assert draft_with(owner, None).evidence is None


def test_an_offering_without_evidence_can_be_published(owner: Account) -> None:
    offering = Offering.draft(owner, complete_details(evidence=None))

    offering.publish(owner)

    assert offering.status is OfferingStatus.PUBLISHED


def test_a_valid_evidence_claim_is_recorded_with_a_trimmed_url_and_title(owner: Account) -> None:
    claim = evidence(study_url=" https://evidence.example.org/s ", study_title="  A study  ")

    assert draft_with(owner, claim).evidence == Evidence(
        tier=2,
        study_url="https://evidence.example.org/s",
        study_date=date(2024, 5, 1),
        study_title="A study",
    )


def test_an_invalid_evidence_claim_is_named_together_with_other_invalid_fields(
    owner: Account,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"title": "", "evidence": evidence(tier=7)})

    assert set(refused.value.fields) == {"title", "evidence.tier"}


def test_a_published_offering_can_drop_its_evidence_claim(
    published: Offering, owner: Account
) -> None:
    assert published.revise(owner, {"evidence": None}) is True

    assert published.evidence is None
