"""The per-process services: the event-sourced application, read-model engines, projection runner.

Built lazily on first use, so nothing connects at import or in ``create_app``, and rebuilt if the
process id changes, so each gunicorn worker gets its own connections after the fork.
"""

from __future__ import annotations

import os
import threading

from flask import current_app

from marketplace.application import Marketplace
from marketplace.config import Settings
from projections import ProjectionRunner, all_projections
from projections.catalog_index import CatalogIndex
from projections.db import Engines, build_engines


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        if settings.is_sqlite and settings.url.database:
            os.makedirs(os.path.dirname(os.path.abspath(settings.url.database)), exist_ok=True)
        self.app = Marketplace(env=settings.eventsourcing_env())
        self.engines: Engines = build_engines(settings.sqlalchemy_url())
        self.runner = ProjectionRunner(
            self.app,
            self.engines,
            all_projections(self.app, settings.ocid_prefix),
            batch_size=settings.projection_batch_size,
        )
        self.catalog_index = CatalogIndex(cache_bytes=settings.search_cache_mb * 1024 * 1024)

    def close(self) -> None:
        self.engines.dispose()
        self.app.close()


class ServicesHolder:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._services: Services | None = None
        self._pid: int | None = None

    def get(self) -> Services:
        if self._services is None or self._pid != os.getpid():
            with self._lock:
                if self._services is None or self._pid != os.getpid():
                    self._services = Services(self.settings)
                    self._pid = os.getpid()
        return self._services

    def close(self) -> None:
        with self._lock:
            if self._services is not None and self._pid == os.getpid():
                self._services.close()
            self._services = None


def services() -> Services:
    holder: ServicesHolder = current_app.extensions["marketplace"]
    return holder.get()


def marketplace() -> Marketplace:
    return services().app
