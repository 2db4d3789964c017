"""Accounts act for at most one organization; tokens are kept only as hashes."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from events.accounts import AccountBoundToOrganization, CredentialRevoked
from events.types import Role
from marketplace.domain.accounts import (
    OPERATOR,
    TOKEN_PREFIX,
    Account,
    Credential,
    CredentialStatus,
)
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState
from tests.unit.conftest import FIXED_NOW, FixedClock

NOT_ADMINS = [Role.PROVIDER, Role.BUYER, Role.EVALUATOR, Role.AUTHORITY]


def test_an_operator_opens_an_account_recorded_as_done_by_the_operator() -> None:
    account = Account.open(None, Role.BUYER, "Dana")

    (event,) = account.collect_events()
    assert event.actor == OPERATOR
    assert (account.role, account.name, account.organization_id) == (Role.BUYER, "Dana", None)


def test_an_admin_opens_an_account_recorded_as_done_by_that_admin() -> None:
    admin = Account.open(None, Role.ADMIN, "Admin")

    account = Account.open(admin, Role.EVALUATOR, "Evaluator")

    (event,) = account.collect_events()
    assert event.actor == str(admin.id)


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_an_admin_or_the_operator_can_open_an_account(role: Role) -> None:
    opener = Account.open(None, role, f"A {role.value}", None)

    with pytest.raises(NotAllowed):
        Account.open(opener, Role.BUYER, "Someone")


def test_an_admin_account_cannot_act_for_an_organization() -> None:
    with pytest.raises(InvalidValue) as refused:
        Account.open(None, Role.ADMIN, "Admin", uuid4())

    assert set(refused.value.fields) == {"organization_id"}


@pytest.mark.parametrize("name", ["", "   "])
def test_an_account_needs_a_name(name: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Account.open(None, Role.BUYER, name)

    assert set(refused.value.fields) == {"name"}


def test_an_account_name_longer_than_200_characters_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        Account.open(None, Role.BUYER, "n" * 201)

    assert set(refused.value.fields) == {"name"}


def test_an_account_name_is_recorded_without_surrounding_whitespace() -> None:
    assert Account.open(None, Role.BUYER, "  Dana Reyes ").name == "Dana Reyes"


def test_an_account_acts_for_no_organization_until_bound() -> None:
    account = Account.open(None, Role.PROVIDER, "Dana")

    assert account.acts_for(uuid4()) is False


def test_binding_an_account_makes_it_act_for_that_organization() -> None:
    account = Account.open(None, Role.PROVIDER, "Dana")
    account.collect_events()
    organization_id = uuid4()

    account.bind_to(organization_id)

    assert account.acts_for(organization_id) is True
    assert account.acts_for(uuid4()) is False
    (event,) = account.collect_events()
    assert isinstance(event, AccountBoundToOrganization)
    assert event.organization_id == organization_id


def test_binding_an_account_a_second_time_is_refused() -> None:
    account = Account.open(None, Role.PROVIDER, "Dana")
    first = uuid4()
    account.bind_to(first)
    account.collect_events()

    with pytest.raises(WrongState):
        account.bind_to(uuid4())

    assert account.organization_id == first
    assert account.collect_events() == []


def test_an_account_opened_for_an_organization_cannot_be_bound_to_another() -> None:
    account = Account.open(None, Role.BUYER, "Dana", uuid4(), "district")

    with pytest.raises(WrongState):
        account.bind_to(uuid4())


# Credentials -------------------------------------------------------------------------------------


def test_a_credential_id_is_the_same_for_the_same_token() -> None:
    assert Credential.id_for("mkt_abc") == Credential.id_for("mkt_abc")


def test_different_tokens_give_different_credential_ids() -> None:
    assert Credential.id_for("mkt_abc") != Credential.id_for("mkt_abd")


def test_an_issued_credential_is_found_by_its_tokens_id() -> None:
    account = Account.open(None, Role.BUYER, "Dana")

    credential, token = Credential.issue(None, account)

    assert isinstance(credential.id, UUID)
    assert credential.id == Credential.id_for(token)
    assert credential.account_id == account.id
    assert credential.revoked is False


def test_each_issued_token_is_new_and_prefixed() -> None:
    account = Account.open(None, Role.BUYER, "Dana")

    tokens = {Credential.issue(None, account)[1] for _ in range(5)}

    assert len(tokens) == 5
    assert all(t.startswith(TOKEN_PREFIX) and len(t) > len(TOKEN_PREFIX) + 32 for t in tokens)


def test_the_token_is_not_recorded_in_any_event() -> None:
    account = Account.open(None, Role.BUYER, "Dana")
    credential, token = Credential.issue(None, account)
    credential.revoke(None, "lost laptop")
    secret = token.removeprefix(TOKEN_PREFIX)

    recorded = [
        repr(value) for event in credential.collect_events() for value in vars(event).values()
    ]

    assert recorded  # the issue and the revocation were both recorded
    assert not any(secret in value for value in recorded)


def test_revoking_a_credential_marks_it_revoked() -> None:
    credential, _ = Credential.issue(None, Account.open(None, Role.BUYER, "Dana"))

    credential.revoke(None, "lost laptop")

    assert credential.revoked is True


def test_a_revoked_credential_cannot_be_revoked_twice() -> None:
    credential, _ = Credential.issue(None, Account.open(None, Role.BUYER, "Dana"))
    credential.revoke(None, "lost laptop")
    credential.collect_events()

    with pytest.raises(WrongState):
        credential.revoke(None, "again")

    assert credential.collect_events() == []


def _issued(account: Account) -> Credential:
    """A credential of ``account`` issued by the operator, its issue already collected."""
    credential, _ = Credential.issue(None, account)
    credential.collect_events()
    return credential


def test_an_account_issues_itself_a_new_token_recorded_as_done_by_it() -> None:
    account = Account.open(None, Role.BUYER, "Dana")

    credential, token = Credential.issue(account, account)

    assert credential.id == Credential.id_for(token) and credential.account_id == account.id
    assert (credential.issued_by, credential.issued_at) == (str(account.id), FIXED_NOW)
    assert credential.status is CredentialStatus.ACTIVE


def test_an_admin_issues_a_token_for_another_account() -> None:
    admin = Account.open(None, Role.ADMIN, "Admin")
    account = Account.open(None, Role.PROVIDER, "Dana")

    credential, _ = Credential.issue(admin, account)

    assert credential.account_id == account.id and credential.issued_by == str(admin.id)


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_no_other_account_issues_a_token_for_an_account(role: Role) -> None:
    other = Account.open(None, role, "Someone else")

    with pytest.raises(NotAllowed):
        Credential.issue(other, Account.open(None, Role.BUYER, "Dana"))


def test_a_revocation_records_who_revoked_it_when_and_why() -> None:
    account = Account.open(None, Role.BUYER, "Dana")
    credential = _issued(account)

    credential.revoke(account, "  left the district  ")

    assert (credential.revoked_by, credential.revoked_at) == (str(account.id), FIXED_NOW)
    assert credential.revocation_reason == "left the district"
    assert credential.status is CredentialStatus.REVOKED


def test_an_admin_revokes_another_accounts_credential() -> None:
    admin = Account.open(None, Role.ADMIN, "Admin")
    credential = _issued(Account.open(None, Role.BUYER, "Dana"))

    credential.revoke(admin, "token leaked in a support ticket")

    (event,) = credential.collect_events()
    assert isinstance(event, CredentialRevoked) and event.actor == str(admin.id)


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_no_other_account_revokes_a_credential_and_nothing_is_recorded(role: Role) -> None:
    credential = _issued(Account.open(None, Role.BUYER, "Dana"))

    with pytest.raises(NotAllowed):
        credential.revoke(Account.open(None, role, "Someone else"), "not mine")

    assert credential.collect_events() == [] and not credential.revoked


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_a_credential_is_visible_only_to_its_account_an_admin_and_the_operator(role: Role) -> None:
    account = Account.open(None, Role.BUYER, "Dana")
    credential = _issued(account)

    assert credential.is_visible_to(account)
    assert credential.is_visible_to(Account.open(None, Role.ADMIN, "Admin"))
    assert credential.is_visible_to(None)
    assert not credential.is_visible_to(Account.open(None, role, "Someone else"))


@pytest.mark.parametrize("reason", ["", "   ", "r" * 2001])
def test_a_revocation_needs_a_reason_of_at_most_2000_characters(reason: str) -> None:
    credential = _issued(Account.open(None, Role.BUYER, "Dana"))

    with pytest.raises(InvalidValue) as refused:
        credential.revoke(None, reason)

    assert set(refused.value.fields) == {"reason"}
    assert credential.collect_events() == [] and not credential.revoked


def test_revoking_all_revokes_each_live_credential_together_and_leaves_the_rest_alone(
    fixed_clock: FixedClock,
) -> None:
    account = Account.open(None, Role.BUYER, "Dana")
    first, second, already = _issued(account), _issued(account), _issued(account)
    already.revoke(None, "lost laptop")
    already.collect_events()
    someone_elses = _issued(Account.open(None, Role.BUYER, "Lee"))
    fixed_clock.moment = FIXED_NOW.replace(hour=13)

    revoked = Credential.revoke_all(None, account, [first, already, someone_elses, second], "left")

    assert revoked == [first, second]
    recorded = [event for c in revoked for event in c.collect_events()]
    moment = fixed_clock.moment
    assert {(e.actor, e.reason, e.timestamp) for e in recorded} == {(OPERATOR, "left", moment)}
    assert already.collect_events() == [] and already.revocation_reason == "lost laptop"
    assert someone_elses.collect_events() == [] and not someone_elses.revoked


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_no_other_account_revokes_all_of_an_accounts_credentials(role: Role) -> None:
    account = Account.open(None, Role.BUYER, "Dana")
    credential = _issued(account)

    with pytest.raises(NotAllowed):
        Credential.revoke_all(Account.open(None, role, "Someone else"), account, [credential], "x")

    assert credential.collect_events() == []


def test_revoking_all_refuses_a_blank_reason_even_with_nothing_live() -> None:
    account = Account.open(None, Role.BUYER, "Dana")

    with pytest.raises(InvalidValue) as refused:
        Credential.revoke_all(account, account, [], " ")

    assert set(refused.value.fields) == {"reason"}


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_an_account_is_settled_once_bound_and_not_before(role: Role) -> None:
    account = Account.open(None, role, "Dana")
    assert not account.settled
    account.bind_to(uuid4())
    assert account.settled


def test_an_account_opened_for_an_organization_or_as_admin_is_settled_at_once() -> None:
    bound = Account.open(None, Role.BUYER, "Dana", uuid4(), organization_kind="district")
    assert bound.settled
    assert Account.open(None, Role.ADMIN, "Admin").settled


@pytest.mark.parametrize(
    "account",
    [
        Account.open(None, Role.ADMIN, "Admin"),
        Account.open(None, Role.BUYER, "Dana", uuid4(), "district"),
    ],
    ids=["admin", "bound"],
)
def test_nothing_more_can_happen_to_a_settled_account(account: Account) -> None:
    with pytest.raises((InvalidValue, WrongState)):
        account.bind_to(uuid4())


def test_opening_and_binding_are_an_accounts_only_events() -> None:
    """Settled accounts are kept once read (``Marketplace.get_caller``): right only while no
    other event can change an account. A new Account event lands here first."""
    from events import MarketplaceEvent
    from events.accounts import AccountOpened

    handled = set(Account.__dict__["when"].dispatcher.registry) - {object, MarketplaceEvent}
    assert handled == {AccountOpened, AccountBoundToOrganization}


# What an account acts for ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.PROVIDER, "district"),
        (Role.PROVIDER, None),
        (Role.BUYER, "provider"),
        (Role.EVALUATOR, "provider"),
        (Role.AUTHORITY, "district"),
        (Role.AUTHORITY, "provider"),
    ],
)
def test_an_account_acts_only_for_an_organization_of_its_role_s_kind(
    role: Role, kind: str | None
) -> None:
    with pytest.raises(InvalidValue) as refusal:
        Account.open(None, role, "Someone", uuid4(), kind)
    assert set(refusal.value.fields) == {"organization_id"}


@pytest.mark.parametrize(
    ("role", "kind"),
    [(Role.PROVIDER, "provider"), (Role.BUYER, "district"), (Role.EVALUATOR, "district")],
)
def test_an_account_acts_for_an_organization_of_its_role_s_kind(role: Role, kind: str) -> None:
    organization = uuid4()
    assert Account.open(None, role, "Someone", organization, kind).organization_id == organization
