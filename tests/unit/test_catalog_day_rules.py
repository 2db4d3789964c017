"""The catalog index judges designations and privacy agreements on a day with array arithmetic;
it must judge exactly as the domain's rules do (``designation_status``, ``in_force``)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

import numpy as np

from events.types import PrivacyAgreement, PrivacyAgreementKind, PrivacyScope
from marketplace.domain.designations import DesignationStatus, designation_status
from marketplace.domain.providers import in_force
from projections.catalog_index import NO_DAY, Agreements, Designations

START = date(2026, 3, 1)
ENDS = (None, START, START + timedelta(days=30))
DAYS = [START + timedelta(days=n) for n in (-1, 0, 1, 29, 30, 31)]


def _day(value: date | None) -> int:
    return int(NO_DAY) if value is None else value.toordinal()


def test_an_active_designation_is_active_by_the_domains_rule_on_every_day() -> None:
    cases = list(itertools.product(ENDS, (False, True)))
    designations = Designations(
        offering=np.arange(len(cases), dtype=np.int64),
        name=np.zeros(len(cases), dtype=np.int32),
        valid_from=np.full(len(cases), START.toordinal(), dtype=np.int32),
        valid_until=np.array([_day(until) for until, _ in cases], dtype=np.int32),
        revoked=np.array([revoked for _, revoked in cases], dtype=bool),
        names=("Approved model",),
    )

    for day in DAYS:
        expected = [
            designation_status(START, until, revoked, day) is DesignationStatus.ACTIVE
            for until, revoked in cases
        ]
        assert designations.active(day).tolist() == expected, day


def test_an_agreement_in_force_is_in_force_by_the_domains_rule_on_every_day() -> None:
    signed = [
        PrivacyAgreement(
            id=uuid.uuid4(),
            scope=PrivacyScope.STATE,
            state="MT",
            district_id=None,
            kind=PrivacyAgreementKind.STATE_MODEL,
            adopted_from_district_id=None,
            signed_on=START,
            expires_on=end,
            document_url="https://example.org/dpa.pdf",
        )
        for end in ENDS
    ]
    agreements = Agreements(
        provider=np.zeros(len(signed), dtype=np.int32),
        state=np.zeros(len(signed), dtype=np.int32),
        signed_on=np.array([a.signed_on.toordinal() for a in signed], dtype=np.int32),
        expires_on=np.array([_day(a.expires_on) for a in signed], dtype=np.int32),
        states=("MT",),
    )

    for day in DAYS:
        assert agreements.in_force(day).tolist() == [in_force(a, day) for a in signed], day
