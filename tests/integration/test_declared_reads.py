"""Each GET view declares the read models it shows (``marketplace.web.reads``), and the check the
tests run under refuses a view that reads one it did not declare."""

from __future__ import annotations

from typing import Any

import pytest
from flask import jsonify, stream_with_context
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.web.reads import declared_reads, reads
from marketplace.web.services import services as services_of
from projections import read_model_of_table
from projections.tables import event_history, offerings

DOCUMENT_ROUTES = ("/api/openapi.json",)


def test_every_get_view_of_the_api_declares_what_it_reads(app: Any) -> None:
    gets = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and rule.rule not in DOCUMENT_ROUTES
        and rule.endpoint != "static"
    ]
    assert len(gets) >= 35  # every resource of the API, not an empty list
    assert [rule.rule for rule in gets if declared_reads(app, rule.endpoint) is None] == []


def test_each_read_model_table_is_owned_by_its_read_model() -> None:
    owners = read_model_of_table()
    assert owners["offerings"] == "catalog"
    assert owners["offering_text_title"] == "catalog"
    assert owners["event_history"] == "history"
    assert "projection_positions" not in owners


def test_an_unknown_read_model_cannot_be_declared() -> None:
    with pytest.raises(ValueError, match="no read model named catalogue"):
        reads("catalogue")


@pytest.fixture
def checked_app(database_url: str) -> Any:
    application = create_app(
        {"TESTING": True, "MARKETPLACE": {"database_url": database_url, "check_reads": True}}
    )

    def counting(table: Any) -> Any:
        def view() -> Any:
            with services_of().engines.reader.connect() as conn:
                return jsonify(count=conn.execute(select(func.count()).select_from(table)).scalar())

        return view

    application.add_url_rule(
        "/test/honest", "honest", reads("history")(counting(event_history)), methods=["GET"]
    )
    application.add_url_rule(
        "/test/undeclared", "undeclared", reads("history")(counting(offerings)), methods=["GET"]
    )
    yield application
    application.extensions["marketplace"].close()


def test_a_view_reading_a_read_model_it_does_not_declare_is_refused(checked_app: Any) -> None:
    client = checked_app.test_client()
    honest = client.get("/test/honest")
    undeclared = client.get("/test/undeclared")

    assert honest.status_code == 200
    assert undeclared.status_code == 500
    assert undeclared.get_json()["message"] == (
        "view undeclared reads the read models catalog but declares only history"
    )


def test_a_streamed_answer_is_checked_when_its_body_has_been_sent(checked_app: Any) -> None:
    def streamed(table: Any) -> Any:
        def view() -> Any:
            engine = services_of().engines.reader

            def rows() -> Any:
                with engine.connect() as conn:
                    yield str(conn.execute(select(func.count()).select_from(table)).scalar())

            return checked_app.response_class(stream_with_context(rows()))

        return view

    checked_app.add_url_rule(
        "/test/streamed-honest", "streamed_honest", reads("history")(streamed(event_history))
    )
    checked_app.add_url_rule(
        "/test/streamed-undeclared", "streamed_undeclared", reads("history")(streamed(offerings))
    )
    client = checked_app.test_client()

    assert client.get("/test/streamed-honest").get_data(as_text=True) == "0"
    with pytest.raises(RuntimeError, match="view streamed_undeclared reads the read models catalog"):
        client.get("/test/streamed-undeclared").get_data()
