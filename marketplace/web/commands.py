"""How write views run: idempotency keys, optimistic versions, and the log position they return.

``@command(render=...)`` wraps a write view. The view calls one use case. With an
``Idempotency-Key`` header, the receipt is saved atomically with the use case's events; a retry (or
a request racing the first) gets the first result, re-rendered from the resource as it was then,
with ``Idempotent-Replayed: true``. Every write response carries ``Log-Position``: send it back as
``Min-Log-Position`` on a read to see your own write.
"""

from __future__ import annotations

import re
from functools import wraps
from typing import Any, Callable
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from flask import g, request
from werkzeug.exceptions import ServiceUnavailable

from marketplace.application import PendingReceipt, command_context
from marketplace.domain.errors import DomainError, InvalidValue, NotFound
from marketplace.domain.idempotency import (
    KEY_HEADER,
    IdempotencyReceipt,
    checked_key,
    request_fingerprint,
)
from marketplace.web.auth import require_account
from marketplace.web.services import marketplace, services
from projections.runner import RETRY_MAX_S, Failing

POSITION_HEADER = "Log-Position"
MIN_POSITION_HEADER = "Min-Log-Position"
REPLAYED_HEADER = "Idempotent-Replayed"


def command(status: int, render: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``status``: the view's success status; ``render``: the response body for a saved resource."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raw_key = request.headers.get(KEY_HEADER)
            precondition = _precondition()
            if raw_key is None:
                with command_context(precondition=precondition) as context:
                    result = view(*args, **kwargs)
                g.log_position = _position_after(context.position)
                return result
            account = require_account()
            key = checked_key(raw_key)  # before the view; the receipt is stored under this key
            actor = str(account.id)
            fingerprint = request_fingerprint(request.method, request.path, request.get_data())
            receipt = marketplace().find_receipt(actor, key)
            if receipt is not None:
                return _replay(receipt, fingerprint, render)
            pending = PendingReceipt(actor=actor, key=key, fingerprint=fingerprint, status=status)
            try:
                with command_context(pending, precondition) as context:
                    result = view(*args, **kwargs)
            except (IntegrityError, DomainError):
                # A request racing the first with the same key: it may collide with the first's
                # save, or load what the first saved and be refused by the domain (published
                # already, a proposal there already, a stale version). Either way the key says
                # it is the same request: it gets the first one's result.
                receipt = marketplace().find_receipt(actor, key)
                if receipt is None:
                    raise  # a real concurrent write (409), or the request's own fault
                return _replay(receipt, fingerprint, render)
            g.log_position = _position_after(context.position)
            return result

        return wrapper

    return decorator


_ADDRESSED = re.compile(r"<uuid:(\w+)>")


def _precondition() -> tuple[UUID, int] | None:
    """``If-Match`` with the record the URL addresses (its first id: the solicitation of
    ``/solicitations/{id}/questions/{q}/answer``), for the save to check; None without one."""
    expected = expected_version()
    if expected is None or request.url_rule is None:
        return None
    names = _ADDRESSED.findall(request.url_rule.rule)
    if not names:
        return None  # a new record: nothing to compare
    return (request.view_args or {})[names[0]], expected


def _position_after(saved: int | None) -> int:
    """The position a write answers with: that of what it saved, or, when it saved nothing (a
    change to what already was), the log's head, which includes everything it stands on."""
    return saved if saved is not None else services().runner.head()


def _replay(receipt: IdempotencyReceipt, fingerprint: str, render: Callable[[Any], Any]) -> Any:
    receipt.check_same_request(fingerprint)
    g.log_position = services().runner.head()
    resource = None
    headers = {REPLAYED_HEADER: "true"}
    if receipt.resource_id is not None:
        resource = marketplace().load(receipt.resource_id, version=receipt.resource_version)
        if receipt.resource_version is not None:
            headers.update(etag(receipt.resource_version))  # as the first answer had it
    return render(resource), headers


MAX_DIGITS = 19
"""A version or a log position has at most this many digits (a 64-bit integer's)."""


def _is_count(value: str) -> bool:
    """A whole number written in ASCII digits (``str.isdigit`` also takes "²" and other scripts'
    digits) and short enough to be one."""
    return value.isascii() and value.isdigit() and len(value) <= MAX_DIGITS


def expected_version() -> int | None:
    """The version named by ``If-Match`` (an ETag such as ``"3"``), or None when absent."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not _is_count(value):
        raise InvalidValue(
            'If-Match must be the version as an ETag, such as "3"',
            {"If-Match": ['must be the version as an ETag, such as "3"']},
            location="headers",
        )
    return int(value)


def version_as_of(aggregate_id: Any, as_of: Any, label: str) -> int | None:
    """For ``?as_of=``: the version then, or NotFound if nothing had that id yet. Its message is
    the one an id that names something else, or something the caller may not see, gets (``{label}
    {id} not found``): ids of sealed proposals derive from public ids, and a different answer
    for "not yet" would tell anyone which providers had bid, and when."""
    if as_of is None:
        return None
    version = marketplace().version_at(aggregate_id, as_of)
    if version is None:
        raise NotFound(f"{label} {aggregate_id} not found")
    return version


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def await_requested_position(names: frozenset[str] | None = None) -> None:
    """Before a read: wait until the read models it shows (``names``; default: all) include the
    position the client asked for."""
    raw = request.headers.get(MIN_POSITION_HEADER)
    if raw is None:
        return
    if not _is_count(raw.strip()):
        raise InvalidValue(
            f"{MIN_POSITION_HEADER} must be a log position (a whole number)",
            {MIN_POSITION_HEADER: [f"must be a whole number of at most {MAX_DIGITS} digits"]},
            location="headers",
        )
    position = int(raw)
    if position > services().runner.head():
        raise InvalidValue(
            f"{MIN_POSITION_HEADER} {position} is beyond the end of the log",
            {MIN_POSITION_HEADER: ["beyond the end of the log"]},
            location="headers",
        )
    if names is None:
        await_position(position)
    elif names:
        await_position(position, tuple(sorted(names)))
    # else: the view shows only what it loads from the event store, never behind


def await_log_head(*names: str) -> None:
    """Before a command that acts on what a read model lists: wait until the named read models
    include every event written so far."""
    await_position(services().runner.head(), names)


def await_position(position: int, names: tuple[str, ...] | None = None) -> None:
    """Wait until the named read models (default: all) include ``position``: caught up by this
    request itself, or by the projection worker (``catch_up_on_read``); a 503 if not in time."""
    svc = services()
    settings = svc.settings
    try:
        reached = svc.runner.wait_for(
            position, settings.read_wait_seconds, settings.catch_up_on_read, names
        )
    except Failing as failing:  # named, as /health names it; what went wrong is the log's
        models = "read model" if len(failing.names) == 1 else "read models"
        unavailable = ServiceUnavailable(
            f"the {', '.join(failing.names)} {models} cannot apply the events before position "
            f"{position}; the operator is told (see /health); retry later"
        )
        unavailable.data = {"headers": {"Retry-After": str(int(RETRY_MAX_S))}}  # worker retries
        raise unavailable from None
    if not reached:
        raise ServiceUnavailable(
            f"the read models have not reached position {position} yet; retry shortly"
        )
