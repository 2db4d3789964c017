"""The application factory. No I/O here: connections are made per process on first use."""

from __future__ import annotations

import logging
import time
from typing import Any, Mapping

from flask import Flask, g, request
from flask.wrappers import Response
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from marketplace.config import Settings
from marketplace.web import (
    accounts,
    catalog,
    contracts,
    credentials,
    districts,
    exports,
    health,
    ocds,
    offerings,
    outcomes,
    proposals,
    providers,
    solicitations,
    trust,
)
from marketplace.web.auth import require_account
from marketplace.web.commands import POSITION_HEADER, await_requested_position
from marketplace.web.errors import http_error, register_error_handlers
from marketplace.web.openapi import OperationsPlugin
from marketplace.web.reads import check_reads, declared_reads
from marketplace.web.schemas.common import ErrorSchema
from marketplace.web.services import ServicesHolder


access_log = logging.getLogger("marketplace.access")


class MarketplaceApi(Api):
    ERROR_SCHEMA = ErrorSchema  # the envelope the document describes for every error response

    def handle_http_exception(self, error: HTTPException) -> Response:  # one envelope for all
        return http_error(error)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("marketplace", instance_relative_config=True)
    overrides = dict(test_config or {})
    settings = Settings.from_env(app.instance_path, overrides.pop("MARKETPLACE", None))
    app.config.update(
        API_TITLE="Cooperative procurement marketplace",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    app.config.update(overrides)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["marketplace"] = ServicesHolder(settings)

    api = MarketplaceApi(app, spec_kwargs={"extra_plugins": [OperationsPlugin(app)]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for module in (
        accounts,
        credentials,
        providers,
        offerings,
        catalog,
        districts,
        solicitations,
        proposals,
        contracts,
        exports,
        ocds,
        trust,
        outcomes,
        health,
    ):
        api.register_blueprint(module.blp)
    register_error_handlers(app)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.before_request
    def _writes_need_an_account() -> None:
        """Every write of the API needs an account: a caller without one, or with a bad token,
        is told so (401) before its body is read, not told what the body lacks (422)."""
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.blueprint:
            require_account()

    @app.before_request
    def _read_your_writes() -> None:
        if request.method in ("GET", "HEAD"):
            await_requested_position(declared_reads(app, request.endpoint, request.method))

    @app.after_request
    def _position_header(response: Response) -> Response:
        position = g.get("log_position")
        if position is not None:
            response.headers[POSITION_HEADER] = str(position)
        account = g.get("account")
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
                "account_id": str(account.id) if account is not None else None,
                "log_position": position,
            },
        )
        return response

    if settings.check_reads:  # after the hooks above: its check runs before the access log line
        check_reads(app)

    @app.teardown_appcontext
    def _forget_account(_: BaseException | None) -> None:
        g.pop("account", None)

    from marketplace.cli import register_commands

    register_commands(app)
    logging.getLogger("marketplace").setLevel(logging.INFO)
    return app
