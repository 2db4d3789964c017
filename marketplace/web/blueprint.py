"""The blueprint every resource uses: flask-smorest's, parsing each request with one schema
instance per view.

Given a schema class, webargs builds a new instance for every request, and a new instance
deep-copies every declared field and builds its nested schemas again: for an offering draft that
costs about four times the load itself. A schema instance keeps no per-request state (marshmallow 4
has no ``context``; these schemas set no attributes on themselves), so one instance, built when
the view is declared, serves every request. The OpenAPI document is the same either way.

Its parser refuses, before any schema sees them, strings anywhere in a JSON body or a query
string that cannot be recorded as text (``marketplace.domain.validation.unfit_text``: control
characters, unpaired surrogates), naming each: a NUL recorded in an event would stop every
PostgreSQL read model at that event, and an unpaired surrogate cannot be encoded at all. It also
refuses a query parameter that takes one value given more than once (``repeated_singles``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_smorest
from marshmallow import Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser

from marketplace.domain.validation import unfit_text


def unfit_strings(data: Any) -> Any:
    """Messages shaped as a schema's (``{"title": [...]}``, list items by index) for every string
    in ``data``, keys included, that cannot be recorded as text; None when there is none."""
    if isinstance(data, str):
        unfit = unfit_text(data)
        return None if unfit is None else [unfit]
    if isinstance(data, Mapping):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    found = {}
    for key, value in items:
        problem = unfit_strings(key) or unfit_strings(value)
        if problem:
            found[key] = problem
    return found or None


def repeated_singles(schema: Schema, args: Any) -> dict[str, list[str]] | None:
    """Messages for each query parameter given more than once that takes one value (not a list
    such as the catalog's ``subject``): parsing would keep its first value and drop the others
    unseen, so that ``method=a&method=b`` would quietly mean ``method=a``."""
    singles = {
        field.data_key or name
        for name, field in schema.load_fields.items()
        if not isinstance(field, fields.List)
    }
    found = {
        name: ["given more than once; it takes one value"]
        for name, values in args.lists()
        if len(values) > 1 and name in singles
    }
    return found or None


class Parser(FlaskParser):
    def pre_load(self, location_data: Any, *, schema: Schema, req: Any, location: str) -> Any:
        raw = location_data
        repeated = None
        if location in ("query", "querystring"):  # every value of a repeated parameter
            raw = {name: v[0] if len(v) == 1 else v for name, v in req.args.lists()}
            repeated = repeated_singles(schema, req.args)
        problems = unfit_strings(raw) if location in ("json", "query", "querystring") else None
        if problems or repeated:
            raise ValidationError({**(repeated or {}), **(problems or {})})
        return super().pre_load(location_data, schema=schema, req=req, location=location)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)
