"""One error envelope for every 4xx and 5xx:

    {"status": 422, "error": "Unprocessable Entity", "message": "...", "errors": {"json": {...}}}

``errors`` names each field at fault, by where it came from (``json``, ``query``, ``headers``);
it is ``{}`` when no field is, so that every error body has the same four keys. Domain errors
map to statuses here and nowhere else.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.persistence import OperationalError as StoreUnavailable
from flask import Flask, jsonify
from flask.wrappers import Response
from sqlalchemy.exc import OperationalError as ReadModelUnavailable
from werkzeug.exceptions import HTTPException

from marketplace.domain import errors as domain

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[domain.DomainError], int] = {
    domain.AuthenticationRequired: 401,
    domain.NotAllowed: 403,
    domain.NotFound: 404,
    domain.WrongState: 409,
    domain.AlreadyExists: 409,
    domain.StaleVersion: 412,
    domain.InvalidValue: 422,
    domain.IdempotencyKeyReused: 422,
}


def unavailable_reason(error: Exception) -> str:
    """Why the database did not answer, for the log: the driver's own first line (never the
    statement or its parameters, which may hold a credential's id), with what to do when the
    tables are missing."""
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    first = (str(cause).strip().splitlines() or [""])[0][:300]
    reason = f"{error.__class__.__name__}: {first}" if first else error.__class__.__name__
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        reason += " (the database is not migrated: run `flask --app wsgi db upgrade`)"
    return reason


def envelope(status: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "errors": errors or {},
    }
    response = jsonify(body)
    response.status_code = status
    return response


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}"]
    if isinstance(messages, (list, tuple)):
        return [line for m in messages for line in _flatten(m, prefix)]
    return [f"{prefix}: {messages}"]


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        lines = _flatten(messages)
        message = "invalid input: " + "; ".join(lines)
        response = envelope(status, message, messages)
    else:
        response = envelope(status, data.get("message") or error.description or HTTPStatus(status).phrase)
    for name, value in error.get_headers():  # what HTTP requires with it: a 405's Allow
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(domain.DomainError)
    def _domain_error(error: domain.DomainError) -> Response:
        status = next(
            (code for cls, code in STATUS_BY_ERROR.items() if isinstance(error, cls)), 400
        )
        errors = {error.location: error.fields} if error.fields else None
        response = envelope(status, error.message, errors)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="marketplace"'
        return response

    @app.errorhandler(IntegrityError)
    def _conflict(_: IntegrityError) -> Response:
        return envelope(
            409,
            "another request changed this record at the same time; reload it and retry",
        )

    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(ReadModelUnavailable)
    def _unavailable(error: Exception) -> Response:
        log.warning("database unavailable: %s", unavailable_reason(error))
        response = envelope(503, "the database is unavailable; retry shortly")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(AggregateNotFoundError)
    def _not_found(error: AggregateNotFoundError) -> Response:
        return envelope(404, "not found")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error")
        return envelope(500, "internal error; it has been logged")
