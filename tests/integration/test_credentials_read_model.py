"""The credentials read model: who issued and who revoked each token, never a token or its hash;
rebuilt from zero it equals what catching up event by event built."""

from __future__ import annotations

from typing import Any

from events.types import Role
from marketplace.domain.accounts import token_digest
from projections.credential_queries import credentials_of, live_credential_ids
from projections.credentials import CredentialsProjection
from tests.integration.readmodels import snapshot

READS = CredentialsProjection.name


def _tokens_issued_and_revoked(services: Any) -> tuple[Any, list[str]]:
    """An account's tokens: opened with one, rotated, one issued by an admin, one revoked, then
    every live one revoked; the read model caught up after each step. Returns (account, tokens)."""
    app, runner = services.app, services.runner
    admin, _ = app.open_account(None, Role.ADMIN, "Admin")
    dana, first = app.open_account(None, Role.BUYER, "Dana")
    runner.catch_up(names=[READS])
    rotated, second = app.issue_credential(dana, dana.id)
    runner.catch_up(names=[READS])
    _, third = app.issue_credential(admin, dana.id)
    runner.catch_up(names=[READS])
    app.revoke_credential(dana, rotated.id, "pasted into a chat")
    runner.catch_up(names=[READS])
    with services.engines.reader.connect() as conn:
        live = live_credential_ids(conn, dana.id)
    app.revoke_credentials(admin, dana.id, lambda: live, "left the district")
    runner.catch_up(names=[READS])
    return dana, [first, second, third]


def test_the_read_model_records_who_issued_and_revoked_each_token_and_why(services: Any) -> None:
    dana, _ = _tokens_issued_and_revoked(services)

    with services.engines.reader.connect() as conn:
        listed = credentials_of(conn, dana.id)

    assert [(c["status"], c["revocation_reason"]) for c in listed] == [
        ("revoked", "left the district"),
        ("revoked", "pasted into a chat"),
        ("revoked", "left the district"),
    ]
    assert [c["issued_by"] for c in listed][1:] == [str(dana.id), "operator"]
    assert listed[1]["revoked_by"] == str(dana.id)
    assert listed[0]["revoked_by"] == listed[2]["revoked_by"] == listed[0]["issued_by"]


def test_neither_a_token_nor_its_hash_is_in_the_read_model(services: Any) -> None:
    _, tokens = _tokens_issued_and_revoked(services)

    stored = repr(snapshot(services.engines.reader)[READS])

    assert all(token not in stored and token_digest(token) not in stored for token in tokens)


def test_rebuilding_the_credentials_read_model_reproduces_its_catch_up(services: Any) -> None:
    _tokens_issued_and_revoked(services)
    caught_up = snapshot(services.engines.reader)[READS]
    assert len(caught_up) == 4  # the admin's own, and three of the account's

    services.runner.rebuild([READS])

    assert snapshot(services.engines.reader)[READS] == caught_up
