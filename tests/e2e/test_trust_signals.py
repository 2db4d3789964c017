"""Trust signals through HTTP, on SQLite and PostgreSQL.

Designations (PRODUCT rule 10) are labels an authority issues and revokes: shown on the offering
and in the catalog, counted in a facet, filtering only when a caller asks, and never changing what
the catalog lists, in which order, or who can propose and win. Privacy agreements (rule 11) show
per state in the catalog, filter it, and decide whether a contract's party district may grant the
provider access to its students' data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Caller, complete_offering

CATALOG = "/api/v1/catalog"
APPROVED = "Montana Approved Personalized Learning Model"
NO_EVIDENCE = object()


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def publish(caller: Caller, **overrides: Any) -> dict[str, Any]:
    created = ok(caller.post("/api/v1/offerings", json=complete_offering(**overrides)), 201)
    return ok(caller.post(f"/api/v1/offerings/{created['id']}/publish"))


def priced(list_price: str) -> dict[str, Any]:
    return {"unit": "per_student_per_year", "list_price": list_price, "volume_tiers": []}


def catalog(reader: Caller, *writers: Caller, **params: Any) -> dict[str, Any]:
    for writer in writers:
        reader.sees(writer)
    return ok(reader.get(CATALOG, query_string=params))


def designation_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": APPROVED,
        "issuer": "Montana Office of Public Instruction",
        "criteria_url": "https://opi.mt.example.gov/approved-models/criteria",
        "valid_from": "2026-09-01",
        "valid_until": "2027-08-31",
    }
    body.update(overrides)
    return body


def designate(authority: Caller, offering: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    path = f"/api/v1/offerings/{offering['id']}/designations"
    return ok(authority.post(path, json=designation_body(**overrides)), 201)


def without_labels(page: dict[str, Any]) -> dict[str, Any]:
    """The page as it would be with no designation anywhere: items without their labels, and
    every facet but the designation facet."""
    return {
        **page,
        "items": [{k: v for k, v in item.items() if k != "designations"} for item in page["items"]],
        "facets": {k: v for k, v in page["facets"].items() if k != "designation"},
    }


@pytest.fixture
def authority(make_account: Any) -> Caller:
    return make_account("authority")


@pytest.fixture
def shelf(clock: Any, make_provider: Any) -> tuple[Caller, list[dict[str, Any]]]:
    """Two providers, five published offerings with different prices, dates and text; returns
    the provider that wrote last (to read the catalog after every write) and the offerings."""
    first, _ = make_provider(name="Prairie Learning")
    second, _ = make_provider(name="Mesa Tutoring")
    offerings = []
    for caller, title, price, subjects, evidence in [
        (first, "Math Mastery Pathways", "42.00", ["math"], None),
        (second, "Algebra Math Studio", "19.50", ["math"], NO_EVIDENCE),
        (first, "Reading Circle", "7.25", ["ela"], None),
        (second, "Math Tutoring Online", "120.00", ["math", "science"], NO_EVIDENCE),
        (first, "Science Labs", "55.00", ["science"], None),
    ]:
        clock.advance(hours=1)
        details = {"title": title, "pricing": priced(price), "subjects": subjects}
        if evidence is NO_EVIDENCE:
            details["evidence"] = None
        offerings.append(publish(caller, **details))
    last_writer = max((first, second), key=lambda caller: caller.position or 0)
    return last_writer, offerings


# Designations: labels, never gates ----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "newest"}, {"sort": "price"}, {"sort": "price_desc"}, {"q": "math"}, {"q": "math", "sort": "relevance"}],
    ids=["default", "newest", "price", "price_desc", "q", "relevance"],
)
def test_a_designation_changes_nothing_in_the_default_catalog_but_its_label(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, anonymous: Caller, params: dict[str, Any]
) -> None:
    writer, offerings = shelf
    before = catalog(anonymous, writer, **params)
    # The designated offering is the one any ranking boost would move: the last one listed.
    last = before["items"][-1]

    issued = designate(authority, last)
    after = catalog(anonymous, authority, **params)

    assert without_labels(after) == without_labels(before)
    assert [item["id"] for item in after["items"]] == [item["id"] for item in before["items"]]
    assert after["total"] == before["total"] and after["sort"] == before["sort"]
    labelled = {item["id"]: item["designations"] for item in after["items"]}
    assert [label["id"] for label in labelled[last["id"]]] == [issued["id"]]
    assert all(not labels for item_id, labels in labelled.items() if item_id != last["id"])
    assert "designation" not in before["facets"]
    assert after["facets"]["designation"] == [{"value": APPROVED, "count": 1}]


def test_the_designation_shows_as_a_label_on_the_offering(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, anonymous: Caller
) -> None:
    _, offerings = shelf
    offering = offerings[2]

    issued = designate(authority, offering)

    assert issued["offering_id"] == offering["id"]
    assert issued["status"] == "active" and issued["revoked_at"] is None
    anonymous.sees(authority)
    assert ok(anonymous.get(f"/api/v1/designations/{issued['id']}")) == issued
    labels = ok(anonymous.get(f"/api/v1/offerings/{offering['id']}/designations"))
    assert labels["total"] == 1
    assert labels["items"] == [issued]
    card = next(i for i in catalog(anonymous)["items"] if i["id"] == offering["id"])
    assert card["designations"] == [{k: v for k, v in issued.items() if k != "offering_id"}]


def test_the_report_card_shows_the_designation_beside_the_outcomes_and_no_figure_changes(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, anonymous: Caller
) -> None:
    provider, offerings = shelf
    offering = offerings[2]
    path = f"/api/v1/offerings/{offering['id']}/report-card"
    before = ok(anonymous.sees(provider).get(path))
    assert before["designations"] == []

    issued = designate(authority, offering)
    anonymous.sees(authority)
    after = ok(anonymous.get(path))

    assert after["designations"] == [{k: v for k, v in issued.items() if k != "offering_id"}]
    assert {k: v for k, v in after.items() if k != "designations"} == {
        k: v for k, v in before.items() if k != "designations"
    }
    revoke = f"/api/v1/designations/{issued['id']}/revoke"
    ok(authority.post(revoke, json={"reason": "No longer meets criterion 3."}))
    anonymous.sees(authority)
    assert [label["status"] for label in ok(anonymous.get(path))["designations"]] == ["revoked"]


def test_the_catalog_filters_by_designation_only_when_asked(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, anonymous: Caller
) -> None:
    _, offerings = shelf
    designate(authority, offerings[1])
    designate(authority, offerings[3], name="Idaho Innovation Model", issuer="Idaho SDE")

    everything = catalog(anonymous, authority)
    approved = catalog(anonymous, designation=APPROVED)
    either = catalog(anonymous, designation=[APPROVED, "Idaho Innovation Model"])

    assert everything["total"] == len(offerings)
    assert [i["id"] for i in approved["items"]] == [offerings[1]["id"]]
    assert {i["id"] for i in either["items"]} == {offerings[1]["id"], offerings[3]["id"]}
    # Disjunctive, like every facet: its own filter does not narrow its counts.
    assert {f["value"]: f["count"] for f in approved["facets"]["designation"]} == {
        APPROVED: 1,
        "Idaho Innovation Model": 1,
    }


def test_a_designation_not_yet_valid_is_a_label_but_not_counted(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, anonymous: Caller
) -> None:
    _, offerings = shelf
    designate(authority, offerings[0], valid_from="2027-01-01", valid_until=None)

    page = catalog(anonymous, authority)

    card = next(i for i in page["items"] if i["id"] == offerings[0]["id"])
    assert [label["status"] for label in card["designations"]] == ["upcoming"]
    assert "designation" not in page["facets"]
    assert catalog(anonymous, designation=APPROVED)["total"] == 0


def test_the_providers_offerings_list_shows_each_label_with_its_status_as_the_catalog_does(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, anonymous: Caller
) -> None:
    _, offerings = shelf
    designate(authority, offerings[0])
    designate(authority, offerings[2], valid_from="2027-01-01", valid_until=None)
    provider_id = offerings[0]["provider"]["id"]  # offerings[2]'s too

    listed = ok(anonymous.sees(authority).get(f"/api/v1/providers/{provider_id}/offerings"))

    cards = {item["id"]: item["designations"] for item in catalog(anonymous)["items"]}
    labels = {item["id"]: item["designations"] for item in listed["items"]}
    assert [label["status"] for label in labels[offerings[0]["id"]]] == ["active"]
    assert [label["status"] for label in labels[offerings[2]["id"]]] == ["upcoming"]
    assert labels == {offering_id: cards[offering_id] for offering_id in labels}


@pytest.mark.parametrize("role", ["provider", "buyer", "admin", "evaluator"])
def test_only_an_authority_issues_a_designation(
    shelf: tuple[Caller, list[dict[str, Any]]], make_account: Any, anonymous: Caller, role: str
) -> None:
    writer, offerings = shelf
    path = f"/api/v1/offerings/{offerings[0]['id']}/designations"
    anonymous.sees(writer)

    refused = make_account(role).post(path, json=designation_body())

    assert refused.status_code == 403, refused.get_json()
    assert anonymous.post(path, json=designation_body()).status_code == 401
    assert ok(anonymous.get(path))["total"] == 0


def test_the_owning_provider_cannot_designate_its_own_offering(clock: Any, provider: Any) -> None:
    owner, _ = provider
    offering = publish(owner)

    path = f"/api/v1/offerings/{offering['id']}/designations"
    response = owner.post(path, json=designation_body())

    assert response.status_code == 403
    assert ok(owner.get(path))["total"] == 0


def test_a_designation_with_bad_dates_or_url_is_refused_naming_the_field(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller
) -> None:
    writer, offerings = shelf
    path = f"/api/v1/offerings/{offerings[0]['id']}/designations"

    backwards = authority.post(path, json=designation_body(valid_until="2026-08-31"))
    not_http = authority.post(path, json=designation_body(criteria_url="ftp://opi.example.gov/c"))

    assert backwards.status_code == 422 and "valid_until" in backwards.get_json()["errors"]["json"]
    assert not_http.status_code == 422 and "criteria_url" in not_http.get_json()["errors"]["json"]
    assert ok(authority.sees(writer).get(path))["total"] == 0


def test_revocation_records_the_reason_and_the_label_shows_revoked(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, make_account: Any, anonymous: Caller
) -> None:
    _, offerings = shelf
    issued = designate(authority, offerings[0])
    revoke = f"/api/v1/designations/{issued['id']}/revoke"

    assert make_account("authority").post(revoke, json={"reason": "Not mine to revoke."}).status_code == 403
    assert authority.post(revoke, json={}).status_code == 422
    revoked = ok(authority.post(revoke, json={"reason": "No longer meets criterion 3."}))

    assert revoked["status"] == "revoked"
    assert revoked["revocation_reason"] == "No longer meets criterion 3." and revoked["revoked_at"]
    assert authority.post(revoke, json={"reason": "Again."}).status_code == 409
    anonymous.sees(authority)
    assert ok(anonymous.get(f"/api/v1/designations/{issued['id']}")) == revoked
    page = catalog(anonymous)
    card = next(i for i in page["items"] if i["id"] == offerings[0]["id"])
    assert [(d["status"], d["revocation_reason"]) for d in card["designations"]] == [
        ("revoked", "No longer meets criterion 3.")
    ]
    assert page["total"] == len(offerings)  # still listed
    assert "designation" not in page["facets"]  # no active designation left to count


def test_an_admin_may_revoke_a_designation(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, admin: Caller
) -> None:
    _, offerings = shelf
    issued = designate(authority, offerings[0])

    revoked = ok(admin.post(f"/api/v1/designations/{issued['id']}/revoke", json={"reason": "Issued in error."}))

    assert revoked["status"] == "revoked"


# Proposing and awarding need no designation ---------------------------------------------------


def _consortium(make_account: Any, states: list[str]) -> dict[str, Any]:
    buyers, districts = [], []
    for n, state in enumerate(states):
        buyer = make_account("buyer")
        districts.append(
            ok(
                buyer.post(
                    "/api/v1/districts",
                    json={
                        "nces_id": f"30{n:05d}",
                        "name": f"District {n} of {state}",
                        "state": state,
                        "locale_code": 43,
                        "enrollment": 300,
                        "average_daily_attendance": 280,
                    },
                ),
                201,
            )
        )
        buyers.append(buyer)
    formed = ok(
        buyers[0].post(
            "/api/v1/consortia", json={"name": "Big Sky Cooperative", "lead_district_id": districts[0]["id"]}
        ),
        201,
    )
    for buyer, district in zip(buyers[1:], districts[1:]):
        ok(buyer.post(f"/api/v1/consortia/{formed['id']}/members", json={"district_id": district["id"]}))
    return {"id": formed["id"], "buyers": buyers, "districts": districts}


def test_an_offering_without_any_designation_is_proposed_and_awarded(
    clock: Any, make_account: Any, make_provider: Any, authority: Caller, app: Any
) -> None:
    coop = _consortium(make_account, ["MT", "MT", "MT"])
    lead = coop["buyers"][0]
    bidders = []
    for n in range(2):
        caller, _ = make_provider(name=f"Math Provider {n}")
        bidders.append((caller, publish(caller, title=f"Math Pathways {n}", pricing=priced("400.00"))))
    plain_caller, plain = bidders[0]
    designate(authority, bidders[1][1], valid_from="2026-01-01")  # the rival carries the label
    now = clock.moment
    solicitation = ok(
        lead.post(
            "/api/v1/solicitations",
            json={
                "consortium_id": coop["id"],
                "title": "Personalized middle-school math",
                "lines": [
                    {
                        "description": "Grades 6-8 math seats",
                        "category": "math",
                        "demand": [{"district_id": d["id"], "seats": 400} for d in coop["districts"]],
                    }
                ],
                "estimated_value": "480000.00",
                "criteria": [
                    {"name": "Price", "weight": 40, "is_price": True},
                    {"name": "Instructional approach", "weight": 60},
                ],
                "questions_due": (now + timedelta(days=7)).isoformat(),
                "proposals_due": (now + timedelta(days=21)).isoformat(),
            },
        ),
        201,
    )
    sid = solicitation["id"]
    ok(lead.post(f"/api/v1/solicitations/{sid}/publish"))
    evaluator = make_account("evaluator")
    evaluator_id = ok(evaluator.get("/api/v1/accounts/me"))["id"]
    ok(lead.post(f"/api/v1/solicitations/{sid}/evaluators", json={"account_id": evaluator_id}))
    proposals = [
        ok(
            caller.post(
                f"/api/v1/solicitations/{sid}/proposals",
                json={"offering_ids": [offering["id"]], "pricing": priced("390.00"), "narrative": "Mastery math."},
            ),
            201,
        )
        for caller, offering in bidders
    ]
    clock.advance(days=22)
    assert "closed 1 solicitation" in app.test_cli_runner().invoke(args=["procurement", "tick"]).output
    ok(evaluator.post(f"/api/v1/solicitations/{sid}/evaluation/attestation", json={"statement": "No conflict of interest."}), 201)
    for proposal, approach in zip(proposals, ["95", "60"]):  # the undesignated offering is better
        ok(
            evaluator.post(
                f"/api/v1/solicitations/{sid}/evaluation/scores",
                json={
                    "proposal_id": proposal["id"],
                    "scores": [
                        {"criterion": "Price", "points": "80"},
                        {"criterion": "Instructional approach", "points": approach},
                    ],
                },
            )
        )
    ranking = ok(lead.post(f"/api/v1/solicitations/{sid}/evaluation/complete"))["ranking"]
    assert ranking[0]["proposal_id"] == proposals[0]["id"]

    contract = ok(
        lead.post(
            f"/api/v1/solicitations/{sid}/award",
            json={
                "proposal_id": proposals[0]["id"],
                "contract_type": "fixed_unit_price",
                "method_rationale": "Above the simplified acquisition threshold: competitive proposals.",
                "selection_reason": "Highest weighted total against the published criteria.",
                "rejections": [{"proposal_id": proposals[1]["id"], "reason": "Lower weighted total."}],
                "price_basis": "Competitive proposals.",
                "cost_price_analysis": "Compared both proposals with each other and with list prices.",
                "term_start": (now + timedelta(days=60)).date().isoformat(),
                "term_end": (now + timedelta(days=424)).date().isoformat(),
            },
        ),
        201,
    )

    assert contract["offering_ids"] == [plain["id"]]
    assert ok(plain_caller.get(f"/api/v1/offerings/{plain['id']}/designations"))["total"] == 0
    signed = ok(plain_caller.post(f"/api/v1/contracts/{contract['id']}/sign", json={"signatory": "Dana Reyes"}))
    assert signed["status"] == "active"


# Privacy agreements -------------------------------------------------------------------------------


def agreement_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "scope": "state",
        "kind": "national_dpa",
        "state": "MT",
        "signed_on": "2026-08-15",
        "document_url": "https://privacy.example.org/ndpa/mt-signed.pdf",
    }
    body.update(overrides)
    return body


def record_agreement(caller: Caller, provider_id: str, **overrides: Any) -> dict[str, Any]:
    path = f"/api/v1/providers/{provider_id}/privacy-agreements"
    return ok(caller.post(path, json=agreement_body(**overrides)), 201)


@pytest.fixture
def purchase(clock: Any, make_account: Any, make_provider: Any) -> dict[str, Any]:
    """A signed direct purchase for a consortium of a Montana and an Idaho district."""
    coop = _consortium(make_account, ["MT", "ID"])
    caller, provider_id = make_provider(name="Prairie Learning")
    offering = publish(caller, pricing=priced("40.00"))
    contract = ok(
        coop["buyers"][0].post(
            "/api/v1/direct-purchases",
            json={
                "offering_id": offering["id"],
                "consortium_id": coop["id"],
                "demand": [{"district_id": d["id"], "seats": 100} for d in coop["districts"]],
                "price_reasonableness": "Catalog list price, below comparable offerings.",
                "term_start": "2026-12-01",
                "term_end": "2027-11-30",
            },
        ),
        201,
    )
    ok(caller.post(f"/api/v1/contracts/{contract['id']}/sign", json={"signatory": "Dana Reyes"}))
    return {**coop, "provider": caller, "provider_id": provider_id, "offering": offering, "contract": contract}


def privacy_of(caller: Caller, contract_id: str) -> dict[str, dict[str, Any]]:
    contract = ok(caller.get(f"/api/v1/contracts/{contract_id}"))
    return {entry["district_id"]: entry for entry in contract["privacy"]}


def grant(caller: Caller, contract_id: str, district_id: str) -> Any:
    return caller.post(f"/api/v1/contracts/{contract_id}/student-data-access", json={"district_id": district_id})


def test_the_catalog_shows_privacy_status_per_state_and_filters_by_it(
    clock: Any, make_provider: Any, make_account: Any, anonymous: Caller
) -> None:
    covered_caller, covered_id = make_provider(name="Prairie Learning")
    other_caller, _ = make_provider(name="Mesa Tutoring")
    covered = publish(covered_caller, title="Covered Math")
    uncovered = publish(other_caller, title="Uncovered Math")
    district = _consortium(make_account, ["ID"])["districts"][0]
    record_agreement(covered_caller, covered_id)
    record_agreement(covered_caller, covered_id, state="WY", kind="state_model")
    record_agreement(covered_caller, covered_id, scope="district", kind="district_terms", state=None, district_id=district["id"])

    page = catalog(anonymous, covered_caller)
    montana = catalog(anonymous, privacy_state="MT")
    either = catalog(anonymous, privacy_state=["WY", "ND"])
    nowhere = catalog(anonymous, privacy_state="ND")

    cards = {item["id"]: item for item in page["items"]}
    assert cards[covered["id"]]["privacy"] == {"states": ["MT", "WY"], "districts": 1}
    assert cards[uncovered["id"]]["privacy"] == {"states": [], "districts": 0}
    assert page["total"] == 2  # never a default filter
    assert [i["id"] for i in montana["items"]] == [covered["id"]]
    assert [i["id"] for i in either["items"]] == [covered["id"]]
    assert nowhere["total"] == 0
    assert page["facets"]["privacy_state"] == [{"value": "MT", "count": 1}, {"value": "WY", "count": 1}]
    assert montana["facets"]["privacy_state"] == page["facets"]["privacy_state"]  # disjunctive
    bad = anonymous.get(CATALOG, query_string={"privacy_state": "Montana"})
    assert bad.status_code == 422 and "privacy_state" in bad.get_json()["errors"]["query"]


def test_a_providers_agreements_are_listed_as_recorded(
    clock: Any, make_provider: Any, anonymous: Caller
) -> None:
    caller, provider_id = make_provider()
    recorded = record_agreement(caller, provider_id, expires_on="2029-06-30")

    listed = ok(anonymous.sees(caller).get(f"/api/v1/providers/{provider_id}/privacy-agreements"))

    assert listed["items"] == [recorded]
    assert recorded["in_force"] is True and recorded["provider_id"] == provider_id


def test_only_the_providers_own_accounts_record_its_agreements(
    clock: Any, make_provider: Any, make_account: Any, admin: Caller
) -> None:
    _, provider_id = make_provider(name="Prairie Learning")
    stranger, _ = make_provider(name="Mesa Tutoring")
    path = f"/api/v1/providers/{provider_id}/privacy-agreements"

    assert stranger.post(path, json=agreement_body()).status_code == 403
    assert make_account("buyer").post(path, json=agreement_body()).status_code == 403
    assert admin.post(path, json=agreement_body()).status_code == 403
    assert ok(admin.sees(stranger).get(path))["total"] == 0


def test_an_agreement_that_breaks_a_rule_is_refused_naming_the_field(clock: Any, make_provider: Any) -> None:
    caller, provider_id = make_provider()
    path = f"/api/v1/providers/{provider_id}/privacy-agreements"

    future = caller.post(path, json=agreement_body(signed_on="2026-12-01"))
    adoption = caller.post(path, json=agreement_body(scope="district", kind="adoption", state=None, district_id=None))

    assert future.status_code == 422 and "signed_on" in future.get_json()["errors"]["json"]
    assert adoption.status_code == 422 and "district_id" in adoption.get_json()["errors"]["json"]
    assert ok(caller.get(path))["total"] == 0


def test_an_uncovered_district_is_flagged_and_refused_until_the_provider_records_an_agreement(
    purchase: dict[str, Any], make_provider: Any
) -> None:
    contract_id = purchase["contract"]["id"]
    montana, idaho = purchase["districts"]
    montana_buyer, idaho_buyer = purchase["buyers"]
    provider, provider_id = purchase["provider"], purchase["provider_id"]

    flags = privacy_of(montana_buyer, contract_id)
    assert {d: (s["covered"], s["flagged"], s["student_data_access"]) for d, s in flags.items()} == {
        montana["id"]: (False, True, "not_granted"),
        idaho["id"]: (False, True, "not_granted"),
    }
    refused = grant(idaho_buyer, contract_id, idaho["id"])
    assert refused.status_code == 409 and "district_id" in refused.get_json()["errors"]["json"]

    # Another provider's agreement covering Idaho does not count.
    rival, rival_id = make_provider(name="Mesa Tutoring")
    record_agreement(rival, rival_id, state="ID")
    assert privacy_of(idaho_buyer, contract_id)[idaho["id"]]["flagged"] is True
    assert grant(idaho_buyer, contract_id, idaho["id"]).status_code == 409

    # A Montana state agreement clears Montana only.
    state_agreement = record_agreement(provider, provider_id)
    flags = privacy_of(montana_buyer, contract_id)
    assert flags[montana["id"]]["covered"] is True and flags[montana["id"]]["agreement_id"] == state_agreement["id"]
    assert flags[idaho["id"]]["flagged"] is True
    granted = ok(grant(montana_buyer, contract_id, montana["id"]))
    assert {s["district_id"]: s["student_data_access"] for s in granted["privacy"]} == {
        montana["id"]: "granted",
        idaho["id"]: "not_granted",
    }
    assert grant(idaho_buyer, contract_id, idaho["id"]).status_code == 409

    # Idaho adopts terms the provider signed with Montana's district: its own district agreement.
    record_agreement(provider, provider_id, **montana_district_terms(montana))
    record_agreement(
        provider,
        provider_id,
        scope="district",
        kind="adoption",
        state=None,
        district_id=idaho["id"],
        adopted_from_district_id=montana["id"],
    )
    assert privacy_of(idaho_buyer, contract_id)[idaho["id"]]["flagged"] is False
    granted = ok(grant(idaho_buyer, contract_id, idaho["id"]))
    assert all(s["student_data_access"] == "granted" and not s["flagged"] for s in granted["privacy"])


def montana_district_terms(montana: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The Montana district's own terms with the provider, which another district may adopt."""
    terms = {"scope": "district", "kind": "district_terms", "state": None}
    return {**terms, "district_id": montana["id"], **overrides}


def idaho_adoption(purchase: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    montana, idaho = purchase["districts"]
    return agreement_body(
        scope="district",
        kind="adoption",
        state=None,
        district_id=idaho["id"],
        adopted_from_district_id=montana["id"],
        **overrides,
    )


def test_an_adoption_of_terms_the_provider_never_signed_with_that_district_is_refused(
    purchase: dict[str, Any], services: Any, anonymous: Caller
) -> None:
    contract_id = purchase["contract"]["id"]
    _, idaho = purchase["districts"]
    provider, provider_id = purchase["provider"], purchase["provider_id"]
    path = f"/api/v1/providers/{provider_id}/privacy-agreements"
    state_agreement = record_agreement(provider, provider_id)  # Montana's state, not its district
    head = services.runner.head()

    refused = provider.post(path, json=idaho_adoption(purchase))

    assert refused.status_code == 422, refused.get_json()
    assert set(refused.get_json()["errors"]["json"]) == {"adopted_from_district_id"}
    assert services.runner.head() == head  # nothing recorded
    assert ok(anonymous.sees(provider).get(path))["items"] == [state_agreement]
    assert privacy_of(purchase["buyers"][1], contract_id)[idaho["id"]]["flagged"] is True
    assert grant(purchase["buyers"][1], contract_id, idaho["id"]).status_code == 409


def test_an_adoption_ends_with_the_terms_it_adopts(purchase: dict[str, Any]) -> None:
    montana, _ = purchase["districts"]
    provider, provider_id = purchase["provider"], purchase["provider_id"]
    path = f"/api/v1/providers/{provider_id}/privacy-agreements"
    montana_terms = montana_district_terms(montana, expires_on="2027-06-30")
    record_agreement(provider, provider_id, **montana_terms)

    too_long = provider.post(path, json=idaho_adoption(purchase, expires_on="2027-07-01"))
    adopted = ok(provider.post(path, json=idaho_adoption(purchase)), 201)

    assert too_long.status_code == 422
    assert set(too_long.get_json()["errors"]["json"]) == {"expires_on"}
    assert adopted["expires_on"] == "2027-06-30" and adopted["in_force"] is True


def test_only_a_buyer_of_that_party_district_grants_access(purchase: dict[str, Any]) -> None:
    contract_id = purchase["contract"]["id"]
    montana, idaho = purchase["districts"]
    record_agreement(purchase["provider"], purchase["provider_id"])

    assert grant(purchase["buyers"][1], contract_id, montana["id"]).status_code == 403
    assert grant(purchase["provider"], contract_id, montana["id"]).status_code == 403
    status = privacy_of(purchase["buyers"][0], contract_id)[montana["id"]]
    assert status["student_data_access"] == "not_granted"


def test_an_expired_agreement_does_not_count(
    clock: Any, purchase: dict[str, Any], anonymous: Caller
) -> None:
    contract_id = purchase["contract"]["id"]
    montana, _ = purchase["districts"]
    montana_buyer = purchase["buyers"][0]
    record_agreement(purchase["provider"], purchase["provider_id"], expires_on="2026-12-31")
    ok(grant(montana_buyer, contract_id, montana["id"]))
    assert catalog(anonymous, purchase["provider"], privacy_state="MT")["total"] == 1

    clock.advance(days=60)  # 2027-01-01 and later: past the last day covered

    status = privacy_of(montana_buyer, contract_id)[montana["id"]]
    assert (status["covered"], status["flagged"], status["student_data_access"]) == (False, True, "suspended")
    assert catalog(anonymous, privacy_state="MT")["total"] == 0
    card = catalog(anonymous)["items"][0]
    assert card["privacy"] == {"states": [], "districts": 0}
    listed = ok(anonymous.get(f"/api/v1/providers/{purchase['provider_id']}/privacy-agreements"))
    assert [a["in_force"] for a in listed["items"]] == [False]


# Replays and rebuilds ---------------------------------------------------------------------------


def test_a_retried_agreement_or_designation_is_recorded_once(
    shelf: tuple[Caller, list[dict[str, Any]]], authority: Caller, make_provider: Any, anonymous: Caller
) -> None:
    _, offerings = shelf
    caller, provider_id = make_provider(name="Retrying Provider")
    retry = {"Idempotency-Key": "agreement-1"}
    agreements = f"/api/v1/providers/{provider_id}/privacy-agreements"
    designations = f"/api/v1/offerings/{offerings[0]['id']}/designations"

    first = caller.post(agreements, json=agreement_body(), headers=retry)
    again = caller.post(agreements, json=agreement_body(), headers=retry)
    issued = authority.post(designations, json=designation_body(), headers=retry)
    reissued = authority.post(designations, json=designation_body(), headers=retry)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert reissued.headers["Idempotent-Replayed"] == "true" and reissued.get_json() == issued.get_json()
    anonymous.sees(caller).sees(authority)
    assert ok(anonymous.get(agreements))["items"] == [first.get_json()]
    assert ok(anonymous.get(designations))["items"] == [issued.get_json()]


def test_rebuilding_the_catalog_from_zero_reproduces_its_trust_signals(
    shelf: tuple[Caller, list[dict[str, Any]]],
    authority: Caller,
    make_provider: Any,
    anonymous: Caller,
    services: Any,
) -> None:
    _, offerings = shelf
    revoked = designate(authority, offerings[0])
    ok(authority.post(f"/api/v1/designations/{revoked['id']}/revoke", json={"reason": "Withdrawn."}))
    designate(authority, offerings[1])
    caller, provider_id = make_provider(name="Signed Provider")
    publish(caller, title="Signed Math")
    record_agreement(caller, provider_id)
    before = catalog(anonymous, authority, caller, privacy_state="MT")
    full_before = catalog(anonymous)

    services.runner.rebuild(["catalog"])

    assert catalog(anonymous, privacy_state="MT") == before
    assert catalog(anonymous) == full_before
    assert ok(anonymous.get(f"/api/v1/designations/{revoked['id']}"))["status"] == "revoked"
