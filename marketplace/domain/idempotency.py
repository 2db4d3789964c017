"""A receipt for a request made under an ``Idempotency-Key``.

Its id is derived from the account and the key, and it is saved in the same transaction as the
request's effect: a retry finds the receipt and gets the first result; two racing requests cannot
both be recorded, because the second receipt collides with the first.
"""

from __future__ import annotations

import hashlib
from functools import singledispatchmethod
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.idempotency import RequestReceived
from marketplace.domain import validation
from marketplace.domain.errors import IdempotencyKeyReused, InvalidValue

_RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:idempotency-receipt")


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def checked_key(key: str) -> str:
    """The key trimmed, or refused naming the header it came in (not a body field)."""
    try:
        return validation.required_text(KEY_HEADER, key, max_length=MAX_KEY_LENGTH)
    except InvalidValue as error:
        raise InvalidValue(error.message, error.fields, location="headers") from None


class IdempotencyReceipt(Aggregate):
    TOPIC = "marketplace.IdempotencyReceipt"
    Event = MarketplaceEvent
    Created = RequestReceived

    @staticmethod
    def id_for(actor: str, key: str) -> UUID:
        return uuid5(_RECEIPT_NAMESPACE, f"{actor}\x00{key}")

    @classmethod
    def record(
        cls,
        actor: str,
        key: str,
        fingerprint: str,
        status: int,
        resource_id: UUID | None,
        resource_version: int | None,
    ) -> IdempotencyReceipt:
        key = checked_key(key)
        return cls._create(
            RequestReceived,
            id=cls.id_for(actor, key),
            actor=actor,
            key=key,
            fingerprint=fingerprint,
            status=status,
            resource_id=resource_id,
            resource_version=resource_version,
        )

    def check_same_request(self, fingerprint: str) -> None:
        if fingerprint != self.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different request",
                {"Idempotency-Key": ["already used for a different request"]},
                location="headers",
            )

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: RequestReceived) -> None:
        self.key = event.key
        self.fingerprint = event.fingerprint
        self.status = event.status
        self.resource_id = event.resource_id
        self.resource_version = event.resource_version
