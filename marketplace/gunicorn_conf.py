"""gunicorn settings for production: ``gunicorn -c python:marketplace.gunicorn_conf wsgi:app``.

The app is not preloaded: each worker imports it after the fork, and builds its own event store
connections and read-model pools on first use. SIGTERM lets in-flight requests finish.
"""

from __future__ import annotations

import os
from typing import Any

from marketplace.logs import configure_logging

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
preload_app = False
graceful_timeout = 30
timeout = 60
accesslog = None  # the application logs each request itself, structured


def on_starting(server: Any) -> None:
    configure_logging()


def post_fork(server: Any, worker: Any) -> None:
    configure_logging()
