from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.web.auth import require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command
from marketplace.web.reads import reads
from marketplace.web.schemas.accounts import AccountCreateSchema, AccountSchema, NewAccountSchema
from marketplace.web.services import marketplace

blp = Blueprint("accounts", __name__, url_prefix="/api/v1/accounts", description="Accounts and tokens")


def _without_token(account: Any) -> dict[str, Any]:
    return {
        "id": account.id,
        "role": account.role,
        "name": account.name,
        "organization_id": account.organization_id,
        "token": None,
    }


@blp.route("")
class Accounts(MethodView):
    @blp.arguments(AccountCreateSchema)
    @blp.response(201, NewAccountSchema)
    @command(201, render=_without_token)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Open an account (admin only); the response shows its bearer token, once."""
        admin = require_account()
        account, token = marketplace().open_account(
            admin, data["role"], data["name"], data["organization_id"]
        )
        return {**_without_token(account), "token": token}


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, AccountSchema)
    @reads()
    def get(self) -> Any:
        """The caller's own account."""
        return require_account()
