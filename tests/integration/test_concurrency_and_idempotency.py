"""Two writers to one record (an offering, a token): one wins, one gets 409. Retried requests
never write twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from events.types import Role
from marketplace.application import Marketplace
from marketplace.domain.accounts import Credential
from tests.conftest import Caller, complete_offering


@pytest.fixture
def both_load_before_either_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make two concurrent commands read the same version before either saves."""
    barrier = threading.Barrier(2, timeout=10)
    original = Marketplace.get_offering

    def get_then_wait(self: Marketplace, offering_id: Any, version: int | None = None) -> Any:
        offering = original(self, offering_id, version)
        barrier.wait()
        return offering

    monkeypatch.setattr(Marketplace, "get_offering", get_then_wait)


def _offering_count(caller: Caller, provider_id: str) -> int:
    return caller.get(f"/api/v1/providers/{provider_id}/offerings").get_json()["total"]


def test_two_concurrent_revisions_give_one_success_and_one_409(
    app: Any, provider: Any, both_load_before_either_saves: None
) -> None:
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    token = caller.token

    def revise(summary: str) -> Any:
        with app.test_client() as client:
            return client.patch(
                f"/api/v1/offerings/{offering['id']}",
                json={"summary": summary},
                headers={"Authorization": f"Bearer {token}"},
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(revise, ["First writer", "Second writer"]))
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409).get_json()
    assert loser["status"] == 409 and "retry" in loser["message"]
    winner = next(r for r in responses if r.status_code == 200).get_json()
    assert caller.sees(caller).get(f"/api/v1/offerings/{offering['id']}").get_json()["summary"] == winner["summary"]
    assert winner["version"] == offering["version"] + 1


def test_a_retried_post_with_the_same_key_returns_the_first_result_and_writes_once(provider: Any) -> None:
    caller, provider_id = provider
    headers = {"Idempotency-Key": "draft-2026-11-22-001"}
    first = caller.post("/api/v1/offerings", json=complete_offering(), headers=headers)
    second = caller.post("/api/v1/offerings", json=complete_offering(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _offering_count(caller, provider_id) == 1


def test_a_replay_returns_the_resource_as_it_was_then_not_as_it_is_now(provider: Any) -> None:
    caller, _ = provider
    headers = {"Idempotency-Key": "draft-then-revise"}
    answered = caller.post("/api/v1/offerings", json=complete_offering(), headers=headers)
    first = answered.get_json()
    caller.patch(f"/api/v1/offerings/{first['id']}", json={"title": "Renamed later"})
    replayed = caller.post("/api/v1/offerings", json=complete_offering(), headers=headers)
    replay = replayed.get_json()
    assert replay["title"] == first["title"] and replay["version"] == first["version"]
    assert replayed.headers["ETag"] == answered.headers["ETag"] == f'"{first["version"]}"'


def test_reusing_a_key_for_a_different_request_is_refused_and_writes_nothing(provider: Any) -> None:
    caller, provider_id = provider
    headers = {"Idempotency-Key": "reused"}
    assert caller.post("/api/v1/offerings", json=complete_offering(), headers=headers).status_code == 201
    other = caller.post("/api/v1/offerings", json=complete_offering(title="Other"), headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]["headers"]
    assert _offering_count(caller, provider_id) == 1


def test_keys_belong_to_their_account(make_provider: Any) -> None:
    (first, first_id), (second, second_id) = make_provider(), make_provider()
    headers = {"Idempotency-Key": "same-key"}
    a = first.post("/api/v1/offerings", json=complete_offering(), headers=headers).get_json()
    b = second.post("/api/v1/offerings", json=complete_offering(), headers=headers).get_json()
    assert a["id"] != b["id"]
    assert _offering_count(first, first_id) == 1 and _offering_count(second, second_id) == 1


def test_two_racing_requests_with_the_same_key_create_one_offering(
    app: Any, provider: Any, both_load_before_either_saves: None
) -> None:
    caller, provider_id = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    token = caller.token

    def publish() -> Any:
        with app.test_client() as client:
            return client.post(
                f"/api/v1/offerings/{offering['id']}/publish",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "publish-once"},
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = [f.result() for f in [pool.submit(publish), pool.submit(publish)]]
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].get_json() == responses[1].get_json()
    history = caller.get(f"/api/v1/offerings/{offering['id']}/history").get_json()
    assert [e["type"] for e in history["items"]] == ["Drafted", "Published"]


def test_a_racer_with_the_same_key_that_loads_after_the_first_saved_gets_the_first_result(
    provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request looked for a receipt before the first saved it, then loaded the
    offering after: the offering is published already, which the domain refuses (409). The key
    says it is the same request, so it gets the first one's result, and nothing is written."""
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    headers = {"Idempotency-Key": "publish-once"}
    first = caller.post(f"/api/v1/offerings/{offering['id']}/publish", headers=headers)
    assert first.status_code == 200

    original = Marketplace.find_receipt
    looks: list[str] = []

    def not_yet_at_first_look(self: Marketplace, actor: str, key: str) -> Any:
        looks.append(key)
        return None if len(looks) == 1 else original(self, actor, key)

    monkeypatch.setattr(Marketplace, "find_receipt", not_yet_at_first_look)
    late = caller.post(f"/api/v1/offerings/{offering['id']}/publish", headers=headers)

    assert len(looks) == 2  # looked again after the refusal
    assert late.status_code == 200, late.get_json()
    assert late.headers["Idempotent-Replayed"] == "true"
    assert late.get_json() == first.get_json()
    history = caller.get(f"/api/v1/offerings/{offering['id']}/history").get_json()
    assert [e["type"] for e in history["items"]] == ["Drafted", "Published"]


def test_a_refused_request_with_a_key_no_one_used_is_refused_as_without_one(provider: Any) -> None:
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    caller.post(f"/api/v1/offerings/{offering['id']}/publish")
    again = caller.post(
        f"/api/v1/offerings/{offering['id']}/publish", headers={"Idempotency-Key": "fresh-key"}
    )
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again.headers


def test_a_retried_account_creation_does_not_open_a_second_account(admin: Any, client: Any) -> None:
    headers = {"Idempotency-Key": "open-buyer"}
    body = {"role": "buyer", "name": "Lake County purchasing"}
    first = admin.post("/api/v1/accounts", json=body, headers=headers)
    second = admin.post("/api/v1/accounts", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["token"].startswith("mkt_")
    assert second.get_json()["token"] is None  # tokens are never stored, so never shown again
    me = Caller(client, first.get_json()["token"]).get("/api/v1/accounts/me").get_json()
    assert me["id"] == first.get_json()["id"] and me["role"] == "buyer"


def test_two_concurrent_revocations_of_one_token_give_one_success_and_one_409(
    app: Any, services: Any, admin: Caller, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = make_account("buyer")
    me = holder.get("/api/v1/accounts/me").get_json()
    issued = holder.post(f"/api/v1/accounts/{me['id']}/credentials").get_json()
    barrier = threading.Barrier(2, timeout=10)
    original = Marketplace.load_optional

    def load_then_wait(self: Marketplace, aggregate_id: Any) -> Any:
        loaded = original(self, aggregate_id)
        barrier.wait()  # both hold the live credential before either saves
        return loaded

    monkeypatch.setattr(Marketplace, "load_optional", load_then_wait)

    def revoke(token: str | None) -> Any:
        with app.test_client() as client:
            return client.post(
                f"/api/v1/credentials/{issued['id']}/revoke",
                json={"reason": "reported lost"},
                headers={"Authorization": f"Bearer {token}"},
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(revoke, [admin.token, holder.token]))
    assert sorted(r.status_code for r in responses) == [200, 409]
    stored = list(services.app.events.get(UUID(issued["id"])))
    assert [type(e).__name__ for e in stored] == ["CredentialIssued", "CredentialRevoked"]


def test_a_token_issued_while_all_of_its_accounts_tokens_are_revoked_is_not_left_live(
    services: Any,
) -> None:
    """The revocation lists the live tokens, and before it saves, another request issues one
    (a thief rotating the stolen token). The revocation fails as a concurrent write (409), and
    tried again it lists and revokes the new one too."""
    app = services.app
    admin, _ = app.open_account(None, Role.ADMIN, "Security officer")
    holder, stolen = app.open_account(None, Role.BUYER, "Dana Reyes")
    minted: list[str] = []

    def listed_while_one_is_issued() -> list[UUID]:
        _, token = app.issue_credential(app.authenticate(stolen), holder.id)
        minted.append(token)
        return [Credential.id_for(stolen)]  # as listed before the new one was saved

    with pytest.raises(IntegrityError):
        app.revoke_credentials(admin, holder.id, listed_while_one_is_issued, "Token stolen.")
    assert app.authenticate(stolen) is not None  # nothing revoked: the failed save wrote nothing

    both = [Credential.id_for(stolen), Credential.id_for(minted[0])]
    revoked = app.revoke_credentials(admin, holder.id, lambda: both, "Token stolen.")
    assert sorted(c.id for c in revoked) == sorted(both)
    assert app.authenticate(stolen) is None and app.authenticate(minted[0]) is None


def test_a_token_issued_after_a_revocation_of_all_saved_is_a_new_live_token(services: Any) -> None:
    app = services.app
    admin, _ = app.open_account(None, Role.ADMIN, "Security officer")
    holder, first = app.open_account(None, Role.BUYER, "Dana Reyes")
    app.revoke_credentials(admin, holder.id, lambda: [Credential.id_for(first)], "Rotation.")
    _, fresh = app.issue_credential(admin, holder.id)
    assert app.authenticate(first) is None
    assert app.authenticate(fresh) is not None

