"""Request bodies are parsed by one schema instance per view, built when the view is declared."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.views import MethodView
from flask_smorest import Api
from marshmallow import Schema, fields

from marketplace.web.blueprint import Blueprint


class CountedSchema(Schema):
    built = 0
    title = fields.String(required=True)

    def __init__(self, **kwargs: Any):
        type(self).built += 1
        super().__init__(**kwargs)


def _client() -> Any:
    app = Flask("parsing")
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    api = Api(app)
    blp = Blueprint("things", __name__, url_prefix="/things")

    @blp.route("")
    class Things(MethodView):
        @blp.arguments(CountedSchema)
        @blp.response(201)
        def post(self, data: dict[str, Any]) -> Any:
            return data

    api.register_blueprint(blp)
    return app.test_client()


def test_a_schema_class_is_built_once_however_many_requests_it_parses() -> None:
    CountedSchema.built = 0
    client = _client()
    built_at_declaration = CountedSchema.built
    answers = [client.post("/things", json={"title": f"t{n}"}) for n in range(3)]
    assert [a.get_json() for a in answers] == [{"title": "t0"}, {"title": "t1"}, {"title": "t2"}]
    assert CountedSchema.built == built_at_declaration == 1


def test_the_shared_schema_still_refuses_bad_input_field_by_field() -> None:
    client = _client()
    client.post("/things", json={"title": "fine"})
    refused = client.post("/things", json={"title": 3, "extra": True})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]["json"]) == {"title", "extra"}
