"""Which read models a GET view shows, so that ``Min-Log-Position`` waits for those only.

A view declares them with ``@reads("catalog", ...)`` on its ``get``; ``@reads()`` says it shows
only what it loads from the event store, which is never behind, so nothing is waited for. A view
that declares nothing waits for every read model. Waiting for fewer means a read after a write
catches up only the read models it shows, and a read model that cannot apply an event holds up
only the reads that show it, not every read that asks for a position.

With ``check_reads`` on (the test suite turns it on), each query a declared GET view runs after
its wait is matched against the read models' tables, and one of a read model it did not declare
makes the answer a 500 naming both: such a view would answer a client that asked for its own
write from a read model that may not have it yet. A streamed answer (an export) runs its queries
as its body is sent, so it is checked at the body's end, and fails there.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable, Iterator, TypeVar

from flask import Flask, g, has_request_context, request
from flask.wrappers import Response
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marketplace.web.errors import envelope
from projections import READ_MODELS, read_model_of_table

log = logging.getLogger("marketplace.reads")

View = TypeVar("View", bound=Callable[..., Any])

READ_MODEL_NAMES = frozenset(model.name for model in READ_MODELS)
_STATEMENTS = "_read_model_statements"


def reads(*names: str) -> Callable[[View], View]:
    """Declare the read models a GET view shows (none: it reads the event store only)."""
    unknown = sorted(set(names) - READ_MODEL_NAMES)
    if unknown:
        raise ValueError(f"no read model named {', '.join(unknown)}")

    def decorator(view: View) -> View:
        view.read_models = frozenset(names)  # type: ignore[attr-defined]
        return view

    return decorator


def declared_reads(app: Flask, endpoint: str | None, method: str = "GET") -> frozenset[str] | None:
    """The read models the view at ``endpoint`` declares for ``method`` (HEAD: its GET), or None
    if it declares none."""
    view = app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None) or getattr(view_class, "get", None)
    return getattr(view, "read_models", None)


def check_reads(app: Flask) -> None:
    """Turn on the check of declarations (see the module's description) for ``app``."""
    _listen_once()
    tables = read_model_of_table()
    pattern = re.compile(r"\b(" + "|".join(sorted(tables, key=len, reverse=True)) + r")\b")

    @app.before_request
    def _track_reads() -> None:  # runs after the wait for the position (registered after it)
        if request.method not in ("GET", "HEAD"):
            return
        if declared_reads(app, request.endpoint, request.method) is not None:
            g.setdefault(_STATEMENTS, [])

    def undeclared(endpoint: str, statements: list[str], declared: frozenset[str]) -> str | None:
        shown = {tables[name] for statement in statements for name in pattern.findall(statement)}
        extra = sorted(shown - declared)
        if not extra:
            return None
        message = (
            f"view {endpoint} reads the read models {', '.join(extra)} "
            f"but declares only {', '.join(sorted(declared)) or 'none'}"
        )
        log.error(message)
        return message

    @app.after_request
    def _undeclared_reads(response: Response) -> Response:
        statements = g.get(_STATEMENTS)
        declared = declared_reads(app, request.endpoint, request.method)
        if statements is None or declared is None:
            return response
        endpoint = str(request.endpoint)
        if response.is_streamed:  # its queries run as the body is sent: checked at its end
            response.response = _checked_stream(
                response.response, lambda: undeclared(endpoint, statements, declared)
            )
            return response
        message = undeclared(endpoint, statements, declared)
        return response if message is None else envelope(500, message)


def _checked_stream(body: Iterable[Any], problem: Callable[[], str | None]) -> Iterator[Any]:
    """The body, then a failure if ``problem()`` names one: the client (a test) that reads a
    streamed answer to its end sees it, as it cannot get a 500 any more."""
    yield from body
    message = problem()
    if message is not None:
        raise RuntimeError(message)


_listening = False


def _listen_once() -> None:
    global _listening
    if not _listening:
        event.listen(Engine, "after_cursor_execute", _noted)
        _listening = True


def _noted(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if has_request_context():
        statements = g.get(_STATEMENTS)
        if statements is not None:
            statements.append(statement)
