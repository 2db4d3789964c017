"""Data privacy agreements (PRODUCT rule 11): a provider records the agreements it signed, per
state or per district; a contract's party district grants the provider access to its students'
data only while one of them covers that district."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest

from events.contracts import StudentDataAccessGranted
from events.providers import ProviderPrivacyAgreementRecorded
from events.types import PrivacyAgreement, PrivacyAgreementKind, PrivacyScope, Role
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract, PrivacyAgreementRequired
from marketplace.domain.errors import AlreadyExists, InvalidValue, NotAllowed, WrongState
from marketplace.domain.providers import Provider
from tests.unit.conftest import FIXED_NOW, FixedClock
from tests.unit.factories import register_provider
from tests.unit.procurement_factories import DURING_TERM, Cooperative, refused, stored_events

TODAY = FIXED_NOW.date()
DISTRICT = uuid4()
OTHER_DISTRICT = uuid4()
DOCUMENT = "https://privacy.example.org/agreements/mt-ndpa.pdf"


def state_terms(**overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "scope": PrivacyScope.STATE,
        "kind": PrivacyAgreementKind.NATIONAL_DPA,
        "state": "MT",
        "signed_on": date(2025, 3, 1),
        "expires_on": date(2028, 2, 29),
        "document_url": DOCUMENT,
    }
    terms.update(overrides)
    return terms


def district_terms(district_id: UUID = DISTRICT, **overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "scope": PrivacyScope.DISTRICT,
        "kind": PrivacyAgreementKind.DISTRICT_TERMS,
        "district_id": district_id,
        "signed_on": date(2025, 3, 1),
        "document_url": DOCUMENT,
    }
    terms.update(overrides)
    return terms


@pytest.fixture
def signer() -> tuple[Account, Provider]:
    account, provider = register_provider(ein="84-1000001", legal_name="Prairie Learning")
    provider.collect_events()
    return account, provider


@pytest.fixture
def provider(signer: tuple[Account, Provider]) -> Provider:
    return signer[1]


@pytest.fixture
def staff(signer: tuple[Account, Provider]) -> Account:
    return signer[0]


# Recording ---------------------------------------------------------------------------------------


def test_a_provider_records_a_state_agreement(provider: Provider, staff: Account) -> None:
    agreement = provider.record_privacy_agreement(staff, **state_terms(state="mt"))

    (event,) = provider.collect_events()
    assert isinstance(event, ProviderPrivacyAgreementRecorded)
    assert event.agreement == agreement
    assert (agreement.scope, agreement.state, agreement.district_id) == (PrivacyScope.STATE, "MT", None)
    assert provider.privacy_agreements == {agreement.id: agreement}


def test_a_provider_records_a_district_agreement(provider: Provider, staff: Account) -> None:
    agreement = provider.record_privacy_agreement(staff, **district_terms())

    assert (agreement.scope, agreement.state, agreement.district_id) == (
        PrivacyScope.DISTRICT,
        None,
        DISTRICT,
    )
    assert agreement.expires_on is None


DAY = timedelta(days=1)
END = date(2025, 3, 2)  # the day after the adoptions below are signed, on 2025-03-01
LAST_DAY = date(2027, 6, 30)


def adoption(**overrides: Any) -> dict[str, Any]:
    """DISTRICT adopts the terms the provider signed with OTHER_DISTRICT."""
    return district_terms(
        kind=PrivacyAgreementKind.ADOPTION, adopted_from_district_id=OTHER_DISTRICT, **overrides
    )


def test_an_adoption_names_the_district_whose_terms_it_adopts(provider: Provider, staff: Account) -> None:
    provider.record_privacy_agreement(staff, **district_terms(OTHER_DISTRICT))

    agreement = provider.record_privacy_agreement(staff, **adoption())

    assert agreement.adopted_from_district_id == OTHER_DISTRICT


def test_an_adoption_without_an_agreement_with_the_adopted_from_district_is_refused(
    provider: Provider, staff: Account
) -> None:
    with refused(InvalidValue, None, provider) as refusal:
        provider.record_privacy_agreement(staff, **adoption())

    assert set(refusal.value.fields) == {"adopted_from_district_id"}


@pytest.mark.parametrize(
    "adopted",
    [
        pytest.param(state_terms(), id="a state agreement covering its state"),
        pytest.param(district_terms(uuid4()), id="another district's agreement"),
        pytest.param(district_terms(OTHER_DISTRICT, signed_on=date(2025, 3, 2)), id="signed later"),
        pytest.param(
            district_terms(OTHER_DISTRICT, signed_on=date(2024, 3, 1), expires_on=END - 2 * DAY),
            id="expired the day before",
        ),
        pytest.param(  # the adoption would end the day it is signed (see ends_with_the_terms)
            district_terms(OTHER_DISTRICT, signed_on=date(2024, 3, 1), expires_on=END - DAY),
            id="ending that day",
        ),
    ],
)
def test_an_adoption_needs_the_adopted_from_districts_agreement_in_force_on_its_signature(
    provider: Provider, staff: Account, adopted: dict[str, Any]
) -> None:
    provider.record_privacy_agreement(staff, **adopted)
    provider.collect_events()

    with refused(InvalidValue, None, provider) as refusal:
        provider.record_privacy_agreement(staff, **adoption(signed_on=date(2025, 3, 1)))

    assert set(refusal.value.fields) == {"adopted_from_district_id"}


@pytest.mark.parametrize(
    "adopted",
    [
        pytest.param(district_terms(OTHER_DISTRICT), id="the district's terms, signed that day"),
        pytest.param(
            district_terms(OTHER_DISTRICT, kind=PrivacyAgreementKind.NATIONAL_DPA),
            id="the National DPA signed with the district",
        ),
        pytest.param(
            district_terms(OTHER_DISTRICT, signed_on=date(2024, 3, 1), expires_on=END),
            id="earlier terms still in force",
        ),
    ],
)
def test_an_adoption_of_terms_in_force_on_its_signature_is_recorded(
    provider: Provider, staff: Account, adopted: dict[str, Any]
) -> None:
    provider.record_privacy_agreement(staff, **adopted)
    provider.collect_events()

    agreement = provider.record_privacy_agreement(staff, **adoption(signed_on=date(2025, 3, 1)))

    (event,) = provider.collect_events()
    assert isinstance(event, ProviderPrivacyAgreementRecorded) and event.agreement == agreement


def test_terms_a_district_adopted_may_be_adopted_in_turn(
    provider: Provider, staff: Account
) -> None:
    origin = uuid4()
    provider.record_privacy_agreement(staff, **district_terms(origin, expires_on=LAST_DAY))
    provider.record_privacy_agreement(
        staff,
        **district_terms(
            OTHER_DISTRICT, kind=PrivacyAgreementKind.ADOPTION, adopted_from_district_id=origin
        ),
    )

    agreement = provider.record_privacy_agreement(staff, **adoption())

    assert agreement.expires_on == LAST_DAY  # the origin's end, through the adoption between
    assert provider.covers(DISTRICT, "MT", TODAY) == agreement


def test_an_adoption_ends_with_the_terms_it_adopts(provider: Provider, staff: Account) -> None:
    provider.record_privacy_agreement(staff, **district_terms(OTHER_DISTRICT, expires_on=LAST_DAY))

    agreement = provider.record_privacy_agreement(staff, **adoption())

    assert agreement.expires_on == LAST_DAY
    assert provider.covers(DISTRICT, "MT", LAST_DAY) == agreement
    assert provider.covers(DISTRICT, "MT", LAST_DAY + DAY) is None


def test_an_adoption_ends_with_the_latest_ending_of_the_adopted_districts_terms(
    provider: Provider, staff: Account
) -> None:
    provider.record_privacy_agreement(staff, **district_terms(OTHER_DISTRICT, expires_on=LAST_DAY))
    provider.record_privacy_agreement(
        staff,
        **district_terms(
            OTHER_DISTRICT, kind=PrivacyAgreementKind.NATIONAL_DPA, expires_on=date(2028, 6, 30)
        ),
    )

    assert provider.record_privacy_agreement(staff, **adoption()).expires_on == date(2028, 6, 30)


def test_an_adoption_of_open_ended_terms_is_open_ended_unless_it_says_otherwise(
    provider: Provider, staff: Account
) -> None:
    provider.record_privacy_agreement(staff, **district_terms(OTHER_DISTRICT))

    open_ended = provider.record_privacy_agreement(staff, **adoption())
    ending = provider.record_privacy_agreement(staff, **adoption(expires_on=date(2026, 6, 30)))

    assert (open_ended.expires_on, ending.expires_on) == (None, date(2026, 6, 30))


def test_an_adoption_may_end_before_the_terms_it_adopts_but_not_after(
    provider: Provider, staff: Account
) -> None:
    provider.record_privacy_agreement(staff, **district_terms(OTHER_DISTRICT, expires_on=LAST_DAY))
    provider.collect_events()

    with refused(InvalidValue, None, provider) as refusal:
        provider.record_privacy_agreement(staff, **adoption(expires_on=LAST_DAY + DAY))
    earlier = provider.record_privacy_agreement(staff, **adoption(expires_on=date(2026, 6, 30)))

    assert set(refusal.value.fields) == {"expires_on"}
    assert earlier.expires_on == date(2026, 6, 30)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (district_terms(kind=PrivacyAgreementKind.ADOPTION), "adopted_from_district_id"),
        (
            district_terms(kind=PrivacyAgreementKind.ADOPTION, adopted_from_district_id=DISTRICT),
            "adopted_from_district_id",
        ),
        (district_terms(adopted_from_district_id=OTHER_DISTRICT), "adopted_from_district_id"),
        (state_terms(state=None), "state"),
        (state_terms(state="ZZ"), "state"),
        (state_terms(district_id=DISTRICT), "district_id"),
        (district_terms(district_id=None), "district_id"),  # type: ignore[arg-type]
        (district_terms(state="MT"), "state"),
        (state_terms(kind=PrivacyAgreementKind.DISTRICT_TERMS), "scope"),
        (state_terms(kind=PrivacyAgreementKind.ADOPTION, adopted_from_district_id=DISTRICT), "scope"),
        (district_terms(kind=PrivacyAgreementKind.STATE_MODEL), "scope"),
        (state_terms(signed_on=TODAY + timedelta(days=1)), "signed_on"),
        (state_terms(expires_on=date(2025, 3, 1)), "expires_on"),
        (state_terms(expires_on=date(2025, 2, 28)), "expires_on"),
        (state_terms(document_url="file:///agreement.pdf"), "document_url"),
        (state_terms(document_url=" "), "document_url"),
    ],
)
def test_an_agreement_that_breaks_a_rule_is_refused_naming_the_field(
    provider: Provider, staff: Account, terms: dict[str, Any], field: str
) -> None:
    with refused(InvalidValue, None, provider) as refusal:
        provider.record_privacy_agreement(staff, **terms)

    assert set(refusal.value.fields) == {field}


def test_the_national_dpa_may_cover_a_state_or_a_district(provider: Provider, staff: Account) -> None:
    provider.record_privacy_agreement(staff, **state_terms())
    provider.record_privacy_agreement(staff, **district_terms(kind=PrivacyAgreementKind.NATIONAL_DPA))

    assert len(provider.privacy_agreements) == 2


def test_an_agreement_signed_today_is_accepted(provider: Provider, staff: Account) -> None:
    agreement = provider.record_privacy_agreement(staff, **state_terms(signed_on=TODAY))

    assert agreement.signed_on == TODAY


def test_only_the_providers_own_accounts_record_its_agreements(provider: Provider) -> None:
    other, _ = register_provider(ein="84-2000002", legal_name="Mesa Tutoring")

    with refused(NotAllowed, None, provider):
        provider.record_privacy_agreement(other, **state_terms())


@pytest.mark.parametrize("role", [Role.BUYER, Role.ADMIN, Role.AUTHORITY])
def test_no_other_role_records_a_providers_agreement(provider: Provider, role: Role) -> None:
    with refused(NotAllowed, None, provider):
        provider.record_privacy_agreement(Account.open(None, role, "Someone"), **state_terms())


def test_the_same_agreement_is_not_recorded_twice(provider: Provider, staff: Account) -> None:
    provider.record_privacy_agreement(staff, **state_terms())
    provider.collect_events()

    with refused(AlreadyExists, None, provider):
        provider.record_privacy_agreement(staff, **state_terms())


# Coverage ----------------------------------------------------------------------------------------


def test_a_state_agreement_covers_every_district_of_its_state(provider: Provider, staff: Account) -> None:
    agreement = provider.record_privacy_agreement(staff, **state_terms())

    assert provider.covers(DISTRICT, "MT", TODAY) == agreement
    assert provider.covers(OTHER_DISTRICT, "mt", TODAY) == agreement
    assert provider.covers(DISTRICT, "ID", TODAY) is None


def test_a_district_agreement_covers_only_its_district(provider: Provider, staff: Account) -> None:
    agreement = provider.record_privacy_agreement(staff, **district_terms())

    assert provider.covers(DISTRICT, "MT", TODAY) == agreement
    assert provider.covers(OTHER_DISTRICT, "MT", TODAY) is None


def test_an_adoption_covers_the_adopting_district_not_the_one_adopted_from(
    provider: Provider, staff: Account
) -> None:
    adopted = provider.record_privacy_agreement(staff, **district_terms(OTHER_DISTRICT))
    agreement = provider.record_privacy_agreement(staff, **adoption())

    assert provider.covers(DISTRICT, "MT", TODAY) == agreement
    assert provider.covers(OTHER_DISTRICT, "MT", TODAY) == adopted  # its own, not the adoption


@pytest.mark.parametrize(
    ("day", "covered"),
    [
        (date(2025, 2, 28), False),  # before signature
        (date(2025, 3, 1), True),
        (date(2028, 2, 29), True),  # the expiry date is the last day covered
        (date(2028, 3, 1), False),
    ],
)
def test_an_agreement_covers_from_its_signature_to_its_expiry(
    provider: Provider, staff: Account, day: date, covered: bool
) -> None:
    provider.record_privacy_agreement(staff, **state_terms())

    assert (provider.covers(DISTRICT, "MT", day) is not None) is covered


def test_a_districts_own_agreement_is_preferred_to_its_states(provider: Provider, staff: Account) -> None:
    provider.record_privacy_agreement(staff, **state_terms())
    own = provider.record_privacy_agreement(staff, **district_terms())

    assert provider.covers(DISTRICT, "MT", TODAY) == own


# Student data access on a contract ----------------------------------------------------------------


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def active(coop: Cooperative) -> Contract:
    contract = coop.signed()
    coop.clock.moment = DURING_TERM
    return contract


def record(coop: Cooperative, contract: Contract, **terms: Any) -> PrivacyAgreement:
    staff = coop.winner_of(contract)
    _, agreement = coop.app.record_privacy_agreement(staff, contract.provider_id, **terms)
    return agreement


def test_without_a_covering_agreement_student_data_access_is_refused_and_nothing_recorded(
    coop: Cooperative, active: Contract
) -> None:
    district = coop.districts[1]

    with refused(PrivacyAgreementRequired, coop.app) as refusal:
        coop.app.grant_student_data_access(coop.buyers[1], active.id, district.id)

    assert refusal.value.fields == {"district_id": ["no privacy agreement of the provider covers this district"]}
    assert isinstance(refusal.value, WrongState)  # a conflict (409): it clears once one exists


def test_with_a_state_agreement_a_party_districts_buyer_grants_access(
    coop: Cooperative, active: Contract
) -> None:
    agreement = record(coop, active, **state_terms())

    contract = coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)

    assert contract.student_data_access == {coop.districts[1].id: agreement.id}
    granted = stored_events(coop.app, active.id)[-1]
    assert isinstance(granted, StudentDataAccessGranted)
    assert (granted.district_id, granted.agreement_id) == (coop.districts[1].id, agreement.id)


def test_a_district_agreement_allows_access_for_that_district_only(
    coop: Cooperative, active: Contract
) -> None:
    record(coop, active, **district_terms(coop.districts[0].id))

    coop.app.grant_student_data_access(coop.lead, active.id, coop.districts[0].id)
    with refused(PrivacyAgreementRequired, coop.app):
        coop.app.grant_student_data_access(coop.buyers[2], active.id, coop.districts[2].id)


def test_another_providers_agreement_does_not_count(coop: Cooperative, active: Contract) -> None:
    loser = next(p for p in coop.providers if p.organization_id != active.provider_id)
    coop.app.record_privacy_agreement(loser, loser.organization_id, **state_terms())

    with refused(PrivacyAgreementRequired, coop.app):
        coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)


def test_an_expired_agreement_does_not_count(coop: Cooperative, active: Contract) -> None:
    record(coop, active, **state_terms(expires_on=DURING_TERM.date() + timedelta(days=30)))
    coop.clock.moment = DURING_TERM + timedelta(days=31)

    with refused(PrivacyAgreementRequired, coop.app):
        coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)


def test_only_a_buyer_of_that_district_grants_access(coop: Cooperative, active: Contract) -> None:
    record(coop, active, **state_terms())

    with refused(NotAllowed, coop.app):  # the lead's buyer, for another member district
        coop.app.grant_student_data_access(coop.lead, active.id, coop.districts[1].id)
    with refused(NotAllowed, coop.app):
        coop.app.grant_student_data_access(coop.winner_of(active), active.id, coop.districts[1].id)


def test_a_district_not_party_to_the_contract_is_refused(coop: Cooperative, active: Contract) -> None:
    record(coop, active, **state_terms())
    buyer, outsider = coop.add_district("3000009", "Melville")

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.grant_student_data_access(buyer, active.id, outsider.id)

    assert set(refusal.value.fields) == {"district_id"}


def test_access_is_granted_on_a_signed_contract_only(coop: Cooperative) -> None:
    contract, _, _ = coop.awarded()
    record(coop, contract, **state_terms())

    with refused(WrongState, coop.app):
        coop.app.grant_student_data_access(coop.buyers[1], contract.id, coop.districts[1].id)


def test_no_access_is_granted_once_the_contracts_term_has_ended(
    coop: Cooperative, active: Contract
) -> None:
    record(coop, active, **state_terms())  # it covers the district until 2028-02-29
    coop.clock.moment = datetime(2027, 7, 1, 9, tzinfo=timezone.utc)  # the term ended 2027-06-30

    with refused(WrongState, coop.app) as refusal:
        coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)
    assert "term ended on 2027-06-30" in refusal.value.message

    coop.clock.moment = datetime(2027, 6, 30, 23, tzinfo=timezone.utc)  # its last day
    granted = coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)
    assert coop.districts[1].id in granted.student_data_access


def test_access_is_granted_once_under_the_same_agreement(coop: Cooperative, active: Contract) -> None:
    record(coop, active, **state_terms())
    coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)

    with refused(WrongState, coop.app):
        coop.app.grant_student_data_access(coop.buyers[1], active.id, coop.districts[1].id)


def test_a_recorded_agreement_reads_back_with_its_enums_dates_and_ids(
    coop: Cooperative, active: Contract
) -> None:
    record(coop, active, **district_terms(coop.districts[1].id, expires_on=LAST_DAY))
    recorded = record(
        coop,
        active,
        **district_terms(
            coop.districts[0].id,
            kind=PrivacyAgreementKind.ADOPTION,
            adopted_from_district_id=coop.districts[1].id,
            expires_on=LAST_DAY,
        ),
    )

    loaded = coop.app.get_provider(active.provider_id).privacy_agreements[recorded.id]

    assert loaded == recorded
    assert isinstance(loaded.kind, PrivacyAgreementKind) and type(loaded.signed_on) is date
    assert isinstance(loaded.district_id, UUID)


def test_an_agreement_naming_an_unknown_district_is_refused(coop: Cooperative, active: Contract) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        record(coop, active, **district_terms(uuid4()))

    assert set(refusal.value.fields) == {"district_id"}


def test_an_adoption_of_terms_never_signed_grants_no_access_and_records_nothing(
    coop: Cooperative, active: Contract
) -> None:
    adopting, adopted_from = coop.districts[0].id, coop.districts[1].id

    with refused(InvalidValue, coop.app) as refusal:
        record(
            coop,
            active,
            **district_terms(
                adopting, kind=PrivacyAgreementKind.ADOPTION, adopted_from_district_id=adopted_from
            ),
        )
    with refused(PrivacyAgreementRequired, coop.app):
        coop.app.grant_student_data_access(coop.lead, active.id, adopting)

    assert set(refusal.value.fields) == {"adopted_from_district_id"}
