"""Read models: tables, one module per projection, the runner, and query functions for GET views."""

from __future__ import annotations

from projections.catalog import CatalogProjection
from projections.history import HistoryProjection
from projections.procurement import ProcurementProjection
from projections.runner import Projection, ProjectionRunner


def all_projections() -> list[Projection]:
    return [CatalogProjection(), HistoryProjection(), ProcurementProjection()]


__all__ = ["Projection", "ProjectionRunner", "all_projections"]
