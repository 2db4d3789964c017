"""The award register as downloads: CSV and a spreadsheet, streamed.

Awarded contracts are public record, so no account is needed. A client that has just written
sends ``Min-Log-Position`` as for any other read, and the download includes its writes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validates_schema

from events.types import ProcurementMethod
from marketplace import exports
from marketplace.web.blueprint import Blueprint
from marketplace.web.reads import reads
from marketplace.web.schemas.common import one_of
from marketplace.web.services import services
from projections.award_register_queries import AwardFilters, award_rows

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/v1/awards",
    description="The award register for auditors, boards and open-data portals: one row per "
    "award and member allocation, as CSV or a spreadsheet (public record)",
)

COLUMNS_DOC = "Columns, in order: " + "; ".join(exports.HEADERS) + "."


class AwardExportArgsSchema(Schema):
    date_from = fields.Date(
        load_default=None,
        metadata={"description": "Awarded on or after this day (UTC)", "example": "2026-01-01"},
    )
    date_to = fields.Date(
        load_default=None,
        metadata={"description": "Awarded on or before this day (UTC)", "example": "2026-12-31"},
    )
    consortium_id = fields.UUID(
        load_default=None, metadata={"description": "The buying consortium"}
    )
    district_id = fields.UUID(
        load_default=None, metadata={"description": "A party district (its rows only)"}
    )
    provider_id = fields.UUID(load_default=None, metadata={"description": "The awarded provider"})
    method = fields.String(
        load_default=None,
        validate=one_of(ProcurementMethod),
        metadata={"description": "The procurement method"},
    )

    @validates_schema
    def _date_range(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and end < start:
            raise ValidationError("must be on or after date_from", "date_to")


def _download(
    args: dict[str, Any],
    write: Callable[[Iterable[Any]], Iterator[Any]],
    content_type: str,
    filename: str,
) -> Response:
    engine = services().engines.reader
    filters = AwardFilters.of(args)

    def generate() -> Iterator[Any]:
        with engine.connect() as conn:
            yield from write(award_rows(conn, filters))

    response = Response(stream_with_context(generate()), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _documented(content_type: str, schema: dict[str, str], what: str) -> dict[str, Any]:
    return {
        "responses": {
            "200": {
                "description": f"{what}, as an attachment. {COLUMNS_DOC}",
                "content": {content_type: {"schema": schema}},
            }
        }
    }


@blp.route("/export.csv")
class AwardsCsv(MethodView):
    @blp.arguments(AwardExportArgsSchema, location="query")
    @blp.doc(
        **_documented(
            "text/csv", {"type": "string"}, "The award register as CSV (UTF-8, RFC 4180)"
        )
    )
    @reads("award_register")
    def get(self, args: dict[str, Any]) -> Response:
        """The award register as CSV

        Streamed: one row per award and member allocation, ordered by award date, contract and
        district; filtered by award date range (UTC, inclusive), consortium, party district,
        provider and procurement method. Money is a decimal string, dates ISO 8601.
        """
        return _download(args, exports.csv_chunks, exports.CSV_CONTENT_TYPE, exports.CSV_FILENAME)


@blp.route("/export.xlsx")
class AwardsXlsx(MethodView):
    @blp.arguments(AwardExportArgsSchema, location="query")
    @blp.doc(
        **_documented(
            exports.XLSX_CONTENT_TYPE,
            {"type": "string", "format": "binary"},
            "The award register as an XLSX spreadsheet",
        )
    )
    @reads("award_register")
    def get(self, args: dict[str, Any]) -> Response:
        """The award register as a spreadsheet

        Streamed: the same rows, order, filters and columns as the CSV, with money as numbers
        and term dates as date cells.
        """
        return _download(
            args, exports.xlsx_chunks, exports.XLSX_CONTENT_TYPE, exports.XLSX_FILENAME
        )
