"""Read models: tables, one module per projection, the runner, and query functions for GET views."""

from __future__ import annotations

from typing import Any

from projections.award_register import AwardRegisterProjection
from projections.catalog import CatalogProjection
from projections.credentials import CredentialsProjection
from projections.history import HistoryProjection
from projections.ocds import DEFAULT_OCID_PREFIX, OcdsProjection
from projections.outcomes import OutcomesProjection
from projections.procurement import ProcurementProjection
from projections.runner import Projection, ProjectionRunner


READ_MODELS: tuple[type[Projection], ...] = (
    CatalogProjection,
    HistoryProjection,
    ProcurementProjection,
    AwardRegisterProjection,
    OcdsProjection,
    OutcomesProjection,
    CredentialsProjection,
)


def read_model_of_table() -> dict[str, str]:
    """Each read-model table's name and the name of the read model that owns it."""
    return {table: model.name for model in READ_MODELS for table in model.table_names()}


def all_projections(app: Any, ocid_prefix: str = DEFAULT_OCID_PREFIX) -> list[Projection]:
    """Every read model, in ``READ_MODELS`` order; ``app`` is the event-sourced application (the
    award register looks names up in the event store)."""
    made: dict[type[Projection], Any] = {
        AwardRegisterProjection: lambda: AwardRegisterProjection(app),
        OcdsProjection: lambda: OcdsProjection(ocid_prefix),
    }
    return [made.get(model, model)() for model in READ_MODELS]


__all__ = [
    "READ_MODELS",
    "Projection",
    "ProjectionRunner",
    "all_projections",
    "read_model_of_table",
]
