"""What the application keeps between commands, and why none of it can be stale."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from events.types import Contact, OrganizationIdentifier
from marketplace.application import Marketplace
from marketplace.config import Settings
from marketplace.domain.accounts import Credential
from marketplace.domain.errors import NotFound
from tests.conftest import complete_offering
from tests.integration.builders import provider_with_offerings


@pytest.fixture
def other_worker(settings: Settings) -> Iterator[Marketplace]:
    """The application as another process (a second gunicorn worker, the CLI) has it."""
    other = Marketplace(env=settings.eventsourcing_env())
    yield other
    other.close()


def test_a_token_revoked_by_another_process_is_refused_at_the_next_request(
    make_account: Any, other_worker: Marketplace
) -> None:
    caller = make_account("provider")
    assert caller.get("/api/v1/accounts/me").status_code == 200  # its credential is now kept

    credential = other_worker.repository.get(Credential.id_for(caller.token))
    credential.revoke(None, "reported lost")
    other_worker.save(credential)

    refused = caller.post("/api/v1/offerings", json=complete_offering())
    assert refused.status_code == 401
    assert refused.get_json()["errors"] == {"headers": {"Authorization": ["unknown or revoked token"]}}
    assert caller.get("/api/v1/accounts/me").status_code == 401


def test_an_account_bound_by_another_process_acts_for_its_provider_at_the_next_request(
    make_account: Any, other_worker: Marketplace
) -> None:
    caller = make_account("provider")
    me = caller.get("/api/v1/accounts/me").get_json()  # its account is now kept, unbound
    assert me["organization_id"] is None
    assert caller.post("/api/v1/offerings", json=complete_offering()).status_code == 403

    provider = other_worker.register_provider(
        other_worker.get_account(uuid.UUID(me["id"])),
        "Prairie Learning",
        OrganizationIdentifier("US-EIN", "84-7654321"),
        None,
        Contact("Dana Reyes", "dana@example.org"),
    )

    assert caller.get("/api/v1/accounts/me").get_json()["organization_id"] == str(provider.id)
    drafted = caller.post("/api/v1/offerings", json=complete_offering())
    assert drafted.status_code == 201, drafted.get_json()
    assert drafted.get_json()["provider"] == {"id": str(provider.id), "name": "Prairie Learning"}


def test_a_settled_account_is_read_once_and_handed_out_as_copies(
    provider: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller, _ = provider  # bound to its provider: settled
    me = caller.get("/api/v1/accounts/me").get_json()
    app = services.app

    def not_again(_: Any) -> Any:
        raise AssertionError("a settled account is final: it is not read twice")

    monkeypatch.setattr(app, "get_account", not_again)
    assert caller.get("/api/v1/accounts/me").get_json() == me
    assert caller.post("/api/v1/offerings", json=complete_offering()).status_code == 201
    account_id = uuid.UUID(me["id"])
    assert app.get_caller(account_id) is not app.get_caller(account_id)


def test_a_command_that_fails_leaves_the_kept_account_as_the_store_has_it(
    make_account: Any, services: Any
) -> None:
    """A registration that fails as it is saved (another took the identifier at the same time),
    after binding the account in memory, binds nothing, in the store or in what the next request
    sees."""
    first = make_account("provider")
    body = {
        "legal_name": "Prairie Learning",
        "identifier": {"scheme": "US-EIN", "id": "84-7654321"},
        "contact": {"name": "Dana Reyes", "email": "dana@example.org"},
    }
    assert first.post("/api/v1/providers", json=body).status_code == 201
    second = make_account("provider")
    assert second.get("/api/v1/accounts/me").get_json()["organization_id"] is None
    with pytest.MonkeyPatch.context() as race:  # both pass the registered-already check
        race.setattr(services.app, "load_optional", lambda _id: None)
        assert second.post("/api/v1/providers", json=body).status_code == 409
    assert second.get("/api/v1/accounts/me").get_json()["organization_id"] is None
    assert second.post("/api/v1/offerings", json=complete_offering()).status_code == 403


def test_a_providers_legal_name_is_read_once_and_kept(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = services.app
    _, provider_id, _ = provider_with_offerings(app, 1, "Prairie Learning", ())
    assert app.provider_legal_name(provider_id) == "Prairie Learning"

    def not_again(_: Any) -> Any:
        raise AssertionError("a legal name never changes: it is not read twice")

    monkeypatch.setattr(app, "get_provider", not_again)
    assert app.provider_legal_name(provider_id) == "Prairie Learning"


def test_an_unknown_provider_has_no_legal_name(services: Any) -> None:
    with pytest.raises(NotFound):
        services.app.provider_legal_name(uuid.uuid4())
