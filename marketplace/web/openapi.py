"""What the OpenAPI document says of every operation beyond its schemas: the error statuses it
can answer with, the headers it reads and sends, and whether it needs a bearer token.

They follow from what the view does, found in its code rather than repeated on each view: a
write needs an account (``_writes_need_an_account``) and may meet a concurrent one; a view that
calls ``require_account`` needs one, and any view that looks at the caller refuses a bad token;
one that reads ``If-Match`` (``expected_version``: every write, through ``@command``) honours it
on the record its path names; a read waits for the read models it declares (``@reads``). "What
the view does" is the names its code uses, followed through the decorators that wrap it and the
functions of ``marketplace.web`` it calls.
"""

from __future__ import annotations

from functools import lru_cache
from http import HTTPStatus
from types import CodeType, FunctionType
from typing import Any

from apispec import BasePlugin
from flask import Flask

from marketplace.web.reads import declared_reads

WRITES = ("post", "put", "patch", "delete")
ERROR_REF = "#/components/schemas/Error"

ANY_ACCOUNT = frozenset({("get", "/api/v1/accounts/me")})
"""Operations that need an account but refuse none for its role or organization."""


def _code_names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:  # inner functions and lambdas
        if isinstance(constant, CodeType):
            names |= _code_names(constant)
    return names


def names_used(function: Any, seen: set[int] | None = None) -> frozenset[str]:
    """The global and attribute names ``function`` uses, with those of the functions it wraps
    (``__wrapped__``, closures) and of the ``marketplace.web`` functions it calls."""
    seen = set() if seen is None else seen
    if not isinstance(function, FunctionType) or id(function) in seen:
        return frozenset()
    seen.add(id(function))
    names: set[str] = set()
    own = _code_names(function.__code__)
    if function.__module__.startswith("marketplace."):
        names |= own
    inner = [cell.cell_contents for cell in function.__closure__ or () if _filled(cell)]
    inner.append(getattr(function, "__wrapped__", None))
    if function.__module__.startswith("marketplace.web"):
        inner += [function.__globals__.get(name) for name in own]
    for candidate in inner:
        names |= names_used(candidate, seen)
    return frozenset(names)


@lru_cache(maxsize=None)
def view_names(view: Any) -> frozenset[str]:
    """``names_used`` of a view, worked out once per process: views are fixed at import, and
    every app the process builds (each test builds its own) documents the same ones."""
    return names_used(view)


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # a cell not yet bound
        return False
    return True


def view_of(app: Flask, endpoint: str, method: str) -> Any:
    view = app.view_functions[endpoint]
    view_class = getattr(view, "view_class", None)
    return view if view_class is None else getattr(view_class, method)


def needs_account(method: str, names: frozenset[str]) -> bool:
    """Every write needs an account (``_writes_need_an_account``), and so does a view that
    calls ``require_account``."""
    return method in WRITES or "require_account" in names


def honours_if_match(path: str, names: frozenset[str]) -> bool:
    """Every write reads ``If-Match`` (``expected_version``, through ``@command``); it applies
    to the record the path names, so only where the path names one."""
    return "expected_version" in names and "{" in path


def error_statuses(
    app: Flask, path: str, method: str, endpoint: str, operation: dict[str, Any]
) -> list[int]:
    """The error statuses the operation can answer with (a 500 is a bug, so never listed)."""
    names = view_names(view_of(app, endpoint, method))
    write = method in WRITES
    has_body = "requestBody" in operation
    account_needed = needs_account(method, names)
    statuses = set()
    if has_body:
        statuses |= {400, 413, 422}  # a body that is not JSON; too large; invalid
    if account_needed or "current_account" in names:
        statuses.add(401)  # no token where one is needed, or a bad one
    if account_needed and (method, path) not in ANY_ACCOUNT:
        statuses.add(403)
    if "{" in path:
        statuses.add(404)
    if write:
        statuses.add(409)  # a wrong state, or a concurrent write
    if honours_if_match(path, names):
        statuses |= {412, 422}  # stale or malformed If-Match
    if "checked_key" in names or method == "get":
        statuses.add(422)  # a bad Idempotency-Key or Min-Log-Position
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.add(422)
    waits_for = declared_reads(app, endpoint, method.upper())
    if method == "get" and waits_for != frozenset():
        statuses.add(503)  # the read models did not reach Min-Log-Position in time
    if "await_log_head" in names:
        statuses.add(503)
    return sorted(statuses)


def _header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


_COUNT = {"type": "integer", "minimum": 0}


def _request_header(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
    return {"in": "header", "name": name, **_header(description, schema)}


def request_headers(path: str, method: str, names: frozenset[str]) -> list[dict[str, Any]]:
    """The headers the operation reads, beside ``Authorization`` (its security)."""
    headers: list[dict[str, Any]] = []
    if honours_if_match(path, names):
        headers.append(_request_header(
            "If-Match",
            'the version last seen, as its ETag ("3"): 412 if the record is no longer at it',
        ))
    if "checked_key" in names:
        headers.append(_request_header(
            "Idempotency-Key",
            "a retry with the same key returns the first result and writes nothing",
        ))
    if method == "get":
        headers.append(_request_header(
            "Min-Log-Position", "a write's Log-Position: the answer includes that write", _COUNT
        ))
    return headers


def response_headers(method: str, names: frozenset[str]) -> dict[str, Any]:
    """The headers a successful answer carries."""
    headers: dict[str, Any] = {}
    if "etag" in names:
        headers["ETag"] = _header('the version of the record answered with, such as "3"')
    if method in WRITES:
        headers["Log-Position"] = _header(
            "the log position of this write: send it back as Min-Log-Position", _COUNT
        )
    if "checked_key" in names:
        headers["Idempotent-Replayed"] = _header('"true" on the answer to a retried request')
    if "_paging_headers" in names:
        headers["X-Total-Count"] = _header("how many in all", _COUNT)
        headers["Link"] = _header("RFC 8288 links to the first, previous, next and last pages")
    return headers


def security(method: str, names: frozenset[str]) -> list[dict[str, list[str]]] | None:
    """A bearer token where an account is needed; optional where the caller only matters (an
    anonymous one reads public data); none where nobody is asked."""
    if needs_account(method, names):
        return [{"bearer": []}]
    if "current_account" in names:
        return [{}, {"bearer": []}]
    return None


class OperationsPlugin(BasePlugin):
    """Adds to each operation the error responses its view can give, with the error schema."""

    def __init__(self, app: Flask):
        self.app = app

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations or path is None:
            return
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method not in ("get", *WRITES):
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(self.app, path, method, rule.endpoint, operation):
                # flask-smorest registers each status's response, with the error schema, under
                # its name (NOT_FOUND)
                responses.setdefault(str(status), HTTPStatus(status).name)
            if "503" in responses:
                responses["503"] = {
                    "description": HTTPStatus(503).phrase,
                    "headers": {"Retry-After": _header("seconds to wait", _COUNT)},
                    "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                }
            names = view_names(view_of(self.app, rule.endpoint, method))
            answered = response_headers(method, names)
            for status, response in responses.items():
                if str(status).startswith("2") and isinstance(response, dict) and answered:
                    response.setdefault("headers", {}).update(answered)
            operation.setdefault("parameters", []).extend(request_headers(path, method, names))
            required = security(method, names)
            if required is not None:
                operation["security"] = required
