"""Use cases: outcome reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketplace.application import MarketplaceBase as _Base
else:
    _Base = object


class OutcomeUseCases(_Base):
    """Outcome reports by party districts."""
