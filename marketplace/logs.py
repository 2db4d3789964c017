"""Logging for the service and its workers: text for people, JSON lines for machines.

``MARKETPLACE_LOG_FORMAT=json`` gives one JSON object per line (time, level, logger, message and
any structured fields). Request lines carry method, path, status, duration and the account id,
never a token or a body.
"""

from __future__ import annotations

import logging
import os

from pythonjsonlogger.json import JsonFormatter


def configure_logging(format_name: str | None = None, level: int = logging.INFO) -> None:
    format_name = (format_name or os.environ.get("MARKETPLACE_LOG_FORMAT") or "text").lower()
    handler = logging.StreamHandler()
    if format_name == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
