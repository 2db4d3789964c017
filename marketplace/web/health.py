from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from marketplace.web.blueprint import Blueprint
from marketplace.web.reads import reads
from marketplace.web.services import services

blp = Blueprint("health", __name__, url_prefix="/health", description="Service health")


class FailingSchema(Schema):
    since = fields.DateTime(
        required=True, metadata={"description": "the first failure at this position"}
    )
    error = fields.String(
        required=True,
        metadata={"description": "the kind of error (the log line names the events and says more)"},
    )


class ProjectionHealthSchema(Schema):
    position = fields.Integer(required=True)
    lag = fields.Integer(required=True, metadata={"description": "events not yet applied"})
    failing = fields.Nested(
        FailingSchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "set when the events after ``position`` could not be applied (other "
            "than the database being busy or away): the read model stays there until mended"
        },
    )


class HealthSchema(Schema):
    status = fields.String(
        required=True,
        metadata={"enum": ["ok", "degraded"], "description": "degraded: a read model is failing"},
    )
    store = fields.Dict(required=True)
    projections = fields.Dict(
        keys=fields.String(), values=fields.Nested(ProjectionHealthSchema), required=True
    )


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @reads()
    def get(self) -> Any:
        """The event store's head and each projection's position and lag, and whether it is
        failing to apply the events after its position."""
        svc = services()
        head = svc.runner.head()
        status = svc.runner.status()
        return {
            "status": "degraded" if any(s["failing"] for s in status.values()) else "ok",
            "store": {"ok": True, "head": head, "database": svc.engines.writer.dialect.name},
            "projections": {
                name: {**s, "lag": max(head - s["position"], 0)} for name, s in status.items()
            },
        }
