"""Only the owning provider's accounts change an offering; drafts are seen by their owner only."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from events.types import Role
from marketplace.domain.accounts import Account
from marketplace.domain.errors import NotAllowed
from marketplace.domain.offerings import Offering, OfferingStatus
from tests.unit.conftest import FixedClock
from tests.unit.factories import complete_details
from tests.unit.procurement_factories import Cooperative, refused

COMMANDS: dict[str, Callable[[Offering, Account], object]] = {
    "revise": lambda offering, by: offering.revise(by, {"title": "Taken over"}),
    "publish": lambda offering, by: offering.publish(by),
    "withdraw": lambda offering, by: offering.withdraw(by, "taken over"),
}


@pytest.fixture
def offering_in_state(owner: Account) -> Callable[[str], Offering]:
    """The state each command applies in, so only ownership can refuse it."""

    def _make(command: str) -> Offering:
        offering = Offering.draft(owner, complete_details())
        if command == "withdraw":
            offering.publish(owner)
        offering.collect_events()
        return offering

    return _make


@pytest.mark.parametrize("command", COMMANDS)
def test_another_providers_account_cannot_change_an_offering(
    offering_in_state: Callable[[str], Offering], other_provider: Account, command: str
) -> None:
    offering = offering_in_state(command)
    before = (offering.status, offering.details())

    with pytest.raises(NotAllowed):
        COMMANDS[command](offering, other_provider)

    assert (offering.status, offering.details()) == before
    assert offering.collect_events() == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_buyer_acting_for_the_owning_organization_cannot_change_an_offering(
    offering_in_state: Callable[[str], Offering], owner: Account, command: str
) -> None:
    offering = offering_in_state(command)
    # An account opened before accounts were held to their role's kind of organization could act
    # for a provider: the offering refuses it all the same.
    buyer = Account.open(None, Role.BUYER, "Buyer")
    assert owner.organization_id is not None
    buyer.bind_to(owner.organization_id)

    with pytest.raises(NotAllowed):
        COMMANDS[command](offering, buyer)

    assert offering.collect_events() == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_second_account_of_the_owning_provider_can_change_its_offerings(
    offering_in_state: Callable[[str], Offering], owner: Account, command: str
) -> None:
    offering = offering_in_state(command)
    colleague = Account.open(None, Role.PROVIDER, "Colleague", owner.organization_id, "provider")

    COMMANDS[command](offering, colleague)

    assert len(offering.collect_events()) == 1


@pytest.mark.parametrize("role", [Role.BUYER, Role.ADMIN, Role.EVALUATOR, Role.AUTHORITY])
def test_only_a_provider_account_can_draft_an_offering(role: Role) -> None:
    organization_id = None if role in (Role.ADMIN, Role.AUTHORITY) else uuid4()
    kind = "district" if organization_id else None
    account = Account.open(None, role, f"A {role.value}", organization_id, kind)

    with pytest.raises(NotAllowed):
        Offering.draft(account, {"title": "Prairie Math"})


def test_a_provider_account_with_no_organization_cannot_draft_an_offering() -> None:
    unregistered = Account.open(None, Role.PROVIDER, "Not yet registered")

    with pytest.raises(NotAllowed):
        Offering.draft(unregistered, {"title": "Prairie Math"})


def test_a_draft_belongs_to_the_drafting_accounts_provider(owner: Account) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math"})

    assert offering.provider_id == owner.organization_id


# Visibility --------------------------------------------------------------------------------------


def test_a_draft_is_visible_to_its_owner(draft: Offering, owner: Account) -> None:
    assert draft.is_visible_to(owner) is True


def test_a_draft_is_hidden_from_anyone_but_its_owner(
    draft: Offering, other_provider: Account
) -> None:
    buyer = Account.open(None, Role.BUYER, "Buyer")
    admin = Account.open(None, Role.ADMIN, "Admin")

    assert [draft.is_visible_to(viewer) for viewer in (None, other_provider, buyer, admin)] == [
        False,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize("state", ["published", "withdrawn"])
def test_a_published_or_withdrawn_offering_is_visible_to_everyone(
    request: pytest.FixtureRequest, other_provider: Account, owner: Account, state: str
) -> None:
    offering: Offering = request.getfixturevalue(state)
    assert offering.status is OfferingStatus(state)
    buyer = Account.open(None, Role.BUYER, "Buyer")

    assert all(offering.is_visible_to(viewer) for viewer in (None, owner, other_provider, buyer))


def test_an_account_acting_for_no_registered_provider_drafts_nothing(
    fixed_clock: FixedClock,
) -> None:
    # Opened before accounts were held to their role's kind of organization: a provider account
    # acting for a district. Its draft would name a provider that does not exist.
    coop = Cooperative.build(fixed_clock)
    misbound = Account.open(None, Role.PROVIDER, "Mis-bound")
    misbound.bind_to(coop.districts[0].id)
    coop.app.save(misbound)

    with refused(NotAllowed, coop.app) as refusal:
        coop.app.draft_offering(misbound, {"title": "Prairie Math"})
    assert str(coop.districts[0].id) in str(refusal.value)
