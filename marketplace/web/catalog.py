from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.web.blueprint import Blueprint
from marketplace.web.reads import reads
from marketplace.web.schemas.catalog import CatalogArgsSchema, CatalogPageSchema
from marketplace.web.services import services
from projections.search import CatalogQuery, search_catalog

blp = Blueprint(
    "catalog",
    __name__,
    url_prefix="/api/v1/catalog",
    description="The public portfolio catalog of published offerings",
)


@blp.route("")
class Catalog(MethodView):
    @blp.arguments(CatalogArgsSchema, location="query")
    @blp.response(200, CatalogPageSchema)
    @reads("catalog")
    def get(self, args: dict[str, Any]) -> Any:
        """Search published offerings with filters, facet counts, sorting and paging."""
        max_price = args["max_price"]
        query = CatalogQuery(
            q=args["q"],
            subject=tuple(args["subject"]),
            grade_band=tuple(args["grade_band"]),
            model_type=tuple(args["model_type"]),
            delivery=tuple(args["delivery"]),
            interoperability=tuple(args["interoperability"]),
            evidence_tier=tuple(args["evidence_tier"]),
            price_unit=tuple(args["price_unit"]),
            max_price_cents=None if max_price is None else int(max_price * 100),
            designation=tuple(args["designation"]),
            privacy_state=tuple(args["privacy_state"]),
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
        )
        svc = services()
        with svc.engines.reader.connect() as conn:
            return search_catalog(conn, query, svc.catalog_index)
