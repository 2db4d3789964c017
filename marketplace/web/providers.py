from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

import events
from marketplace.domain.errors import NotFound
from marketplace.web.auth import current_account, require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command
from marketplace.web.reads import reads
from marketplace.web.schemas.common import page_of
from marketplace.web.schemas.offerings import OfferingPageSchema, ProviderOfferingsArgsSchema
from marketplace.web.schemas.providers import ProviderCreateSchema, ProviderQuerySchema, ProviderSchema
from marketplace.web.services import marketplace, services
from projections import queries

blp = Blueprint("providers", __name__, url_prefix="/api/v1/providers", description="Providers")

ProviderPageSchema = page_of(ProviderSchema, "ProviderPage")


def provider_view(provider: Any) -> dict[str, Any]:
    return {
        "id": str(provider.id),
        "legal_name": provider.legal_name,
        "identifier": {"scheme": provider.identifier.scheme, "id": provider.identifier.id},
        "website": provider.website,
        "contact": {
            "name": provider.contact.name,
            "email": provider.contact.email,
            "phone": provider.contact.phone,
        },
        "registered_at": provider.created_on.isoformat(),
        "version": provider.version,
    }


@blp.route("")
class Providers(MethodView):
    @blp.arguments(ProviderCreateSchema)
    @blp.response(201, ProviderSchema)
    @command(201, render=provider_view)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register the caller's provider; the caller's account becomes bound to it."""
        account = require_account()
        provider = marketplace().register_provider(
            account, data["legal_name"], data["identifier"], data["website"], data["contact"]
        )
        return provider_view(provider)

    @blp.arguments(ProviderQuerySchema, location="query")
    @blp.response(200, ProviderPageSchema)
    @reads("catalog")
    def get(self, args: dict[str, Any]) -> Any:
        """Registered providers, by name."""
        with services().engines.reader.connect() as conn:
            return queries.list_providers(conn, args["q"], args["page"], args["per_page"])


@blp.route("/<uuid:provider_id>")
class ProviderById(MethodView):
    @blp.response(200, ProviderSchema)
    @reads("catalog")
    def get(self, provider_id: UUID) -> Any:
        with services().engines.reader.connect() as conn:
            found = queries.provider_row(conn, provider_id)
        if found is None:
            raise NotFound(f"provider {provider_id} not found")
        return found


@blp.route("/<uuid:provider_id>/offerings")
class ProviderOfferings(MethodView):
    @blp.arguments(ProviderOfferingsArgsSchema, location="query")
    @blp.response(200, OfferingPageSchema)
    @reads("catalog")
    def get(self, args: dict[str, Any], provider_id: UUID) -> Any:
        """A provider's offerings; its own accounts also see its drafts."""
        account = current_account()
        own = account is not None and account.acts_for(provider_id)
        with services().engines.reader.connect() as conn:
            if queries.provider_row(conn, provider_id) is None:
                raise NotFound(f"provider {provider_id} not found")
            return queries.provider_offerings(
                conn,
                provider_id,
                own,
                args["status"],
                args["page"],
                args["per_page"],
                events.now().date(),
            )
