"""Accounts' bearer tokens through HTTP, on SQLite and PostgreSQL: listing, issuing (rotation) and
revoking one or all of them; a revoked token is refused at its very next request."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from marketplace.domain.accounts import Credential
from tests.conftest import Caller
from tests.e2e.procurement_helpers import register_district
from tests.e2e.test_errors import UNKNOWN_ID, assert_envelope


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


class Holder:
    """An account seen through HTTP: the caller, its id, and its first credential's id."""

    def __init__(self, caller: Caller):
        self.caller = caller
        self.id = ok(caller.get("/api/v1/accounts/me"))["id"]
        self.credentials = f"/api/v1/accounts/{self.id}/credentials"
        (first,) = self.listed()
        self.first_credential = first["id"]

    def issue(self, by: Caller | None = None) -> dict[str, Any]:
        return ok((by or self.caller).post(self.credentials), 201)

    def listed(self, by: Caller | None = None) -> list[dict[str, Any]]:
        reader = (by or self.caller).sees(self.caller)
        return ok(reader.get(self.credentials, query_string={"per_page": 100}))["items"]

    def as_token(self, token: str) -> Caller:
        """Another client of the same account, with another of its tokens."""
        return Caller(self.caller.client, token).sees(self.caller)


def revoke(caller: Caller, credential_id: str, reason: str = "reported lost", **kwargs: Any) -> Any:
    path = f"/api/v1/credentials/{credential_id}/revoke"
    return caller.post(path, json={"reason": reason}, **kwargs)


def revoke_all(caller: Caller, holder: Holder, reason: str = "left the district", **kwargs: Any) -> Any:
    return caller.post(f"{holder.credentials}/revoke", json={"reason": reason}, **kwargs)


def works(caller: Caller) -> bool:
    return caller.get("/api/v1/accounts/me").status_code == 200


@pytest.fixture
def dana(make_account: Any, services: Any) -> Holder:
    """A buyer account with its first token; its reads include every write so far."""
    caller = make_account("buyer", name="Dana Reyes")
    caller.position = services.runner.head()
    return Holder(caller)


def test_a_revoked_token_is_refused_at_its_next_request_while_the_accounts_other_token_works(
    dana: Holder,
) -> None:
    second = dana.as_token(dana.issue()["token"])

    revoked = ok(revoke(second, dana.first_credential))

    assert revoked["status"] == "revoked" and revoked["revocation_reason"] == "reported lost"
    refused = assert_envelope(dana.caller.get("/api/v1/accounts/me"), 401)
    assert refused["errors"] == {"headers": {"Authorization": ["unknown or revoked token"]}}
    assert works(second)


def test_an_account_rotates_its_token_the_new_one_shown_once_and_listed_first(dana: Holder) -> None:
    issued = dana.issue()

    assert issued["token"].startswith("mkt_")
    assert issued["id"] == str(Credential.id_for(issued["token"]))
    assert (issued["account_id"], issued["issued_by"]) == (dana.id, dana.id)
    assert issued["status"] == "active"
    listed = dana.listed()
    assert [c["id"] for c in listed] == [issued["id"], dana.first_credential]
    assert all("token" not in c for c in listed)
    assert listed[0] == {k: v for k, v in issued.items() if k != "token"}
    assert works(dana.as_token(issued["token"])) and works(dana.caller)


def test_an_admin_lists_issues_and_revokes_another_accounts_tokens(
    admin: Caller, dana: Holder
) -> None:
    admin_id = ok(admin.get("/api/v1/accounts/me"))["id"]
    issued = dana.issue(by=admin)

    ok(revoke(admin, dana.first_credential, "staff member left the district"))

    listed = dana.listed(by=admin)
    assert [(c["id"], c["status"], c["issued_by"]) for c in listed] == [
        (issued["id"], "active", admin_id),
        (dana.first_credential, "revoked", "operator"),
    ]
    assert (listed[1]["revoked_by"], listed[1]["revocation_reason"]) == (
        admin_id,
        "staff member left the district",
    )
    assert not works(dana.caller) and works(dana.as_token(issued["token"]))


def test_a_non_admin_can_neither_list_nor_issue_nor_revoke_another_accounts_tokens(
    make_account: Any, dana: Holder, services: Any
) -> None:
    other = make_account("provider")
    head = services.runner.head()

    assert_envelope(other.get(dana.credentials), 403)
    assert_envelope(other.post(dana.credentials), 403)
    assert_envelope(revoke_all(other, dana), 403)
    assert_envelope(revoke(other, dana.first_credential), 404)  # not its to know of

    assert services.runner.head() == head
    assert works(dana.caller)


def test_an_unknown_account_is_403_to_a_non_admin_and_404_to_an_admin(
    dana: Holder, admin: Caller
) -> None:
    unknown = f"/api/v1/accounts/{UNKNOWN_ID}/credentials"

    assert_envelope(dana.caller.get(unknown), 403)  # learns nothing of other accounts
    assert_envelope(admin.get(unknown), 404)
    assert_envelope(admin.post(unknown), 404)
    assert_envelope(admin.post(f"{unknown}/revoke", json={"reason": "x"}), 404)
    assert_envelope(revoke(admin, UNKNOWN_ID), 404)


def test_revoking_a_revoked_credential_again_is_a_conflict(dana: Holder) -> None:
    second = dana.as_token(dana.issue()["token"])
    ok(revoke(second, dana.first_credential))

    body = assert_envelope(revoke(second, dana.first_credential, "again"), 409)

    assert "already revoked" in body["message"]


def test_revoking_all_revokes_only_the_live_tokens_at_once(admin: Caller, dana: Holder) -> None:
    second, third = dana.issue(), dana.issue()
    ok(revoke(dana.caller, second["id"], "pasted into a chat"))

    result = ok(revoke_all(admin, dana, "staff member left the district"))

    assert result == {
        "account_id": dana.id,
        "revoked": 2,
        "credential_ids": [third["id"], dana.first_credential],
    }
    listed = {c["id"]: c for c in dana.listed(by=admin)}
    assert {c["status"] for c in listed.values()} == {"revoked"}
    assert listed[second["id"]]["revocation_reason"] == "pasted into a chat"
    together = [listed[i] for i in result["credential_ids"]]
    assert {(c["revoked_at"], c["revocation_reason"]) for c in together} == {
        (together[0]["revoked_at"], "staff member left the district")
    }
    assert not any(works(dana.as_token(t)) for t in (second["token"], third["token"]))


def test_after_revoking_all_an_admin_issues_a_working_token_and_revoking_all_again_finds_it(
    admin: Caller, dana: Holder
) -> None:
    ok(revoke_all(dana.caller, dana, "signing out everywhere"))
    assert not works(dana.caller)

    fresh = dana.issue(by=admin)
    assert works(dana.as_token(fresh["token"]))
    again = ok(revoke_all(admin, dana, "the new token was sent to the wrong person"))

    assert again["credential_ids"] == [fresh["id"]]
    assert ok(revoke_all(admin, dana, "nothing left"))["revoked"] == 0


def test_revoking_all_never_acts_on_a_lagging_list_and_answers_503_while_the_worker_lags(
    lagging_app: Any, dana: Holder, services: Any
) -> None:
    services.app.issue_credential(None, UUID(dana.id))  # not yet in the read model
    head = services.runner.head()

    lagging = Caller(lagging_app.test_client(), dana.caller.token)
    assert_envelope(revoke_all(lagging, dana), 503)

    assert services.runner.head() == head
    assert ok(revoke_all(dana.caller, dana))["revoked"] == 2  # this app catches up itself


def test_another_account_revoking_all_is_refused_before_waiting_for_the_list(
    lagging_app: Any, dana: Holder, make_account: Any, services: Any
) -> None:
    services.app.issue_credential(None, UUID(dana.id))  # the list lags behind the log
    other = Caller(lagging_app.test_client(), make_account("buyer").token)

    assert_envelope(revoke_all(other, dana), 403)  # not a 503 from waiting for the list


BAD_BODIES = [
    pytest.param({}, "reason", id="missing"),
    pytest.param({"reason": ""}, "reason", id="empty"),
    pytest.param({"reason": "   "}, "reason", id="blank"),
    pytest.param({"reason": 42}, "reason", id="not-a-string"),
    pytest.param({"reason": None}, "reason", id="null"),
    pytest.param({"reason": "r" * 2001}, "reason", id="over-2000-characters"),
    pytest.param({"reason": "lost\x00"}, "reason", id="control-character"),
    pytest.param({"reason": "lost", "urgent": True}, "urgent", id="unknown-field"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES)
@pytest.mark.parametrize("revoking", ["one", "all"])
def test_a_bad_revocation_body_is_refused_naming_the_field_and_changes_nothing(
    dana: Holder, services: Any, body: dict[str, Any], field: str, revoking: str
) -> None:
    path = {
        "one": f"/api/v1/credentials/{dana.first_credential}/revoke",
        "all": f"{dana.credentials}/revoke",
    }[revoking]
    head = services.runner.head()

    refused = assert_envelope(dana.caller.post(path, json=body), 422)

    assert list(refused["errors"]["json"]) == [field]
    assert services.runner.head() == head
    assert works(dana.caller)


def test_a_revocation_body_over_the_size_limit_is_refused_and_changes_nothing(
    dana: Holder, services: Any
) -> None:
    head = services.runner.head()

    assert_envelope(revoke(dana.caller, dana.first_credential, "r" * 300_000), 413)

    assert services.runner.head() == head and works(dana.caller)


def test_a_retried_revocation_with_the_same_key_answers_the_same_and_writes_once(
    dana: Holder, services: Any
) -> None:
    second = dana.as_token(dana.issue()["token"])
    headers = {"Idempotency-Key": "revoke-laptop-token"}
    first = revoke(second, dana.first_credential, headers=headers)
    head = services.runner.head()

    retried = revoke(second, dana.first_credential, headers=headers)

    assert retried.status_code == first.status_code == 200
    assert retried.get_json() == first.get_json()
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert services.runner.head() == head


def test_a_retried_revocation_of_all_answers_with_the_same_credentials_and_writes_once(
    admin: Caller, dana: Holder, services: Any
) -> None:
    dana.issue()
    headers = {"Idempotency-Key": "offboarding-dana"}
    first = ok(revoke_all(admin, dana, headers=headers))
    head = services.runner.head()
    dana.issue(by=admin)  # issued afterwards: not part of the first answer

    retried = revoke_all(admin, dana, headers=headers)

    assert ok(retried) == first and first["revoked"] == 2
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert services.runner.head() == head + 2  # the token issued since (and its ledger entry)


def test_a_retried_issue_with_the_same_key_issues_one_token_and_never_shows_it_again(
    dana: Holder,
) -> None:
    headers = {"Idempotency-Key": "rotate-2026-12"}
    first = ok(dana.caller.post(dana.credentials, headers=headers), 201)
    retried = ok(dana.caller.post(dana.credentials, headers=headers), 201)

    assert retried == {**first, "token": None}
    assert [c["id"] for c in dana.listed()] == [first["id"], dana.first_credential]


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/accounts/{account}/credentials"),
        ("post", "/api/v1/accounts/{account}/credentials"),
        ("post", "/api/v1/accounts/{account}/credentials/revoke"),
        ("post", "/api/v1/credentials/{credential}/revoke"),
    ],
)
def test_tokens_are_managed_only_by_an_authenticated_caller(
    anonymous: Caller, dana: Holder, method: str, path: str
) -> None:
    target = path.format(account=dana.id, credential=dana.first_credential)
    kwargs = {"json": {"reason": "x"}} if method == "post" else {}

    assert_envelope(getattr(anonymous, method)(target, **kwargs), 401)


def test_the_openapi_document_describes_the_credential_paths(anonymous: Caller) -> None:
    paths = ok(anonymous.get("/api/openapi.json"))["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/accounts/{account_id}/credentials"])
    assert "post" in paths["/api/v1/accounts/{account_id}/credentials/revoke"]
    assert "post" in paths["/api/v1/credentials/{credential_id}/revoke"]


# What an account acts for ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("provider", "district"),
        ("buyer", "provider"),
        ("evaluator", "provider"),
        ("authority", "district"),
    ],
)
def test_an_account_is_opened_only_for_an_organization_its_role_acts_for(
    admin: Caller, make_account: Any, make_provider: Any, services: Any, role: str, kind: str
) -> None:
    organizations = {
        "district": register_district(make_account("buyer"))["id"],
        "provider": make_provider(name="Prairie Learning")[1],
    }
    head = services.runner.head()

    body = {"role": role, "name": "Someone", "organization_id": organizations[kind]}
    response = admin.post("/api/v1/accounts", json=body)

    assert_envelope(response, 422)
    assert "organization_id" in response.get_json()["errors"]["json"]
    assert services.runner.head() == head  # nothing recorded


def test_a_provider_account_for_its_provider_drafts_offerings(
    admin: Caller, make_provider: Any, app: Any
) -> None:
    _, provider_id = make_provider(name="Prairie Learning")
    body = {"role": "provider", "name": "Colleague", "organization_id": provider_id}
    opened = admin.post("/api/v1/accounts", json=body)
    assert opened.status_code == 201, opened.get_json()
    colleague = Caller(app.test_client(), opened.get_json()["token"])

    drafted = colleague.post("/api/v1/offerings", json={"title": "Prairie Math"})
    assert drafted.status_code == 201, drafted.get_json()
    assert drafted.get_json()["provider"]["id"] == provider_id
