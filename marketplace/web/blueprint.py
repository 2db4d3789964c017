"""The blueprint every resource uses: flask-smorest's, parsing each request with one schema
instance per view.

Given a schema class, webargs builds a new instance for every request, and a new instance
deep-copies every declared field and builds its nested schemas again: for an offering draft that
costs about four times the load itself. A schema instance keeps no per-request state (marshmallow 4
has no ``context``; these schemas set no attributes on themselves), so one instance, built when
the view is declared, serves every request. The OpenAPI document is the same either way.

Its parser refuses, before any schema sees them, strings holding control characters anywhere in
a JSON body or a query string (``marketplace.domain.validation.CONTROL_CHARACTERS``), naming
each: a NUL recorded in an event would stop every PostgreSQL read model at that event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_smorest
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

from marketplace.domain.validation import CONTROL_CHARACTERS, CONTROL_CHARACTERS_MESSAGE


def control_characters(data: Any) -> Any:
    """Messages shaped as a schema's (``{"title": [...]}``, list items by index) for every string
    in ``data``, keys included, that holds a control character; None when there is none."""
    if isinstance(data, str):
        return [CONTROL_CHARACTERS_MESSAGE] if CONTROL_CHARACTERS.search(data) else None
    if isinstance(data, Mapping):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    found = {}
    for key, value in items:
        problem = control_characters(key) or control_characters(value)
        if problem:
            found[key] = problem
    return found or None


class Parser(FlaskParser):
    def pre_load(self, location_data: Any, *, schema: Schema, req: Any, location: str) -> Any:
        raw = dict(req.args.lists()) if location in ("query", "querystring") else location_data
        problems = control_characters(raw) if location in ("json", "query", "querystring") else None
        if problems:
            raise ValidationError(problems)
        return super().pre_load(location_data, schema=schema, req=req, location=location)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)
