"""Designations (PRODUCT rule 10): an informational label that an authority issues to an offering
in the catalog, with a name, an issuer, a criteria URL and dates, and revokes with a reason. It is
only a label: no other aggregate changes when one is issued, and an award needs none."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from eventsourcing.utils import resolve_topic

from events.designations import DesignationIssued, DesignationRevoked
from events.types import OrganizationIdentifier, Role
from marketplace.application import Marketplace
from marketplace.domain.accounts import Account
from marketplace.domain.designations import Designation, DesignationStatus
from marketplace.domain.errors import InvalidValue, NotAllowed, NotFound, WrongState
from marketplace.domain.offerings import Offering
from tests.unit.conftest import FIXED_NOW, FixedClock
from tests.unit.factories import CONTACT, complete_details
from tests.unit.procurement_factories import Cooperative, in_memory_marketplace, refused

TODAY = FIXED_NOW.date()
LABEL: dict[str, Any] = {
    "name": "Montana Approved Personalized Learning Model",
    "issuer": "Montana Office of Public Instruction",
    "criteria_url": "https://opi.mt.example.gov/approved-models/criteria",
    "valid_from": date(2025, 6, 1),
    "valid_until": date(2026, 6, 30),
}


def label(**overrides: Any) -> dict[str, Any]:
    return {**LABEL, **overrides}


@pytest.fixture
def authority() -> Account:
    return Account.open(None, Role.AUTHORITY, "Approved-model reviewer")


@pytest.fixture
def issued(authority: Account, published: Offering) -> Designation:
    designation = Designation.issue(authority, published, **label())
    designation.collect_events()
    return designation


# Issuing ----------------------------------------------------------------------------------------


def test_an_authority_issues_a_designation_to_a_published_offering(
    authority: Account, published: Offering
) -> None:
    designation = Designation.issue(authority, published, **label(name="  Approved Model  "))

    (event,) = designation.collect_events()
    assert isinstance(event, DesignationIssued)
    assert event.actor == str(authority.id)
    assert (designation.offering_id, designation.name, designation.issuer) == (
        published.id,
        "Approved Model",
        LABEL["issuer"],
    )
    assert (designation.valid_from, designation.valid_until) == (LABEL["valid_from"], LABEL["valid_until"])
    assert designation.status_on(TODAY) is DesignationStatus.ACTIVE


def test_a_withdrawn_offering_still_in_the_catalog_can_be_designated(
    authority: Account, withdrawn: Offering
) -> None:
    designation = Designation.issue(authority, withdrawn, **label())

    assert designation.offering_id == withdrawn.id


def test_a_designation_may_be_open_ended(authority: Account, published: Offering) -> None:
    designation = Designation.issue(authority, published, **label(valid_until=None))

    assert designation.status_on(date(2099, 1, 1)) is DesignationStatus.ACTIVE


def test_a_draft_cannot_be_designated(authority: Account, draft: Offering) -> None:
    with refused(WrongState, None, draft):
        Designation.issue(authority, draft, **label())


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PROVIDER, Role.BUYER, Role.EVALUATOR])
def test_only_an_authority_issues_a_designation(role: Role, published: Offering) -> None:
    with refused(NotAllowed, None, published):
        Designation.issue(Account.open(None, role, "Someone"), published, **label())


def test_the_provider_cannot_designate_its_own_offering(owner: Account, published: Offering) -> None:
    with refused(NotAllowed, None, published):
        Designation.issue(owner, published, **label())


@pytest.mark.parametrize("until", [LABEL["valid_from"], LABEL["valid_from"] - timedelta(days=1)])
def test_valid_until_must_come_after_valid_from(
    authority: Account, published: Offering, until: date
) -> None:
    with refused(InvalidValue) as refusal:
        Designation.issue(authority, published, **label(valid_until=until))

    assert set(refusal.value.fields) == {"valid_until"}


@pytest.mark.parametrize("url", ["ftp://opi.mt.example.gov/criteria", "criteria.pdf", "https://", "  "])
def test_the_criteria_url_must_be_an_http_url(authority: Account, published: Offering, url: str) -> None:
    with refused(InvalidValue) as refusal:
        Designation.issue(authority, published, **label(criteria_url=url))

    assert set(refusal.value.fields) == {"criteria_url"}


@pytest.mark.parametrize("field", ["name", "issuer"])
def test_a_designation_names_itself_and_its_issuer(
    authority: Account, published: Offering, field: str
) -> None:
    with refused(InvalidValue) as refusal:
        Designation.issue(authority, published, **label(**{field: "   "}))

    assert set(refusal.value.fields) == {field}


def test_valid_from_must_be_a_date_not_a_moment(authority: Account, published: Offering) -> None:
    with refused(InvalidValue) as refusal:
        Designation.issue(authority, published, **label(valid_from=FIXED_NOW))

    assert set(refusal.value.fields) == {"valid_from"}


# Status on a day --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (LABEL["valid_from"] - timedelta(days=1), DesignationStatus.UPCOMING),
        (LABEL["valid_from"], DesignationStatus.ACTIVE),
        (LABEL["valid_until"], DesignationStatus.ACTIVE),
        (LABEL["valid_until"] + timedelta(days=1), DesignationStatus.EXPIRED),
    ],
)
def test_a_designation_is_active_from_its_first_to_its_last_valid_day(
    issued: Designation, day: date, status: DesignationStatus
) -> None:
    assert issued.status_on(day) is status


# Revoking ---------------------------------------------------------------------------------------


def test_the_issuing_authority_revokes_with_a_reason(issued: Designation, authority: Account) -> None:
    issued.revoke(authority, "  The model no longer meets criterion 3.  ")

    (event,) = issued.collect_events()
    assert isinstance(event, DesignationRevoked)
    assert issued.revocation_reason == "The model no longer meets criterion 3."
    assert issued.revoked_at == FIXED_NOW
    assert issued.status_on(TODAY) is DesignationStatus.REVOKED


def test_an_admin_may_revoke_a_designation(issued: Designation) -> None:
    issued.revoke(Account.open(None, Role.ADMIN, "Operator"), "Issued in error.")

    assert issued.status_on(TODAY) is DesignationStatus.REVOKED


@pytest.mark.parametrize("role", [Role.AUTHORITY, Role.PROVIDER, Role.BUYER])
def test_no_one_else_revokes_a_designation(issued: Designation, role: Role) -> None:
    with refused(NotAllowed, None, issued):
        issued.revoke(Account.open(None, role, "Another authority"), "I disagree.")


def test_a_revocation_needs_a_reason(issued: Designation, authority: Account) -> None:
    with refused(InvalidValue, None, issued) as refusal:
        issued.revoke(authority, "  ")

    assert set(refusal.value.fields) == {"reason"}


def test_a_designation_is_revoked_once(issued: Designation, authority: Account) -> None:
    issued.revoke(authority, "The model no longer meets criterion 3.")
    issued.collect_events()

    with refused(WrongState, None, issued):
        issued.revoke(authority, "Again.")


# Through the application ------------------------------------------------------------------------


@pytest.fixture
def app() -> Marketplace:
    return in_memory_marketplace()


@pytest.fixture
def listed(app: Marketplace) -> Offering:
    provider, _ = app.open_account(None, Role.PROVIDER, "Prairie staff")
    app.register_provider(provider, "Prairie Learning", OrganizationIdentifier("US-EIN", "84-1000001"), None, CONTACT)
    offering = app.draft_offering(provider, complete_details())
    return app.publish_offering(provider, offering.id)


@pytest.fixture
def app_authority(app: Marketplace) -> Account:
    account, _ = app.open_account(None, Role.AUTHORITY, "Approved-model reviewer")
    return account


def test_a_designation_reads_back_from_the_store_with_its_dates(
    app: Marketplace, app_authority: Account, listed: Offering
) -> None:
    issued = app.issue_designation(app_authority, listed.id, **label())

    loaded = app.get_designation(issued.id)

    assert type(loaded.valid_from) is date and loaded.valid_from == LABEL["valid_from"]
    assert loaded.valid_until == LABEL["valid_until"]
    assert loaded.issued_by == app_authority.id


def test_issuing_a_designation_changes_nothing_about_the_offering(
    app: Marketplace, app_authority: Account, listed: Offering
) -> None:
    before = app.get_offering(listed.id)

    app.issue_designation(app_authority, listed.id, **label())

    after = app.get_offering(listed.id)
    assert (after.version, after.details(), after.status) == (before.version, before.details(), before.status)


def test_a_refused_designation_records_nothing(
    app: Marketplace, listed: Offering
) -> None:
    buyer, _ = app.open_account(None, Role.BUYER, "A buyer")

    with refused(NotAllowed, app):
        app.issue_designation(buyer, listed.id, **label())


def test_another_providers_draft_is_not_found_by_an_authority(
    app: Marketplace, app_authority: Account
) -> None:
    provider, _ = app.open_account(None, Role.PROVIDER, "Mesa staff")
    app.register_provider(provider, "Mesa Tutoring", OrganizationIdentifier("US-EIN", "84-2000002"), None, CONTACT)
    draft = app.draft_offering(provider, complete_details())

    with refused(NotFound, app):
        app.issue_designation(app_authority, draft.id, **label())


def test_a_refused_revocation_records_nothing(
    app: Marketplace, app_authority: Account, listed: Offering
) -> None:
    issued = app.issue_designation(app_authority, listed.id, **label())
    provider, _ = app.open_account(None, Role.PROVIDER, "Someone")

    with refused(NotAllowed, app):
        app.revoke_designation(provider, issued.id, "I disagree.")


def test_the_stored_topics_are_explicit() -> None:
    assert resolve_topic("marketplace.Designation") is Designation
    assert resolve_topic("marketplace.Designation.Issued") is DesignationIssued
    assert resolve_topic("marketplace.Designation.Revoked") is DesignationRevoked


# Never a gate -----------------------------------------------------------------------------------


def test_designations_on_the_other_offerings_change_no_ranking_and_no_award(
    fixed_clock: FixedClock,
) -> None:
    plain = Cooperative.build(fixed_clock)
    expected, plain_solicitation, _ = plain.awarded()
    designated = Cooperative.build(fixed_clock)
    authority, _ = designated.app.open_account(None, Role.AUTHORITY, "Reviewer")
    for offering in designated.offerings[1:]:  # every offering but the one that wins without
        designated.app.issue_designation(authority, offering.id, **label(valid_until=None))

    contract, solicitation, _ = designated.awarded()

    assert [(r["provider_id"], r["total"]) for r in solicitation.ranking] == [
        (r["provider_id"], r["total"]) for r in plain_solicitation.ranking
    ]
    assert (contract.provider_id, contract.unit_price, contract.total_value) == (
        expected.provider_id,
        expected.unit_price,
        expected.total_value,
    )


def test_only_an_offering_in_the_catalog_can_carry_a_designation(owner: Account) -> None:
    """Offering views show a draft with no designations without reading the read model."""
    draft = Offering.draft(owner, complete_details())
    assert not draft.in_catalog
    draft.publish(owner)
    assert draft.in_catalog
    draft.withdraw(owner)
    assert draft.in_catalog
