"""The blueprint every resource uses: flask-smorest's, parsing each request with one schema
instance per view.

Given a schema class, webargs builds a new instance for every request, and a new instance
deep-copies every declared field and builds its nested schemas again: for an offering draft that
costs about four times the load itself. A schema instance keeps no per-request state (marshmallow 4
has no ``context``; these schemas set no attributes on themselves), so one instance, built when
the view is declared, serves every request. The OpenAPI document is the same either way.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from marshmallow import Schema


class Blueprint(flask_smorest.Blueprint):
    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)
