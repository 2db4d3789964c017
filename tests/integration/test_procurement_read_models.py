"""The procurement read models, driven through the application's use cases on both databases:
districts, consortia, the public board, a consortium's pipeline, the scheduler's queries, the
contracts register, the public history, and a rebuild from zero."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import inspect, select

from events.types import (
    ContractType,
    JoiningPolicy,
    NeedLine,
    PriceUnit,
    Pricing,
    Role,
    Seats,
    Subject,
    Thresholds,
)
from marketplace.domain.solicitations import AwardDecision
from projections import procurement_queries as q
from projections.queries import history
from projections.tables import event_history
from tests.integration.readmodels import snapshot
from tests.integration.builders import provider_with_offerings

PROCUREMENT_TABLES = (
    "districts",
    "consortia",
    "consortium_members",
    "solicitations",
    "proposal_index",
    "contracts",
    "contract_parties",
)


class Procurement:
    """Builds procurement histories through the application's use cases, on the test clock."""

    def __init__(self, services: Any, clock: Any):
        self.services = services
        self.app = services.app
        self.clock = clock
        self.nces = 3000100
        self.ein = 100

    # Reading --------------------------------------------------------------------------------

    def read(self, query: Any, *args: Any) -> Any:
        self.services.runner.catch_up()
        with self.services.engines.reader.connect() as conn:
            return query(conn, *args)

    # Districts and consortia ----------------------------------------------------------------

    def district(
        self,
        name: str,
        state: str = "MT",
        locale: int = 43,
        enrollment: int | None = None,
        ada: int = 380,
    ) -> tuple[Any, UUID]:
        """A district registered by its own buyer; returns (buyer, district id)."""
        self.nces += 1
        buyer, _ = self.app.open_account(None, Role.BUYER, f"Buyer of {name}")
        registered = self.app.register_district(
            buyer,
            nces_id=str(self.nces),
            name=name,
            state=state,
            locale_code=locale,
            enrollment=max(400, ada) if enrollment is None else enrollment,
            average_daily_attendance=ada,
        )
        return self.app.get_account(buyer.id), registered.id

    def consortium(self, members: int = 3, thresholds: Thresholds | None = None) -> dict[str, Any]:
        parties = [self.district(f"District {n}") for n in range(members)]
        lead, lead_district = parties[0]
        formed = self.app.form_consortium(lead, "Crazy Mountains Cooperative", lead_district, thresholds)
        for buyer, district_id in parties[1:]:
            self.app.add_consortium_member(buyer, formed.id, district_id)
        return {
            "id": formed.id,
            "lead": lead,
            "districts": [d for _, d in parties],
            "buyers": [b for b, _ in parties],
        }

    # Providers and solicitations --------------------------------------------------------------

    def provider(self, list_price: str = "40.00") -> tuple[Any, UUID, UUID]:
        """A provider with one published offering; returns (account, provider id, offering id)."""
        self.ein += 1
        account, provider_id, (offering_id,) = provider_with_offerings(
            self.app, self.ein, f"Provider {self.ein} Learning", (f"Math mastery {self.ein}",), list_price
        )
        return account, provider_id, offering_id

    def providers(self, count: int = 3) -> list[tuple[Any, UUID, UUID]]:
        return [self.provider() for _ in range(count)]

    def draft(
        self,
        consortium: dict[str, Any],
        providers: list[tuple[Any, UUID, UUID]],
        title: str = "Middle school math",
        days: int = 21,
        zone: tzinfo = timezone.utc,
    ) -> UUID:
        """A request for quotes to the given providers, due in ``days`` (written in ``zone``)."""
        proposals_due = (self.clock.moment + timedelta(days=days)).astimezone(zone)
        spec = {
            "title": title,
            "lines": (
                NeedLine("Math 6-8", Subject.MATH, (), tuple(Seats(d, 20) for d in consortium["districts"])),
            ),
            "estimated_value": Decimal("20000"),
            "questions_due": proposals_due - timedelta(days=days) / 2,
            "proposals_due": proposals_due,
            "joining_policy": JoiningPolicy.ANY_DISTRICT,
            "invited_provider_ids": tuple(p for _, p, _ in providers),
        }
        return self.app.draft_solicitation(consortium["lead"], consortium["id"], spec).id

    def publish(self, consortium: dict[str, Any], providers: list[Any], **kwargs: Any) -> UUID:
        solicitation_id = self.draft(consortium, providers, **kwargs)
        self.app.publish_solicitation(consortium["lead"], solicitation_id)
        return solicitation_id

    def propose(self, provider: tuple[Any, UUID, UUID], solicitation_id: UUID, price: str) -> UUID:
        account, _, offering_id = provider
        pricing = Pricing(PriceUnit.PER_STUDENT_PER_YEAR, Decimal(price))
        return self.app.submit_proposal(account, solicitation_id, [offering_id], pricing, "We will teach.").id

    def close(self, solicitation_id: UUID) -> None:
        ids = self.read(q.active_proposal_ids, solicitation_id)
        self.app.close_solicitation(solicitation_id, ids)

    def award(self, consortium: dict[str, Any], solicitation_id: UUID, term_start: date, term_end: date) -> UUID:
        """Evaluate (price-ranked) and award to the lowest price; returns the contract id."""
        lead = consortium["lead"]
        evaluated = self.app.complete_evaluation(lead, solicitation_id)
        winner = evaluated.ranking[0]["proposal_id"]
        decision = AwardDecision(
            proposal_id=winner,
            contract_type=ContractType.FIXED_UNIT_PRICE,
            method_rationale="Below the simplified acquisition threshold: request for quotes",
            selection_reason="Lowest price",
            rejections={p: "Higher price" for p in evaluated.opened_proposal_ids if p != winner},
            price_basis="Quoted unit price",
            term_start=term_start,
            term_end=term_end,
        )
        return self.app.award(lead, solicitation_id, decision).id

    def contract(self) -> dict[str, Any]:
        """A consortium of three, a request for quotes with three quotes, awarded and signed."""
        consortium = self.consortium()
        providers = self.providers()
        solicitation_id = self.publish(consortium, providers)
        for provider, price in zip(providers, ("41.00", "38.50", "39.75")):
            self.propose(provider, solicitation_id, price)
        self.clock.advance(days=22)
        self.close(solicitation_id)
        contract_id = self.award(consortium, solicitation_id, date(2026, 12, 1), date(2027, 11, 30))
        winner = providers[1]
        self.app.sign_contract(winner[0], contract_id, "Jane Doe, CEO")
        return {
            "consortium": consortium,
            "providers": providers,
            "winner": winner,
            "solicitation_id": solicitation_id,
            "contract_id": contract_id,
        }


@pytest.fixture
def procurement(clock: Any, services: Any) -> Procurement:
    return Procurement(services, clock)


def _ids(page: Any) -> list[str]:
    return [item["id"] for item in page.items]


def _register(procurement: Procurement, status: str | None = None, **filters: Any) -> Any:
    return procurement.read(
        q.contracts_register,
        filters.get("consortium_id"),
        filters.get("district_id"),
        filters.get("provider_id"),
        status,
        1,
        50,
    )


# Districts ---------------------------------------------------------------------------------------


def test_rural_follows_the_locale_code_and_small_an_attendance_under_600(procurement: Procurement) -> None:
    _, remote = procurement.district("Remote", locale=43, ada=599)
    _, fringe_town = procurement.district("Fringe", locale=41, ada=600)
    _, suburb = procurement.district("Suburb", locale=21, ada=120)
    found = {d: procurement.read(q.district, d) for d in (remote, fringe_town, suburb)}
    assert (found[remote]["rural"], found[remote]["small"]) == (True, True)
    assert (found[fringe_town]["rural"], found[fringe_town]["small"]) == (True, False)
    assert (found[suburb]["rural"], found[suburb]["small"]) == (False, True)
    assert found[remote]["nces_id"] and found[remote]["average_daily_attendance"] == 599


def test_districts_filter_by_state_rural_and_small_ordered_by_state_then_name(procurement: Procurement) -> None:
    _, a = procurement.district("Zortman", state="MT", locale=43, ada=100)
    _, b = procurement.district("Augusta", state="MT", locale=42, ada=2000)
    _, c = procurement.district("Billings", state="MT", locale=12, ada=15000)
    _, d = procurement.district("Arvada", state="CO", locale=43, ada=300)
    everyone = procurement.read(q.list_districts, None, None, None, 1, 10)
    assert _ids(everyone) == [str(d), str(b), str(c), str(a)]
    assert _ids(procurement.read(q.list_districts, "MT", None, None, 1, 10)) == [str(b), str(c), str(a)]
    assert _ids(procurement.read(q.list_districts, "MT", True, None, 1, 10)) == [str(b), str(a)]
    assert _ids(procurement.read(q.list_districts, None, True, True, 1, 10)) == [str(d), str(a)]
    assert _ids(procurement.read(q.list_districts, None, False, False, 1, 10)) == [str(c)]
    second_page = procurement.read(q.list_districts, None, None, None, 2, 3)
    assert (_ids(second_page), second_page.total) == ([str(a)], 4)


def test_an_unknown_district_reads_as_none(procurement: Procurement) -> None:
    assert procurement.read(q.district, UUID(int=7)) is None


# Consortia ---------------------------------------------------------------------------------------


def test_a_consortium_lists_its_members_and_totals_after_districts_join_and_leave(
    procurement: Procurement,
) -> None:
    consortium = procurement.consortium(members=3)
    big_buyer, big = procurement.district("Big Town", locale=32, enrollment=3000, ada=2800)
    procurement.app.add_consortium_member(big_buyer, consortium["id"], big)
    leaving = consortium["districts"][2]
    procurement.app.remove_consortium_member(consortium["buyers"][2], consortium["id"], leaving)

    found = procurement.read(q.consortium, consortium["id"])
    member_ids = {m["id"] for m in found["members"]}
    assert member_ids == {str(consortium["districts"][0]), str(consortium["districts"][1]), str(big)}
    assert found["lead_district_id"] == str(consortium["districts"][0])
    assert found["totals"] == {
        "members": 3,
        "enrollment": 400 + 400 + 3000,
        "average_daily_attendance": 380 + 380 + 2800,
        "rural_members": 2,
        "small_members": 2,
    }
    assert all(m["joined_at"] for m in found["members"])


def test_consortia_are_listed_for_a_member_district_only_while_it_is_a_member(procurement: Procurement) -> None:
    first = procurement.consortium(members=2)
    procurement.consortium(members=2)
    stays, leaves = first["districts"][0], first["districts"][1]
    procurement.app.remove_consortium_member(first["buyers"][1], first["id"], leaves)

    assert procurement.read(q.list_consortia, None, 1, 10).total == 2
    listed = procurement.read(q.list_consortia, stays, 1, 10)
    assert [(c["id"], c["members"]) for c in listed.items] == [(str(first["id"]), 1)]
    assert procurement.read(q.list_consortia, leaves, 1, 10).items == []


def test_local_thresholds_are_kept_as_decimal_strings_in_the_order_they_were_set(procurement: Procurement) -> None:
    stricter = Thresholds(date(2026, 1, 1), Decimal("5000"), Decimal("100000"))
    consortium = procurement.consortium(members=1, thresholds=stricter)
    later = Thresholds(date(2027, 7, 1), Decimal("7500.50"), Decimal("150000"))
    procurement.app.set_consortium_thresholds(consortium["lead"], consortium["id"], later)

    found = procurement.read(q.consortium, consortium["id"])
    assert found["local_thresholds"] == [
        {"effective_from": "2026-01-01", "micro_purchase": "5000.00",
         "simplified_acquisition": "100000.00"},
        {"effective_from": "2027-07-01", "micro_purchase": "7500.50",
         "simplified_acquisition": "150000.00"},
    ]


# Solicitations -----------------------------------------------------------------------------------


def test_the_board_lists_a_published_solicitation_until_its_deadline_passes_and_never_a_draft(
    procurement: Procurement, clock: Any
) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    procurement.draft(consortium, providers, title="Still a draft")
    later = procurement.publish(consortium, providers, title="Science", days=30)
    sooner = procurement.publish(consortium, providers, title="Math", days=14)

    board = procurement.read(q.open_solicitations, clock.moment, 1, 10)
    assert _ids(board) == [str(sooner), str(later)]
    item = board.items[0]
    assert item["consortium"] == {"id": str(consortium["id"]), "name": "Crazy Mountains Cooperative"}
    assert item["estimated_value"] == "20000.00"
    assert item["method"] == "request_for_quotes"
    assert set(item) == {
        "id", "consortium", "title", "method", "estimated_value", "questions_due",
        "proposals_due", "published_at", "amendments", "question_count",
    }

    clock.advance(days=14)
    assert _ids(procurement.read(q.open_solicitations, clock.moment, 1, 10)) == [str(later)]


def test_amendments_and_questions_are_counted_and_a_new_deadline_moves_the_board(
    procurement: Procurement, clock: Any
) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    solicitation_id = procurement.publish(consortium, providers, days=14)
    procurement.app.ask_question(providers[0][0], solicitation_id, "Is training included?")
    procurement.app.ask_question(providers[1][0], solicitation_id, "Which rostering standard?")
    extended = clock.moment + timedelta(days=40)
    procurement.app.amend_solicitation(
        consortium["lead"], solicitation_id, {"proposals_due": extended}, "More time for quotes"
    )

    clock.advance(days=20)
    board = procurement.read(q.open_solicitations, clock.moment, 1, 10)
    assert [(i["amendments"], i["question_count"]) for i in board.items] == [(1, 2)]
    assert board.items[0]["proposals_due"] == extended.isoformat()


def test_the_pipeline_shows_drafts_only_when_asked_newest_first(procurement: Procurement) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    published = procurement.publish(consortium, providers, title="Published first")
    draft = procurement.draft(consortium, providers, title="Drafted later")

    with_drafts = procurement.read(q.consortium_pipeline, consortium["id"], True, 1, 10)
    assert [(i["id"], i["status"]) for i in with_drafts.items] == [
        (str(draft), "draft"),
        (str(published), "published"),
    ]
    without = procurement.read(q.consortium_pipeline, consortium["id"], False, 1, 10)
    assert (_ids(without), without.total) == ([str(published)], 1)


def test_a_revised_draft_shows_its_new_title_value_and_method_in_the_pipeline(
    procurement: Procurement,
) -> None:
    consortium = procurement.consortium()
    draft = procurement.draft(consortium, procurement.providers())
    changes = {
        "title": "Math and science",
        "estimated_value": Decimal("400000"),
        "method": None,
        "invited_provider_ids": (),  # a formal method invites none
    }
    procurement.app.revise_solicitation(consortium["lead"], draft, changes)

    [item] = procurement.read(q.consortium_pipeline, consortium["id"], True, 1, 10).items
    assert (item["title"], item["estimated_value"], item["method"], item["version"]) == (
        "Math and science",
        "400000.00",
        "competitive_proposals",
        2,
    )


def test_the_pipeline_names_the_awarded_contract_and_forgets_it_when_the_award_is_cancelled(
    procurement: Procurement,
) -> None:
    awarded = procurement.contract()
    consortium = awarded["consortium"]
    [item] = procurement.read(q.consortium_pipeline, consortium["id"], False, 1, 10).items
    assert (item["status"], item["contract_id"]) == ("awarded", str(awarded["contract_id"]))

    # A second award, cancelled before signature: the solicitation is evaluated again.
    second = procurement.publish(consortium, awarded["providers"], title="Science")
    for provider, price in zip(awarded["providers"], ("30.00", "31.00", "32.00")):
        procurement.propose(provider, second, price)
    procurement.clock.advance(days=22)
    procurement.close(second)
    procurement.award(consortium, second, date(2027, 1, 1), date(2027, 12, 31))
    procurement.app.cancel_award(consortium["lead"], second, "Wrong term dates")

    pipeline = procurement.read(q.consortium_pipeline, consortium["id"], False, 1, 10)
    assert {i["id"]: (i["status"], i["contract_id"]) for i in pipeline.items}[str(second)] == (
        "evaluated",
        None,
    )


def test_due_for_closing_lists_published_solicitations_at_or_past_their_deadline(
    procurement: Procurement, clock: Any
) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    procurement.draft(consortium, providers, days=7)
    first = procurement.publish(consortium, providers, days=7)
    second = procurement.publish(consortium, providers, days=10)

    assert procurement.read(q.due_for_closing, clock.moment) == []
    clock.advance(days=10)
    assert procurement.read(q.due_for_closing, clock.moment) == [first, second]
    procurement.close(first)
    assert procurement.read(q.due_for_closing, clock.moment) == [second]


def test_a_deadline_written_in_another_time_zone_passes_at_the_same_instant_on_both_databases(
    procurement: Procurement, clock: Any
) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    mountain = timezone(timedelta(hours=-7))
    solicitation_id = procurement.publish(consortium, providers, days=10, zone=mountain)
    [item] = procurement.read(q.open_solicitations, clock.moment, 1, 10).items
    deadline = item["proposals_due"]
    assert deadline.endswith("+00:00")

    clock.moment = datetime.fromisoformat(deadline) - timedelta(hours=1)
    assert procurement.read(q.due_for_closing, clock.moment) == []
    assert _ids(procurement.read(q.open_solicitations, clock.moment.astimezone(mountain), 1, 10)) == [
        str(solicitation_id)
    ]
    clock.advance(hours=1)
    assert procurement.read(q.due_for_closing, clock.moment.astimezone(mountain)) == [solicitation_id]
    assert procurement.read(q.open_solicitations, clock.moment, 1, 10).items == []


def test_a_withdrawn_proposal_is_not_active_and_a_revised_one_stays_active(procurement: Procurement) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    solicitation_id = procurement.publish(consortium, providers)
    kept = procurement.propose(providers[0], solicitation_id, "40.00")
    revised = procurement.propose(providers[1], solicitation_id, "41.00")
    withdrawn = procurement.propose(providers[2], solicitation_id, "42.00")
    procurement.app.revise_proposal(providers[1][0], revised, None, None, "A better plan.")
    procurement.app.withdraw_proposal(providers[2][0], withdrawn, "Capacity")

    active = procurement.read(q.active_proposal_ids, solicitation_id)
    assert sorted(active, key=str) == sorted([kept, revised], key=str)
    mine = procurement.read(q.provider_proposals, providers[2][1], 1, 10)
    assert [(i["id"], i["status"], i["solicitation_title"]) for i in mine.items] == [
        (str(withdrawn), "withdrawn", "Middle school math")
    ]
    [revised_item] = procurement.read(q.provider_proposals, providers[1][1], 1, 10).items
    assert revised_item["updated_at"] > revised_item["submitted_at"]


def test_the_board_and_pipeline_say_nothing_about_proposals(procurement: Procurement, clock: Any) -> None:
    consortium = procurement.consortium()
    providers = procurement.providers()
    solicitation_id = procurement.publish(consortium, providers)
    procurement.propose(providers[0], solicitation_id, "40.00")
    board = procurement.read(q.open_solicitations, clock.moment, 1, 10).items
    pipeline = procurement.read(q.consortium_pipeline, consortium["id"], True, 1, 10).items
    for item in (*board, *pipeline):
        assert not any(("proposal" in key and key != "proposals_due") or "provider" in key for key in item)
        assert str(providers[0][1]) not in repr(item)
    columns = {c["name"] for c in inspect(procurement.services.engines.reader).get_columns("solicitations")}
    assert not any("proposal" in c and c != "proposals_due" for c in columns)


# Contracts ---------------------------------------------------------------------------------------


def test_the_register_finds_a_contract_by_each_party_district_including_one_that_joined_later(
    procurement: Procurement, clock: Any
) -> None:
    awarded = procurement.contract()
    contract_id = str(awarded["contract_id"])
    joiner_buyer, joiner = procurement.district("Melville", locale=42, enrollment=100, ada=90)
    _, outsider = procurement.district("Outsider")
    clock.moment = clock.moment.replace(year=2026, month=12, day=15)
    offering_id = awarded["winner"][2]
    procurement.app.join_contract(joiner_buyer, awarded["contract_id"], joiner, 10, offering_id)

    for district_id in (*awarded["consortium"]["districts"], joiner):
        assert _ids(_register(procurement, district_id=district_id)) == [contract_id]
    assert _register(procurement, district_id=outsider).items == []

    [contract] = _register(procurement, district_id=joiner).items
    assert len(contract["parties"]) == 4
    assert contract["parties"][-1] == {
        "district_id": str(joiner),
        "name": "Melville",
        "seats": 10,
        "amount": "385.00",
        "joined_at": contract["parties"][-1]["joined_at"],
    }
    assert contract["total_value"] == "2695.00"  # 70 seats at 38.50
    assert Decimal(contract["total_value"]) == sum(Decimal(p["amount"]) for p in contract["parties"])


def test_the_register_shows_the_award_with_provider_name_and_filters_by_consortium_provider_and_status(
    procurement: Procurement,
) -> None:
    awarded = procurement.contract()
    _, winner_id, _ = awarded["winner"]
    [contract] = _register(procurement, consortium_id=awarded["consortium"]["id"]).items
    assert contract["provider"] == {"id": str(winner_id), "name": contract["provider"]["name"]}
    assert contract["provider"]["name"].endswith("Learning")
    assert (contract["status"], contract["method"], contract["contract_type"]) == (
        "active",
        "request_for_quotes",
        "fixed_unit_price",
    )
    assert (contract["unit_price"], contract["term_start"], contract["term_end"]) == (
        "38.50",
        "2026-12-01",
        "2027-11-30",
    )
    assert contract["solicitation_id"] == str(awarded["solicitation_id"])
    assert contract["signed_at"] is not None and contract["awarded_at"] < contract["signed_at"]
    assert _ids(_register(procurement, provider_id=winner_id)) == [contract["id"]]
    assert _register(procurement, provider_id=awarded["providers"][0][1]).items == []
    assert _register(procurement, status="awaiting_signature").items == []


def test_a_direct_purchase_is_registered_without_a_solicitation_and_the_newest_award_comes_first(
    procurement: Procurement,
) -> None:
    awarded = procurement.contract()
    buyer, district_id = procurement.district("Solo")
    _, provider_id, offering_id = procurement.provider(list_price="12.25")
    purchase = procurement.app.direct_purchase(
        buyer,
        offering_id,
        [Seats(district_id, 40)],
        None,
        "List price compared with two similar catalog offerings",
        ContractType.FIRM_FIXED_PRICE,
        date(2027, 1, 1),
        date(2027, 12, 31),
    )
    register = _register(procurement)
    assert _ids(register) == [str(purchase.id), str(awarded["contract_id"])]
    direct = register.items[0]
    assert (direct["solicitation_id"], direct["consortium_id"], direct["method"]) == (
        None,
        None,
        "direct_purchase",
    )
    assert (direct["total_value"], direct["status"]) == ("490.00", "awaiting_signature")


def test_an_amendment_reprices_every_party_and_a_renewal_extends_the_term(
    procurement: Procurement, clock: Any
) -> None:
    awarded = procurement.contract()
    joiner_buyer, joiner = procurement.district("Melville")
    clock.moment = clock.moment.replace(year=2026, month=12, day=15)
    procurement.app.join_contract(joiner_buyer, awarded["contract_id"], joiner, 10, awarded["winner"][2])
    [before] = _register(procurement).items
    lead = awarded["consortium"]["lead"]
    procurement.app.amend_contract(lead, awarded["contract_id"], Decimal("36.00"), None, "Volume discount")
    procurement.app.renew_contract(lead, awarded["contract_id"], date(2028, 11, 30), "Second year")

    [contract] = _register(procurement).items
    assert (contract["unit_price"], contract["total_value"], contract["term_end"]) == (
        "36.00",
        "2520.00",
        "2028-11-30",
    )
    assert {p["district_id"]: p["amount"] for p in contract["parties"]}[str(joiner)] == "360.00"
    assert {p["amount"] for p in contract["parties"]} == {"720.00", "360.00"}
    joined = {p["district_id"]: p["joined_at"] for p in contract["parties"]}
    assert joined == {p["district_id"]: p["joined_at"] for p in before["parties"]}
    assert joined[str(joiner)] > joined[str(awarded["consortium"]["districts"][0])]


def test_a_terminated_contract_keeps_its_parties_and_is_found_by_status(procurement: Procurement) -> None:
    awarded = procurement.contract()
    procurement.app.terminate_contract(awarded["consortium"]["lead"], awarded["contract_id"], "Provider closed")
    [contract] = _register(procurement, status="terminated").items
    assert len(contract["parties"]) == 3
    assert _register(procurement, status="active").items == []


# History and rebuilding ----------------------------------------------------------------------------


def test_the_public_history_has_solicitation_and_contract_events_but_no_proposal_or_evaluation_event(
    procurement: Procurement,
) -> None:
    awarded = procurement.contract()
    solicitation = procurement.read(history, awarded["solicitation_id"], 1, 50)
    assert [i["type"] for i in solicitation.items] == ["Drafted", "Published", "Closed", "Evaluated", "Awarded"]
    contract = procurement.read(history, awarded["contract_id"], 1, 50)
    assert [i["type"] for i in contract.items] == ["Awarded", "Signed"]
    consortium = procurement.read(history, awarded["consortium"]["id"], 1, 50)
    assert [i["type"] for i in consortium.items] == ["Formed", "MemberJoined", "MemberJoined"]

    with procurement.services.engines.reader.connect() as conn:
        types = set(conn.execute(select(event_history.c.aggregate_type)).scalars())
    assert {"District", "Consortium", "Solicitation", "Contract"} <= types
    assert not types & {"Proposal", "Evaluation", "Account", "Credential"}


def test_a_rebuild_from_zero_reproduces_identical_procurement_tables(
    procurement: Procurement, clock: Any
) -> None:
    awarded = procurement.contract()
    joiner_buyer, joiner = procurement.district("Melville")
    clock.moment = clock.moment.replace(year=2026, month=12, day=15)
    procurement.app.join_contract(joiner_buyer, awarded["contract_id"], joiner, 10, awarded["winner"][2])
    lead = awarded["consortium"]["lead"]
    procurement.app.amend_contract(lead, awarded["contract_id"], Decimal("36.00"), None, "Volume discount")
    procurement.publish(awarded["consortium"], awarded["providers"], title="Science", days=30)
    procurement.app.remove_consortium_member(
        awarded["consortium"]["buyers"][2], awarded["consortium"]["id"], awarded["consortium"]["districts"][2]
    )
    procurement.services.runner.catch_up()
    incremental = snapshot(procurement.services.engines.reader)
    assert all(incremental[name] for name in PROCUREMENT_TABLES)

    procurement.services.runner.rebuild()
    assert snapshot(procurement.services.engines.reader) == incremental
