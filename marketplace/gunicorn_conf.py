"""gunicorn settings for production: ``gunicorn -c python:marketplace.gunicorn_conf wsgi:app``.

The app is not preloaded: each worker imports it after the fork, and builds its own event store
connections and read-model pools on first use. SIGTERM lets in-flight requests finish.

A request gunicorn cannot parse (a bad request line, a control character in a header, a line or
headers over its limits) is answered by gunicorn before the application sees it. Its answer is
the application's error envelope in JSON (``json_error``), not gunicorn's HTML page, so that a
client gets one kind of error body whatever went wrong.
"""

from __future__ import annotations

import json
import os
from http import HTTPStatus
from typing import Any

from gunicorn import util

from marketplace.config import ConfigurationError, Settings
from marketplace.logs import configure_logging

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
preload_app = False
# gunicorn's own lines (starting, booting a worker, a worker timing out) go to the root logger,
# in the service's format (JSON lines with MARKETPLACE_LOG_FORMAT=json): one format in the log,
# each line once. ``configure_logging`` later puts the same handler in place for the workers.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["service"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        # the application logs each request itself, without its query string: not twice
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "handlers": {"service": {"class": "logging.StreamHandler", "formatter": "service"}},
    "formatters": {"service": {"()": "marketplace.logs.service_formatter"}},
}
graceful_timeout = 30
timeout = 60
accesslog = None  # the application logs each request itself, structured
control_socket_disable = True  # gunicorn 27's control socket: one fixed path for every instance


def on_starting(server: Any) -> None:
    """Before any worker forks: a setting the service cannot run with stops gunicorn with one
    line naming it (otherwise each worker would fail to boot, and be started again)."""
    try:
        Settings.from_env(os.getcwd())
    except ConfigurationError as error:
        raise SystemExit(f"marketplace: {error}") from None
    configure_logging()


def post_fork(server: Any, worker: Any) -> None:
    configure_logging()


def json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn writes for a request it could not parse or hand over (``util.write_error``),
    as the application's error envelope: status, phrase and gunicorn's own account of the
    problem, which names it (a 500 says only that it has been logged, as the application's do)."""
    try:
        phrase = HTTPStatus(status_int).phrase
    except ValueError:
        phrase = reason
    message = mesg or ("internal error; it has been logged" if status_int >= 500 else phrase)
    body = json.dumps(
        {"status": status_int, "error": phrase, "message": message, "errors": {}}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = json_error  # read at each use by gunicorn's workers (``Worker.handle_error``)
