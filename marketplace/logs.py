"""Logging for the service and its workers: text for people, JSON lines for machines.

``MARKETPLACE_LOG_FORMAT=json`` gives one JSON object per line (time, level, logger, message and
any structured fields). Request lines carry method, path, status, duration and the account id,
never a token or a body.
"""

from __future__ import annotations

import logging
import os
import time

from pythonjsonlogger.json import JsonFormatter


FORMATS = ("text", "json")


def log_format() -> str:
    """``MARKETPLACE_LOG_FORMAT``, checked: ``text`` (the default) or ``json``."""
    name = (os.environ.get("MARKETPLACE_LOG_FORMAT") or "text").strip().lower()
    if name not in FORMATS:
        from marketplace.config import ConfigurationError

        raise ConfigurationError(f"MARKETPLACE_LOG_FORMAT must be text or json, not {name!r}")
    return name


def _in_utc(formatter: logging.Formatter) -> logging.Formatter:
    """Times in ISO 8601, UTC, to the millisecond: ``2026-12-01T21:20:32.632Z``."""
    formatter.converter = time.gmtime
    formatter.default_time_format = "%Y-%m-%dT%H:%M:%S"
    formatter.default_msec_format = "%s.%03dZ"
    return formatter


def json_formatter() -> logging.Formatter:
    """One JSON object per line; gunicorn's own lines use it too (``gunicorn_conf``)."""
    return _in_utc(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            rename_fields={
                "asctime": "time", "levelname": "level", "name": "logger", "process": "pid"
            },
        )
    )


def text_formatter() -> logging.Formatter:
    return _in_utc(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))


def service_formatter(format_name: str | None = None) -> logging.Formatter:
    """The formatter ``MARKETPLACE_LOG_FORMAT`` names (or ``format_name``)."""
    format_name = (format_name or log_format()).lower()
    return json_formatter() if format_name == "json" else text_formatter()


def configure_logging(format_name: str | None = None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(service_formatter(format_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # alembic announces each of its plugins when the schema is first compared: not news
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
