"""Operator commands: accounts, projections, demo data."""

from __future__ import annotations

from typing import Any

import pytest

from events.types import Role
from marketplace.domain.accounts import Credential
from projections.search import FACETS
from tests.conftest import Caller
from tests.integration.readmodels import snapshot

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def test_accounts_create_prints_a_working_token_as_its_last_line(app: Any, client: Any) -> None:
    result = app.test_cli_runner().invoke(
        args=["accounts", "create", "--role", "admin", "--name", "State procurement office"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    me = Caller(client, token).get("/api/v1/accounts/me")
    assert me.status_code == 200
    assert me.get_json()["role"] == "admin"


def test_accounts_create_refuses_an_unknown_role(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["accounts", "create", "--role", "king", "--name", "x"])
    assert result.exit_code != 0
    assert "king" in result.output


def test_accounts_create_refuses_an_organization_that_is_not_an_id_naming_it(
    app: Any, services: Any
) -> None:
    head = services.runner.head()
    args = ["accounts", "create", "--role", "buyer", "--name", "B", "--organization", "district-7"]

    result = app.test_cli_runner().invoke(args=args)

    assert result.exit_code == 2
    assert "--organization" in result.output and "district-7" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert services.runner.head() == head


def test_the_token_is_never_written_to_the_event_store(app: Any, services: Any) -> None:
    result = app.test_cli_runner().invoke(args=["accounts", "create", "--role", "buyer", "--name", "B"])
    token = result.stdout.strip().splitlines()[-1]
    head = services.runner.head()
    stored = b"".join(n.state for n in services.app.recorder.select_notifications(1, head + 1))
    assert token.encode() not in stored


def _token_works(client: Any, token: str) -> bool:
    return Caller(client, token).get("/api/v1/accounts/me").status_code == 200


def test_accounts_issue_token_prints_a_new_working_token_as_its_last_line(
    app: Any, client: Any, services: Any
) -> None:
    account, first = services.app.open_account(None, Role.BUYER, "Dana")

    result = app.test_cli_runner().invoke(args=["accounts", "issue-token", "--account", str(account.id)])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token != first and _token_works(client, token) and _token_works(client, first)


def test_accounts_revoke_token_refuses_the_token_at_its_next_request(
    app: Any, client: Any, services: Any
) -> None:
    _, token = services.app.open_account(None, Role.BUYER, "Dana")
    assert _token_works(client, token)
    credential_id = str(Credential.id_for(token))

    result = app.test_cli_runner().invoke(
        args=["accounts", "revoke-token", "--credential", credential_id, "--reason", "laptop stolen"]
    )

    assert result.exit_code == 0, result.output
    assert credential_id in result.output
    assert not _token_works(client, token)


def test_accounts_revoke_tokens_revokes_every_live_token_and_lists_them(
    app: Any, client: Any, services: Any
) -> None:
    account, first = services.app.open_account(None, Role.BUYER, "Dana")
    issued, second = services.app.issue_credential(None, account.id)
    services.app.revoke_credential(None, issued.id, "rotated")
    _, third = services.app.issue_credential(None, account.id)

    result = app.test_cli_runner().invoke(
        args=["accounts", "revoke-tokens", "--account", str(account.id), "--reason", "left the district"]
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"revoked 2 credential(s) of account {account.id}"
    assert set(lines[1:]) == {str(Credential.id_for(first)), str(Credential.id_for(third))}
    assert not any(_token_works(client, t) for t in (first, second, third))


def test_accounts_credentials_lists_them_newest_first_with_who_revoked_them_and_why(
    app: Any, services: Any
) -> None:
    account, first = services.app.open_account(None, Role.BUYER, "Dana")
    _, second = services.app.issue_credential(account, account.id)
    services.app.revoke_credential(account, Credential.id_for(first), "rotated")

    result = app.test_cli_runner().invoke(
        args=["accounts", "credentials", "--account", str(account.id)]
    )

    assert result.exit_code == 0, result.output
    newest, oldest = result.stdout.strip().splitlines()
    assert newest.startswith(f"{Credential.id_for(second)}  active ")
    assert newest.endswith(f"by {account.id}")
    assert oldest.startswith(f"{Credential.id_for(first)}  revoked ") and "by operator" in oldest
    assert oldest.endswith(f"by {account.id}: rotated")


def test_a_refused_token_command_says_why_and_writes_nothing(app: Any, services: Any) -> None:
    account, token = services.app.open_account(None, Role.BUYER, "Dana")
    runner = app.test_cli_runner()
    head = services.runner.head()

    unknown = runner.invoke(args=["accounts", "issue-token", "--account", UNKNOWN_ID])
    blank = runner.invoke(
        args=["accounts", "revoke-tokens", "--account", str(account.id), "--reason", "  "]
    )

    assert unknown.exit_code == blank.exit_code == 1
    assert f"account {UNKNOWN_ID} not found" in unknown.output
    assert "reason: must not be blank" in blank.output
    assert "Traceback" not in unknown.output + blank.output
    assert services.runner.head() == head


def test_demo_load_fills_the_catalog_once(app: Any, anonymous: Any, services: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    head = services.runner.head()
    second = runner.invoke(args=["demo", "load"])
    assert "already loaded" in second.output
    assert services.runner.head() == head

    catalog = anonymous.get("/api/v1/catalog?per_page=100").get_json()
    assert 100 <= catalog["total"] <= 150
    assert set(FACETS) <= set(catalog["facets"])
    assert len(catalog["facets"]["subject"]) >= 8
    assert {f["value"] for f in catalog["facets"]["evidence_tier"]} == {"1", "2", "3", "4", "none"}
    providers = anonymous.get("/api/v1/providers").get_json()
    assert providers["total"] >= 24


def test_a_demo_load_that_stopped_midway_is_reported_incomplete_not_loaded(
    app: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import marketplace.demo_procurement as demo_procurement

    def killed(*_: Any) -> Any:  # the process stopped after the catalog, before procurement
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_procurement, "load_procurement", killed)
    runner = app.test_cli_runner()
    stopped = runner.invoke(args=["demo", "load"])
    assert stopped.exit_code != 0
    monkeypatch.undo()
    head = services.runner.head()

    again = runner.invoke(args=["demo", "load"])

    assert again.exit_code == 0
    assert "the demo data here is incomplete" in again.output
    assert "already loaded" not in again.output
    assert services.runner.head() == head  # nothing written


def test_demo_load_holds_solicitations_in_every_state_of_their_life(app: Any, services: Any) -> None:
    from sqlalchemy import select

    from projections.tables import contracts, districts, solicitations

    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    services.runner.catch_up()
    with services.engines.reader.connect() as conn:
        statuses = set(conn.execute(select(solicitations.c.status)).scalars())
        contract_statuses = set(conn.execute(select(contracts.c.status)).scalars())
        states = set(conn.execute(select(districts.c.state)).scalars())
    assert statuses == {
        "draft", "published", "closed", "evaluated", "awarded", "cancelled", "unsuccessful"
    }
    assert {"active", "awaiting_signature"} <= contract_statuses
    assert len(states) >= 4


def test_demo_load_shows_designations_privacy_agreements_and_report_cards(app: Any, anonymous: Any) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    facets = anonymous.get("/api/v1/catalog?per_page=1").get_json()["facets"]
    assert facets["designation"] and facets["privacy_state"]
    cards = anonymous.get("/api/v1/report-cards").get_json()
    assert cards["total"] >= 1 and cards["items"][0]["n"] >= 1
    contracts = anonymous.get("/api/v1/contracts?status=active").get_json()["items"]
    privacy = anonymous.get(f"/api/v1/contracts/{contracts[0]['id']}").get_json()["privacy"]
    assert any(p["student_data_access"] == "granted" for p in privacy)


def test_projections_rebuild_reproduces_the_read_models(app: Any, services: Any) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "load"])
    before = snapshot(services.engines.reader)
    result = runner.invoke(args=["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt catalog, history, procurement" in result.output
    assert f"up to log position {services.runner.head()}\n" in result.output
    assert snapshot(services.engines.reader) == before
    status = runner.invoke(args=["projections", "status"])
    assert "lag 0" in status.output


def test_projections_rebuild_refuses_an_unknown_projection(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["projections", "rebuild", "--name", "nope"])
    assert result.exit_code != 0
    assert "nope" in result.output


def test_a_projection_worker_refuses_an_unknown_projection_before_it_starts(app: Any, services: Any) -> None:
    result = app.test_cli_runner().invoke(args=["projections", "run", "--name", "catalog", "--name", "nope"])
    assert result.exit_code != 0
    assert "unknown projection(s): nope" in result.output and "known: catalog" in result.output
    assert services.runner.positions()["catalog"] == 0  # it never ran
