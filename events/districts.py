"""School districts and the consortia they form to buy together."""

from __future__ import annotations

from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import Thresholds


class DistrictRegistered(MarketplaceCreated):
    TOPIC = "marketplace.District.Registered"
    nces_id: str
    name: str
    state: str
    locale_code: int
    enrollment: int
    average_daily_attendance: int


class ConsortiumFormed(MarketplaceCreated):
    """The lead (fiscal) district is the first member."""

    TOPIC = "marketplace.Consortium.Formed"
    name: str
    lead_district_id: UUID


class ConsortiumMemberJoined(MarketplaceEvent):
    TOPIC = "marketplace.Consortium.MemberJoined"
    district_id: UUID


class ConsortiumMemberLeft(MarketplaceEvent):
    TOPIC = "marketplace.Consortium.MemberLeft"
    district_id: UUID


class ConsortiumThresholdsSet(MarketplaceEvent):
    """Stricter local purchase thresholds, in force from their effective date."""

    TOPIC = "marketplace.Consortium.ThresholdsSet"
    thresholds: Thresholds
