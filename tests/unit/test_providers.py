"""A provider registers once per organization identifier and binds the registering account."""

from __future__ import annotations

import pytest

from events.types import Contact, OrganizationIdentifier, Role
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState
from marketplace.domain.providers import Provider
from tests.unit.conftest import FixedClock
from tests.unit.factories import CONTACT
from tests.unit.procurement_factories import in_memory_marketplace, refused

EIN = OrganizationIdentifier(scheme="US-EIN", id="84-1234567")


def register(
    account: Account,
    identifier: OrganizationIdentifier = EIN,
    contact: Contact = CONTACT,
    website: str | None = "https://prairie.example.com",
    legal_name: str = "Prairie Learning Collaborative",
) -> Provider:
    return Provider.register(account, legal_name, identifier, website, contact)


@pytest.fixture
def account() -> Account:
    return Account.open(None, Role.PROVIDER, "Dana Reyes")


def test_registering_a_provider_binds_the_account_to_it(account: Account) -> None:
    provider = register(account)

    assert account.organization_id == provider.id
    assert account.acts_for(provider.id) is True


def test_a_registered_provider_records_its_details_trimmed(account: Account) -> None:
    provider = register(
        account,
        identifier=OrganizationIdentifier(scheme=" US-EIN ", id=" 84-1234567 "),
        contact=Contact(name=" Dana Reyes ", email=" dana@prairie.example.com ", phone="  "),
        website="  ",
        legal_name="  Prairie Learning Collaborative ",
    )

    assert provider.legal_name == "Prairie Learning Collaborative"
    assert provider.identifier == EIN
    assert provider.contact == Contact(
        name="Dana Reyes", email="dana@prairie.example.com", phone=None
    )
    assert provider.website is None


def test_an_account_already_bound_cannot_register_another_provider(account: Account) -> None:
    first = register(account)

    with pytest.raises(WrongState):
        register(account, identifier=OrganizationIdentifier(scheme="US-EIN", id="99-0000001"))

    assert account.organization_id == first.id


@pytest.mark.parametrize("role", [Role.BUYER, Role.ADMIN, Role.EVALUATOR, Role.AUTHORITY])
def test_only_a_provider_account_can_register_a_provider(role: Role) -> None:
    with pytest.raises(NotAllowed):
        register(Account.open(None, role, f"A {role.value}"))


@pytest.mark.parametrize(
    "identifier",
    [
        OrganizationIdentifier(scheme="us-ein", id="84-1234567"),
        OrganizationIdentifier(scheme=" US-EIN", id="84-1234567 "),
        OrganizationIdentifier(scheme="Us-Ein", id="\t84-1234567\n"),
    ],
)
def test_the_same_identifier_in_any_case_or_spacing_gives_the_same_provider_id(
    identifier: OrganizationIdentifier,
) -> None:
    assert Provider.id_for(identifier) == Provider.id_for(EIN)
    first = register(Account.open(None, Role.PROVIDER, "First"))
    again = register(Account.open(None, Role.PROVIDER, "Second"), identifier=identifier)
    assert again.id == first.id


@pytest.mark.parametrize(
    "identifier",
    [
        OrganizationIdentifier(scheme="US-EIN", id="84-1234568"),
        OrganizationIdentifier(scheme="GB-COH", id="84-1234567"),
    ],
)
def test_a_different_identifier_gives_a_different_provider_id(
    identifier: OrganizationIdentifier
) -> None:
    assert Provider.id_for(identifier) != Provider.id_for(EIN)


@pytest.mark.parametrize("email", ["dana", "dana@prairie", "dana reyes@prairie.example.com", ""])
def test_an_invalid_contact_email_is_refused(account: Account, email: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        register(account, contact=Contact(name="Dana Reyes", email=email))

    assert set(refused.value.fields) == {"contact.email"}


def test_a_refused_registration_leaves_the_account_unbound(account: Account) -> None:
    account.collect_events()

    with pytest.raises(InvalidValue):
        register(account, contact=Contact(name="Dana Reyes", email="not-an-email"))

    assert account.organization_id is None
    assert account.collect_events() == []


@pytest.mark.parametrize("website", ["prairie.example.com", "ftp://prairie.example.com"])
def test_a_website_that_is_not_an_http_url_is_refused(account: Account, website: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        register(account, website=website)

    assert set(refused.value.fields) == {"website"}


@pytest.mark.parametrize(("field", "identifier"), [
    ("identifier.scheme", OrganizationIdentifier(scheme=" ", id="84-1234567")),
    ("identifier.id", OrganizationIdentifier(scheme="US-EIN", id="")),
])
def test_a_blank_identifier_part_is_refused(
    account: Account, field: str, identifier: OrganizationIdentifier
) -> None:
    with pytest.raises(InvalidValue) as refused:
        register(account, identifier=identifier)

    assert set(refused.value.fields) == {field}


def test_only_the_registration_sets_a_providers_legal_name() -> None:
    """The application keeps a legal name once read (``provider_legal_name``): right only while
    no event after the registration can change it. A new Provider event lands here first."""
    from events import MarketplaceEvent
    from events.providers import ProviderPrivacyAgreementRecorded, ProviderRegistered

    handled = set(Provider.__dict__["when"].dispatcher.registry) - {object, MarketplaceEvent}
    assert handled == {ProviderRegistered, ProviderPrivacyAgreementRecorded}
    assert "legal_name" not in ProviderPrivacyAgreementRecorded.__annotations__


def test_an_identifier_already_registered_is_refused_naming_it_and_nothing_is_recorded(
    fixed_clock: FixedClock,
) -> None:
    market = in_memory_marketplace()
    first, _ = market.open_account(None, Role.PROVIDER, "First")
    market.register_provider(first, "Prairie Learning", EIN, None, CONTACT)
    second, _ = market.open_account(None, Role.PROVIDER, "Second")
    again = OrganizationIdentifier(scheme=" us-ein", id="84-1234567 ")

    with refused(InvalidValue, market, second) as refusal:
        market.register_provider(second, "Prairie Again", again, None, CONTACT)

    assert set(refusal.value.fields) == {"identifier"}
    assert "US-EIN 84-1234567" in refusal.value.message.upper()
    assert second.organization_id is None
