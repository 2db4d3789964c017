"""Open Contracting Data Standard 1.1.5 output: release packages and record packages (public).

The bodies are the packages themselves, nothing added: paging goes in the ``X-Total-Count`` and
``Link`` headers. They are serialised with sorted keys and fixed separators, so the same releases
always answer with the same bytes.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any
from urllib.parse import urlencode

from flask import Response, request
from flask.views import MethodView
from marshmallow import ValidationError, fields, post_load, validates_schema

from events.plain import in_utc
from marketplace.domain.errors import NotFound
from marketplace.web.blueprint import Blueprint
from marketplace.web.reads import reads
from marketplace.web.schemas.common import PageArgsSchema
from marketplace.web.services import services
from projections import ocds_queries
from projections.queries import Page

blp = Blueprint(
    "ocds",
    __name__,
    url_prefix="/api/v1/ocds",
    description="Open Contracting Data Standard 1.1.5: one release per meaningful event of a "
    "solicitation or direct purchase, and records with their compiled release",
)


class ReleaseArgsSchema(PageArgsSchema):
    date_from = fields.AwareDateTime(
        load_default=None,
        default_timezone=timezone.utc,
        metadata={"description": "releases dated at or after this moment (UTC without an offset)"},
    )
    date_to = fields.AwareDateTime(
        load_default=None,
        default_timezone=timezone.utc,
        metadata={"description": "releases dated before this moment (UTC without an offset)"},
    )

    @validates_schema
    def _moment_range(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and end < start:
            raise ValidationError("must be at or after date_from", "date_to")

    @post_load
    def _in_utc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            **data,
            **{name: in_utc(data[name]) for name in ("date_from", "date_to") if data.get(name)},
        }


def _json(document: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(ocds_queries.serialize(document), mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _paging_headers(page: Page) -> dict[str, str]:
    """``X-Total-Count`` and an RFC 8288 ``Link`` to the first, previous, next and last pages."""
    last = max(1, -(-page.total // page.per_page))
    kept = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}

    def url(n: int) -> str:
        return f"{request.base_url}?{urlencode({**kept, 'page': n, 'per_page': page.per_page})}"

    links = [(url(1), "first")]
    if page.page > 1:
        links.append((url(min(page.page - 1, last)), "prev"))
    if page.page < last:
        links.append((url(page.page + 1), "next"))
    links.append((url(last), "last"))
    return {
        "X-Total-Count": str(page.total),
        "Link": ", ".join(f'<{target}>; rel="{rel}"' for target, rel in links),
    }


OCDS_SCHEMAS = "https://standard.open-contracting.org/1.1/en/schema/"


def _package_doc(kind: str, what: str) -> dict[str, Any]:
    """The documented answer: an OCDS 1.1.5 package (``kind``: ``releases`` or ``records``),
    whose full schema is the standard's own."""
    schema_name = "release_package" if kind == "releases" else "record_package"
    schema = {
        "type": "object",
        "description": (
            f"An OCDS 1.1.5 {schema_name.replace('_', ' ')}: its full schema is the standard's, "
            f"{OCDS_SCHEMAS}{schema_name}/ ({schema_name.replace('_', '-')}-schema.json)."
        ),
        "externalDocs": {"url": f"{OCDS_SCHEMAS}{schema_name}/"},
        "required": ["uri", "version", "publishedDate", "publisher", kind],
        "properties": {
            "uri": {"type": "string", "format": "uri"},
            "version": {"type": "string", "example": "1.1"},
            "publishedDate": {"type": "string", "format": "date-time"},
            "publisher": {
                "type": "object",
                "properties": {
                    name: {"type": "string"} for name in ("name", "scheme", "uid", "uri")
                },
            },
            "license": {"type": "string", "format": "uri"},
            kind: {
                "type": "array",
                "items": {"type": "object", "description": f"An OCDS {kind[:-1]}"},
            },
        },
    }
    return {
        "responses": {
            "200": {"description": what, "content": {"application/json": {"schema": schema}}}
        }
    }


@blp.route("/releases")
class Releases(MethodView):
    @blp.arguments(ReleaseArgsSchema, location="query")
    @blp.response(200, description="An OCDS 1.1 release package")
    @blp.doc(**_package_doc("releases", "An OCDS 1.1 release package"))
    @reads("ocds")
    def get(self, args: dict[str, Any]) -> Any:
        """Releases, oldest first, optionally dated from ``date_from`` (inclusive) to
        ``date_to`` (exclusive); paged, with the total in ``X-Total-Count`` and links in ``Link``.
        ``publishedDate`` is the newest release date in the page."""
        with services().engines.reader.connect() as conn:
            page = ocds_queries.releases(
                conn, args["date_from"], args["date_to"], args["page"], args["per_page"]
            )
            fallback = None if page.items else ocds_queries.newest_release_date(conn)
        package = ocds_queries.release_package(request.url, page.items, fallback)
        return _json(package, _paging_headers(page))


@blp.route("/records")
class Records(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, description="An OCDS 1.1 record package")
    @blp.doc(**_package_doc("records", "An OCDS 1.1 record package"))
    @reads("ocds")
    def get(self, args: dict[str, Any]) -> Any:
        """Records, one per contracting process (a solicitation, or a direct purchase), in the
        order they were first published: the releases, embedded, and the compiled release."""
        with services().engines.reader.connect() as conn:
            page = ocds_queries.records(conn, args["page"], args["per_page"])
            fallback = None if page.items else ocds_queries.newest_release_date(conn)
        package = ocds_queries.record_package(request.url, page.items, fallback)
        return _json(package, _paging_headers(page))


@blp.route("/records/<path:ocid>")
class RecordByOcid(MethodView):
    @blp.response(200, description="An OCDS 1.1 record package holding that one record")
    @blp.doc(**_package_doc("records", "An OCDS 1.1 record package holding that one record"))
    @reads("ocds")
    def get(self, ocid: str) -> Any:
        """One contracting process's record, in a record package."""
        with services().engines.reader.connect() as conn:
            found = ocds_queries.record(conn, ocid)
        if found is None:
            raise NotFound(f"no contracting process {ocid}")
        return _json(ocds_queries.record_package(request.url, [found], None))
