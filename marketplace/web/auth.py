"""Bearer-token authentication. Tokens are looked up by their hash; anonymous callers read only."""

from __future__ import annotations

from flask import g, request

from marketplace.domain.accounts import Account
from marketplace.domain.errors import AuthenticationRequired
from marketplace.web.services import marketplace

_UNSET = object()


def current_account() -> Account | None:
    """The caller's account, None for an anonymous caller; a bad token is refused, not ignored."""
    cached = g.get("account", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    header = request.headers.get("Authorization")
    account: Account | None = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationRequired(
                "the Authorization header must be 'Bearer <token>'",
                {"Authorization": ["must be 'Bearer <token>'"]},
                location="headers",
            )
        account = marketplace().authenticate(token.strip())
        if account is None:
            raise AuthenticationRequired(
                "the bearer token is unknown or revoked",
                {"Authorization": ["unknown or revoked token"]},
                location="headers",
            )
    g.account = account
    return account


def require_account() -> Account:
    account = current_account()
    if account is None:
        raise AuthenticationRequired("this needs an account: send 'Authorization: Bearer <token>'")
    return account
