"""Districts (small and rural status derived) and the consortia that pool their demand."""

from __future__ import annotations

import re
from datetime import date
from functools import singledispatchmethod
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.districts import (
    ConsortiumFormed,
    ConsortiumMemberJoined,
    ConsortiumMemberLeft,
    ConsortiumThresholdsSet,
    DistrictRegistered,
)
from events.types import Role, Thresholds
from marketplace.domain import validation
from marketplace.domain.accounts import Account, actor_of
from marketplace.domain.errors import NotAllowed, WrongState, invalid
from marketplace.domain.thresholds import check_local_thresholds, thresholds_on

_DISTRICT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:district")
RURAL_LOCALES = frozenset({41, 42, 43})
NCES_LOCALES = frozenset({11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43})
SMALL_ADA_LIMIT = 600
STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split()
)


class District(Aggregate):
    TOPIC = "marketplace.District"
    Event = MarketplaceEvent
    Created = DistrictRegistered

    @staticmethod
    def id_for(nces_id: str) -> UUID:
        return uuid5(_DISTRICT_NAMESPACE, nces_id.strip())

    @classmethod
    def register(
        cls,
        by: Account | None,
        nces_id: str,
        name: str,
        state: str,
        locale_code: int,
        enrollment: int,
        average_daily_attendance: int,
    ) -> District:
        """Register a district (an admin or a buyer; a buyer acting for no one becomes its buyer)."""
        if by is not None:
            by.require_role(Role.ADMIN, Role.BUYER)
            if by.role is Role.BUYER and by.organization_id is not None:
                raise WrongState(
                    "this buyer already acts for an organization",
                    {"account": ["already acts for an organization"]},
                )
        nces_id = validation.required_text("nces_id", nces_id, max_length=7)
        if not re.fullmatch(r"\d{7}", nces_id):
            raise invalid("nces_id", "must be the 7-digit NCES LEA id")
        state = validation.required_text("state", state, max_length=2).upper()
        if state not in STATES:
            raise invalid("state", "must be a US state or territory code, such as MT")
        if locale_code not in NCES_LOCALES:
            raise invalid("locale_code", "must be an NCES locale code (11-13, 21-23, 31-33, 41-43)")
        if enrollment < 0:
            raise invalid("enrollment", "must not be negative")
        if average_daily_attendance < 0:
            raise invalid("average_daily_attendance", "must not be negative")
        if average_daily_attendance > enrollment:
            raise invalid("average_daily_attendance", "must not exceed enrollment")
        district = cls._create(
            DistrictRegistered,
            id=cls.id_for(nces_id),
            actor=actor_of(by),
            nces_id=nces_id,
            name=validation.required_text("name", name, max_length=200),
            state=state,
            locale_code=locale_code,
            enrollment=enrollment,
            average_daily_attendance=average_daily_attendance,
        )
        if by is not None and by.role is Role.BUYER:
            by.bind_to(district.id)
        return district

    @property
    def rural(self) -> bool:
        return self.locale_code in RURAL_LOCALES

    @property
    def small(self) -> bool:
        return self.average_daily_attendance < SMALL_ADA_LIMIT

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: DistrictRegistered) -> None:
        self.nces_id = event.nces_id
        self.name = event.name
        self.state = event.state
        self.locale_code = event.locale_code
        self.enrollment = event.enrollment
        self.average_daily_attendance = event.average_daily_attendance


class Consortium(Aggregate):
    TOPIC = "marketplace.Consortium"
    Event = MarketplaceEvent
    Created = ConsortiumFormed

    @classmethod
    def form(
        cls, by: Account, name: str, lead: District, local_thresholds: Thresholds | None = None
    ) -> Consortium:
        """A buyer of the lead (fiscal) district forms a consortium; the lead is its first member."""
        by.require_role(Role.BUYER)
        if not by.acts_for(lead.id):
            raise NotAllowed("only a buyer of the lead district can form its consortium")
        consortium = cls._create(
            ConsortiumFormed,
            id=Aggregate.create_id(),
            actor=str(by.id),
            name=validation.required_text("name", name, max_length=200),
            lead_district_id=lead.id,
        )
        if local_thresholds is not None:
            consortium.set_thresholds(by, local_thresholds, within="local_thresholds")
        return consortium

    def require_lead_buyer(self, by: Account) -> None:
        by.require_role(Role.BUYER)
        if not by.acts_for(self.lead_district_id):
            raise NotAllowed("only a buyer of the consortium's lead district can do this")

    def is_lead_buyer(self, account: Account | None) -> bool:
        return (
            account is not None
            and account.role is Role.BUYER
            and account.acts_for(self.lead_district_id)
        )

    def add_member(self, by: Account, district: District) -> None:
        """The lead's buyer adds a district, or a district's buyer joins it."""
        by.require_role(Role.BUYER)
        if not (by.acts_for(self.lead_district_id) or by.acts_for(district.id)):
            raise NotAllowed("only the lead district's buyer or the joining district's buyer can add it")
        if district.id in self.members:
            raise WrongState(f"district {district.id} is already a member")
        self.trigger_event(ConsortiumMemberJoined, actor=str(by.id), district_id=district.id)

    def remove_member(self, by: Account, district_id: UUID) -> None:
        by.require_role(Role.BUYER)
        if not (by.acts_for(self.lead_district_id) or by.acts_for(district_id)):
            raise NotAllowed("only the lead district's buyer or the leaving district's buyer can remove it")
        if district_id not in self.members:
            raise WrongState(f"district {district_id} is not a member")
        if district_id == self.lead_district_id:
            raise WrongState("the lead district cannot leave its consortium")
        self.trigger_event(ConsortiumMemberLeft, actor=str(by.id), district_id=district_id)

    def set_thresholds(
        self, by: Account, thresholds: Thresholds, within: str | None = None
    ) -> None:
        """``within``: the field holding the thresholds, if not the request itself."""
        self.require_lead_buyer(by)
        checked = check_local_thresholds(thresholds, within)
        self.trigger_event(ConsortiumThresholdsSet, actor=str(by.id), thresholds=checked)

    def thresholds_on(self, day: date) -> Thresholds:
        return thresholds_on(day, self.local_thresholds)

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: ConsortiumFormed) -> None:
        self.name = event.name
        self.lead_district_id = event.lead_district_id
        self.members = [event.lead_district_id]
        self.local_thresholds: list[Thresholds] = []

    @when.register
    def _(self, event: ConsortiumMemberJoined) -> None:
        self.members.append(event.district_id)

    @when.register
    def _(self, event: ConsortiumMemberLeft) -> None:
        self.members.remove(event.district_id)

    @when.register
    def _(self, event: ConsortiumThresholdsSet) -> None:
        self.local_thresholds.append(event.thresholds)
