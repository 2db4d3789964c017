"""Use cases: designations and data privacy agreements."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketplace.application import MarketplaceBase as _Base
else:
    _Base = object


class TrustUseCases(_Base):
    """Designations of offerings and providers' data privacy agreements."""
