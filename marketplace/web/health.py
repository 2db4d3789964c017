from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from marketplace.web.blueprint import Blueprint
from marketplace.web.reads import reads
from marketplace.web.services import services

blp = Blueprint("health", __name__, url_prefix="/health", description="Service health")


class ProjectionHealthSchema(Schema):
    position = fields.Integer(required=True)
    lag = fields.Integer(required=True, metadata={"description": "events not yet applied"})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    store = fields.Dict(required=True)
    projections = fields.Dict(
        keys=fields.String(), values=fields.Nested(ProjectionHealthSchema), required=True
    )


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @reads()
    def get(self) -> Any:
        """The event store's head and each projection's position and lag."""
        svc = services()
        head = svc.runner.head()
        positions = svc.runner.positions()
        return {
            "status": "ok",
            "store": {"ok": True, "head": head, "database": svc.engines.writer.dialect.name},
            "projections": {
                name: {"position": position, "lag": max(head - position, 0)}
                for name, position in positions.items()
            },
        }
