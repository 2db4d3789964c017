"""Idempotency receipts: one per actor and key, bound to the request that first used the key."""

from __future__ import annotations

import pytest

from marketplace.domain.errors import IdempotencyKeyReused, InvalidValue
from marketplace.domain.idempotency import IdempotencyReceipt, request_fingerprint

id_for = IdempotencyReceipt.id_for
FINGERPRINT = request_fingerprint("POST", "/api/v1/offerings", b'{"title": "Prairie Math"}')


def record(
    actor: str = "account-1", key: str = "key-1", fingerprint: str = FINGERPRINT
) -> IdempotencyReceipt:
    return IdempotencyReceipt.record(actor, key, fingerprint, 201, None, None)


def test_a_receipt_id_is_the_same_for_the_same_actor_and_key() -> None:
    assert id_for("account-1", "key-1") == id_for("account-1", "key-1")


def test_a_receipt_id_differs_per_actor() -> None:
    assert id_for("account-1", "key-1") != id_for("account-2", "key-1")


def test_a_receipt_id_differs_per_key() -> None:
    assert id_for("account-1", "key-1") != id_for("account-1", "key-2")


def test_a_receipt_id_does_not_confuse_actor_and_key_boundaries() -> None:
    assert id_for("ab", "c") != id_for("a", "bc")


def test_a_receipt_is_recorded_under_the_id_for_its_actor_and_key() -> None:
    receipt = record()

    assert receipt.id == IdempotencyReceipt.id_for("account-1", "key-1")
    assert (receipt.key, receipt.fingerprint, receipt.status) == ("key-1", FINGERPRINT, 201)


@pytest.mark.parametrize("key", ["  ", "k" * 256], ids=["blank", "over 255 characters"])
def test_a_blank_or_too_long_key_is_refused_naming_the_header(key: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        record(key=key)

    assert set(refused.value.fields) == {"Idempotency-Key"}
    assert refused.value.location == "headers"


def test_a_key_of_255_characters_is_accepted_trimmed() -> None:
    assert record(key=f" {'k' * 255} ").key == "k" * 255


def test_the_same_request_again_passes_the_check() -> None:
    record().check_same_request(FINGERPRINT)


def test_a_different_request_under_the_same_key_is_refused() -> None:
    other = request_fingerprint("POST", "/api/v1/offerings", b'{"title": "Other"}')

    with pytest.raises(IdempotencyKeyReused) as refused:
        record().check_same_request(other)

    assert set(refused.value.fields) == {"Idempotency-Key"}
    assert refused.value.location == "headers"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/offerings", b'{"title": "Prairie Math"}'),
        ("POST", "/api/v1/providers", b'{"title": "Prairie Math"}'),
        ("POST", "/api/v1/offerings", b'{"title": "Prairie Maths"}'),
        ("POST", "/api/v1/offerings", b""),
    ],
    ids=["method", "path", "body", "empty body"],
)
def test_the_request_fingerprint_differs_when_method_path_or_body_differ(
    method: str, path: str, body: bytes
) -> None:
    assert request_fingerprint(method, path, body) != FINGERPRINT


def test_the_request_fingerprint_ignores_the_case_of_the_method() -> None:
    lower_case = request_fingerprint("post", "/api/v1/offerings", b'{"title": "Prairie Math"}')

    assert lower_case == FINGERPRINT


def test_the_request_fingerprint_is_not_fooled_by_bytes_moving_between_path_and_body() -> None:
    assert request_fingerprint("POST", "/a", b"bc") != request_fingerprint("POST", "/ab", b"c")
