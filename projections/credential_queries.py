"""Query functions for an account's credentials: its listing (the account's own and an admin's),
and its live ones (to revoke them all). They read only the credentials projection's table."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, select

from events.plain import iso_utc
from marketplace.domain.accounts import credential_status
from projections.queries import Page, _page
from projections.tables import credentials


def _newest_first(account_id: UUID) -> Select[Any]:
    return (
        select(credentials)
        .where(credentials.c.account_id == account_id)
        .order_by(credentials.c.issued_at.desc(), credentials.c.id)
    )


def credential_document(record: Any) -> dict[str, Any]:
    """A credential as it is shown, from its read model's row or from the ``Credential``
    aggregate itself (a command's answer): both carry these attributes under the same names."""
    return {
        "id": str(record.id),
        "account_id": str(record.account_id),
        "status": credential_status(record.revoked_at is not None).value,
        "issued_at": iso_utc(record.issued_at),
        "issued_by": record.issued_by,
        "revoked_at": iso_utc(record.revoked_at),
        "revoked_by": record.revoked_by,
        "revocation_reason": record.revocation_reason,
    }


def credentials_page(conn: Connection, account_id: UUID, page: int, per_page: int) -> Page:
    """The account's credentials, live and revoked, newest first."""
    rows, total = _page(conn, _newest_first(account_id), page, per_page)
    return Page([credential_document(r) for r in rows], total, page, per_page)


def credentials_of(conn: Connection, account_id: UUID) -> list[dict[str, Any]]:
    """Every credential of the account, newest first."""
    return [credential_document(r) for r in conn.execute(_newest_first(account_id))]


def live_credential_ids(conn: Connection, account_id: UUID) -> list[UUID]:
    """The account's credentials not revoked, newest first."""
    query = _newest_first(account_id).where(credentials.c.revoked_at.is_(None))
    return [row.id for row in conn.execute(query)]
