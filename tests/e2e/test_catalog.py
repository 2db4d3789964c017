"""The public catalog through HTTP: what is listed, full text, filters, facets, sorting, paging."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from projections.search import FACETS
from tests.conftest import complete_offering

CATALOG = "/api/v1/catalog"

# Text with none of the words the tests search for, so each test decides where a word appears.
NEUTRAL_TEXT = {
    "title": "Reading Circle",
    "summary": "Guided reading groups.",
    "description": "Weekly lessons for small groups.",
}


def priced(list_price: str, unit: str = "per_student_per_year") -> dict[str, Any]:
    """Pricing without volume tiers, so any list price is valid."""
    return {"unit": unit, "list_price": list_price, "volume_tiers": []}


def evidence(tier: int) -> dict[str, Any]:
    return {
        "tier": tier,
        "study_url": f"https://evidence.example.org/t{tier}",
        "study_date": "2023-09-01",
    }


def draft(caller: Any, **overrides: Any) -> dict[str, Any]:
    response = caller.post("/api/v1/offerings", json=complete_offering(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def publish(caller: Any, offering: dict[str, Any]) -> dict[str, Any]:
    response = caller.post(f"/api/v1/offerings/{offering['id']}/publish")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def withdraw(caller: Any, offering: dict[str, Any]) -> dict[str, Any]:
    path = f"/api/v1/offerings/{offering['id']}/withdraw"
    response = caller.post(path, json={"reason": "retired"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def search(reader: Any, *writers: Any, **params: Any) -> dict[str, Any]:
    """The catalog as ``reader`` sees it once every writer's writes are in the read models."""
    for writer in writers:
        reader.sees(writer)
    response = reader.get(CATALOG, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def counts(page: dict[str, Any], facet: str) -> dict[str, int]:
    return {entry["value"]: entry["count"] for entry in page["facets"][facet]}


# What is listed ---------------------------------------------------------------------------------


def test_only_published_offerings_are_listed(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    draft(caller, title="Still A Draft")
    published = publish(caller, draft(caller, title="Listed Offering"))
    withdraw(caller, publish(caller, draft(caller, title="Withdrawn Offering")))

    page = search(anonymous, caller)

    assert ids(page) == [published["id"]]
    assert page["total"] == 1
    assert all(item["status"] == "published" for item in page["items"])


def test_a_withdrawn_offering_leaves_the_catalog_and_its_facet_counts(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    kept = publish(caller, draft(caller, **NEUTRAL_TEXT, subjects=["math"]))
    leaving = publish(
        caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Science"}, subjects=["science"])
    )
    before = search(anonymous, caller)
    assert set(ids(before)) == {kept["id"], leaving["id"]}
    assert counts(before, "subject") == {"math": 1, "science": 1}
    assert ids(search(anonymous, caller, q="orchard")) == [leaving["id"]]

    withdraw(caller, leaving)

    after = search(anonymous, caller)
    assert ids(after) == [kept["id"]]
    assert after["total"] == 1
    assert counts(after, "subject") == {"math": 1}
    assert search(anonymous, caller, q="orchard")["total"] == 0


# Full text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, text",
    [
        ("title", "Orchard Reading Circle"),
        ("summary", "Guided reading groups in the school orchard."),
        ("description", "Weekly lessons for small groups, held in an orchard."),
    ],
)
def test_full_text_finds_a_word_in_the_title_summary_or_description(
    provider: Any, anonymous: Any, field: str, text: str
) -> None:
    caller, _ = provider
    publish(caller, draft(caller, **NEUTRAL_TEXT))
    match = publish(caller, draft(caller, **{**NEUTRAL_TEXT, field: text}))

    page = search(anonymous, caller, q="orchard")

    assert ids(page) == [match["id"]]
    assert page["total"] == 1


def test_full_text_finds_a_word_in_the_providers_legal_name(
    make_provider: Any, anonymous: Any
) -> None:
    named, _ = make_provider(name="Quillwort Learning Cooperative")
    other, _ = make_provider(name="Prairie Learning Collaborative")
    match = publish(named, draft(named, **NEUTRAL_TEXT))
    publish(other, draft(other, **NEUTRAL_TEXT))

    page = search(anonymous, named, other, q="quillwort")

    assert ids(page) == [match["id"]]
    assert page["items"][0]["provider"]["name"] == "Quillwort Learning Cooperative"


def test_full_text_matches_a_prefix_of_a_word(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    publish(caller, draft(caller, **NEUTRAL_TEXT))
    match = publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchestra Studio"}))

    page = search(anonymous, caller, q="orch")

    assert ids(page) == [match["id"]]


def test_full_text_needs_every_word_of_the_query(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Reading"}))
    both = publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Telescope Reading"}))

    page = search(anonymous, caller, q="telescope orchard")

    assert ids(page) == [both["id"]]


def _orchard_and_telescope(caller: Any, **orchard: Any) -> dict[str, Any]:
    """Two published offerings, "Orchard Studio" (with ``orchard``'s details) and "Telescope
    Studio", whose texts hold no common word ("the", "for", "with") nor a word beginning with
    one; the orchard one."""
    plain_text = {**NEUTRAL_TEXT, "description": "Weekly lessons."}
    found = publish(caller, draft(caller, **{**plain_text, "title": "Orchard Studio", **orchard}))
    publish(caller, draft(caller, **{**plain_text, "title": "Telescope Studio"}))
    return found


def test_full_text_ignores_common_english_words_on_either_database(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    orchard = _orchard_and_telescope(caller)

    page = search(anonymous, caller, q="the orchard for with")

    assert ids(page) == [orchard["id"]]
    assert search(anonymous, q="orchard the") == page
    assert search(anonymous, q="the")["total"] == 2  # narrows nothing


def test_common_words_never_push_a_real_word_out_and_too_many_words_are_refused(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    orchard = _orchard_and_telescope(caller)

    padded = search(anonymous, caller, q=" ".join(["the"] * 15 + ["orchard"]))
    assert ids(padded) == [orchard["id"]]

    thirteen = " ".join(f"word{n}" for n in range(13))
    response = anonymous.get("/api/v1/catalog", query_string={"q": thirteen})
    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]["query"]


def test_full_text_splits_words_at_punctuation_alike_on_either_database(
    provider: Any, anonymous: Any
) -> None:
    """PostgreSQL's own parser keeps "-12" of "9-12" and "x.org" whole; SQLite splits them."""
    caller, _ = provider
    ranged = _orchard_and_telescope(caller, summary="For grades 9-12; write to info@x.org.")

    for q in ("12", "9-12", "grades 9-12", "org", "info@x.org"):
        assert ids(search(anonymous, caller, q=q)) == [ranged["id"]], q


def test_full_text_with_no_match_finds_nothing(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    publish(caller, draft(caller, **NEUTRAL_TEXT))

    page = search(anonymous, caller, q="xylophone")

    assert page["total"] == 0
    assert page["items"] == []


# Filters ----------------------------------------------------------------------------------------


def test_the_subject_filter_keeps_offerings_with_any_of_the_subjects(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    math = publish(caller, draft(caller, subjects=["math"]))
    science = publish(caller, draft(caller, subjects=["science", "computer_science"]))
    publish(caller, draft(caller, subjects=["ela"]))

    page = search(anonymous, caller, subject=["math", "science"])

    assert set(ids(page)) == {math["id"], science["id"]}
    assert page["total"] == 2


def test_the_grade_band_filter_keeps_offerings_for_any_of_the_bands(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    early = publish(caller, draft(caller, grade_bands=["k_2"]))
    high = publish(caller, draft(caller, grade_bands=["9_12", "adult"]))
    publish(caller, draft(caller, grade_bands=["3_5", "6_8"]))

    assert ids(search(anonymous, caller, grade_band="9_12")) == [high["id"]]
    either = search(anonymous, caller, grade_band=["k_2", "adult"])
    assert set(ids(either)) == {early["id"], high["id"]}


def test_the_model_type_filter_keeps_offerings_of_that_type(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    tool = publish(caller, draft(caller, model_type="tool"))
    publish(caller, draft(caller, model_type="course"))
    publish(caller, draft(caller, model_type="whole_school"))

    page = search(anonymous, caller, model_type="tool")

    assert ids(page) == [tool["id"]]
    assert page["items"][0]["model_type"] == "tool"


def test_the_delivery_filter_keeps_offerings_delivered_that_way(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    online = publish(caller, draft(caller, delivery="online"))
    in_person = publish(caller, draft(caller, delivery="in_person"))
    publish(caller, draft(caller, delivery="blended"))

    assert ids(search(anonymous, caller, delivery="online")) == [online["id"]]
    assert set(ids(search(anonymous, caller, delivery=["online", "in_person"]))) == {
        online["id"],
        in_person["id"],
    }


def test_the_interoperability_filter_needs_every_standard_named(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    lti_only = publish(caller, draft(caller, interoperability=["lti_1_3"]))
    both = publish(caller, draft(caller, interoperability=["lti_1_3", "oneroster", "ed_fi"]))
    publish(caller, draft(caller, interoperability=["oneroster"]))

    assert ids(search(anonymous, caller, interoperability=["lti_1_3", "oneroster"])) == [both["id"]]
    lti = search(anonymous, caller, interoperability="lti_1_3")
    assert set(ids(lti)) == {lti_only["id"], both["id"]}


def test_the_evidence_tier_filter_keeps_any_of_the_tiers(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    strong = publish(caller, draft(caller, evidence=evidence(1)))
    moderate = publish(caller, draft(caller, evidence=evidence(2)))
    publish(caller, draft(caller, evidence=evidence(4)))
    publish(caller, draft(caller, evidence=None))

    page = search(anonymous, caller, evidence_tier=["1", "2"])

    assert set(ids(page)) == {strong["id"], moderate["id"]}


def test_the_evidence_tier_none_keeps_offerings_without_evidence(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    publish(caller, draft(caller, evidence=evidence(3)))
    without = publish(caller, draft(caller, evidence=None))
    strong = publish(caller, draft(caller, evidence=evidence(1)))

    only_none = search(anonymous, caller, evidence_tier="none")
    assert ids(only_none) == [without["id"]]
    assert only_none["items"][0]["evidence"] is None
    none_or_strong = search(anonymous, caller, evidence_tier=["none", "1"])
    assert set(ids(none_or_strong)) == {without["id"], strong["id"]}


def test_the_max_price_filter_includes_offerings_at_exactly_that_price(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    cheap = publish(caller, draft(caller, pricing=priced("10.00")))
    at_limit = publish(caller, draft(caller, pricing=priced("25.50")))
    publish(caller, draft(caller, pricing=priced("25.51")))
    publish(caller, draft(caller, pricing=priced("40.00")))

    page = search(anonymous, caller, max_price="25.50")

    assert set(ids(page)) == {cheap["id"], at_limit["id"]}
    assert all(Decimal(item["pricing"]["list_price"]) <= Decimal("25.50") for item in page["items"])


def test_the_price_unit_filter_keeps_offerings_priced_in_that_unit(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    per_school = publish(caller, draft(caller, pricing=priced("900.00", "per_school_per_year")))
    publish(caller, draft(caller, pricing=priced("30.00", "per_student_per_year")))
    publish(caller, draft(caller, pricing=priced("5000.00", "one_time")))

    page = search(anonymous, caller, price_unit="per_school_per_year")

    assert ids(page) == [per_school["id"]]


def test_filters_of_different_facets_all_apply(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    match = publish(caller, draft(caller, subjects=["math"], delivery="online"))
    publish(caller, draft(caller, subjects=["math"], delivery="blended"))
    publish(caller, draft(caller, subjects=["science"], delivery="online"))

    page = search(anonymous, caller, subject="math", delivery="online")

    assert ids(page) == [match["id"]]


# Facets -----------------------------------------------------------------------------------------


def test_every_facet_is_reported(published_offering: Any, provider: Any, anonymous: Any) -> None:
    published_offering()

    page = search(anonymous, provider[0])

    assert set(page["facets"]) == set(FACETS)
    assert all(page["facets"][name] for name in FACETS)  # one offering: a value in every facet


def _expected_facets(bodies: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    expected: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for body in bodies:
        expected["subject"].update(body["subjects"])
        expected["grade_band"].update(body["grade_bands"])
        expected["interoperability"].update(body["interoperability"])
        expected["model_type"][body["model_type"]] += 1
        expected["delivery"][body["delivery"]] += 1
        expected["price_unit"][body["pricing"]["unit"]] += 1
        tier = body["evidence"]["tier"] if body["evidence"] else None
        expected["evidence_tier"]["none" if tier is None else str(tier)] += 1
    return {name: dict(counter) for name, counter in expected.items()}


def test_facet_counts_agree_with_the_published_offerings(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    bodies = [
        complete_offering(
            subjects=["math", "science"], grade_bands=["6_8"], model_type="course",
            delivery="online", interoperability=["lti_1_3"], pricing=priced("20.00"),
            evidence=evidence(1),
        ),
        complete_offering(
            subjects=["math"], grade_bands=["6_8", "9_12"], model_type="tool", delivery="blended",
            interoperability=["lti_1_3", "oneroster"],
            pricing=priced("300.00", "per_teacher_per_year"), evidence=None,
        ),
        complete_offering(
            subjects=["ela"], grade_bands=["k_2"], model_type="tool", delivery="online",
            interoperability=[], pricing=priced("9000.00", "per_school_per_year"),
            evidence=evidence(3),
        ),
        complete_offering(
            subjects=["arts", "ela"], grade_bands=["3_5"], model_type="service",
            delivery="in_person", interoperability=["ed_fi"], pricing=priced("12.00"),
            evidence=None,
        ),
    ]
    for body in bodies:
        created = caller.post("/api/v1/offerings", json=body)
        assert created.status_code == 201, created.get_json()
        publish(caller, created.get_json())
    draft(caller, subjects=["health_pe"], model_type="whole_school")  # never counted

    page = search(anonymous, caller)

    assert page["total"] == len(bodies)
    assert {name: counts(page, name) for name in FACETS} == _expected_facets(bodies)


def test_facets_are_disjunctive_a_facets_own_filter_does_not_narrow_its_counts(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    publish(caller, draft(caller, subjects=["math"], model_type="course"))
    publish(caller, draft(caller, subjects=["math"], model_type="tool"))
    publish(caller, draft(caller, subjects=["science"], model_type="tool"))
    publish(caller, draft(caller, subjects=["ela"], model_type="service"))

    page = search(anonymous, caller, subject="math")

    assert page["total"] == 2
    assert counts(page, "subject") == {"math": 2, "science": 1, "ela": 1}
    assert counts(page, "model_type") == {"course": 1, "tool": 1}  # narrowed by subject=math


# Sorting ----------------------------------------------------------------------------------------

PRICES = ["30.00", "5.00", "120.00", "9.99", "29.99"]


def _publish_prices(caller: Any) -> None:
    for price in PRICES:
        publish(caller, draft(caller, pricing=priced(price)))


def _list_prices(page: dict[str, Any]) -> list[Decimal]:
    return [Decimal(item["pricing"]["list_price"]) for item in page["items"]]


def test_sorting_by_price_orders_by_list_price_ascending(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    _publish_prices(caller)

    page = search(anonymous, caller, sort="price")

    assert page["sort"] == "price"
    assert _list_prices(page) == sorted(Decimal(p) for p in PRICES)


def test_sorting_by_price_desc_orders_by_list_price_descending(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    _publish_prices(caller)

    page = search(anonymous, caller, sort="price_desc")

    assert page["sort"] == "price_desc"
    assert _list_prices(page) == sorted((Decimal(p) for p in PRICES), reverse=True)


def test_sorting_by_newest_puts_the_latest_published_first(
    clock: Any, provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    first, second, third = (draft(caller, title=f"{n} Drafted") for n in ("One", "Two", "Three"))
    publication_order = [publish(caller, o)["id"] for o in (third, first, second)]

    page = search(anonymous, caller, sort="newest")

    assert ids(page) == list(reversed(publication_order))


def test_without_words_the_default_sort_is_newest(
    clock: Any, provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    older = publish(caller, draft(caller, title="Older Listing"))
    newer = publish(caller, draft(caller, title="Newer Listing"))

    page = search(anonymous, caller)

    assert page["sort"] == "newest"
    assert ids(page) == [newer["id"], older["id"]]


def test_sorting_by_title_orders_alphabetically(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    titles = ["Cedar Reading", "Aspen Reading", "Birch Reading"]
    for title in titles:
        publish(caller, draft(caller, title=title))

    page = search(anonymous, caller, sort="title")

    assert [item["title"] for item in page["items"]] == sorted(titles)


def test_relevance_ranks_a_title_match_above_a_description_only_match(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    in_description = publish(
        caller, draft(caller, **{**NEUTRAL_TEXT, "description": "Lessons held in an orchard."})
    )
    in_title = publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Reading Circle"}))

    page = search(anonymous, caller, q="orchard", sort="relevance")

    assert page["sort"] == "relevance"
    assert ids(page) == [in_title["id"], in_description["id"]]


def test_relevance_ranks_by_the_field_holding_the_word_title_provider_summary_description(
    make_provider: Any, anonymous: Any
) -> None:
    plain, _ = make_provider(name="Prairie Learning Collaborative")
    named, _ = make_provider(name="Orchard Learning Cooperative")
    in_summary = publish(plain, draft(plain, **{**NEUTRAL_TEXT, "summary": "Reading in the orchard."}))
    in_description = publish(
        plain, draft(plain, **{**NEUTRAL_TEXT, "description": "Lessons held in an orchard."})
    )
    in_provider_name = publish(named, draft(named, **NEUTRAL_TEXT))
    in_title = publish(plain, draft(plain, **{**NEUTRAL_TEXT, "title": "Orchard Reading Circle"}))

    page = search(anonymous, plain, named, q="orchard", sort="relevance")

    assert ids(page) == [in_title["id"], in_provider_name["id"], in_summary["id"], in_description["id"]]


def test_relevance_weighs_a_rare_word_above_a_common_one(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    for n in range(4):  # "circle" is common, "orchard" is not
        publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": f"Reading Circle {n}"}))
    rare_in_title = publish(
        caller,
        draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Studio", "description": "A circle of peers."}),
    )
    common_in_title = publish(
        caller,
        draft(caller, **{**NEUTRAL_TEXT, "title": "Circle Studio", "description": "Held in an orchard."}),
    )

    page = search(anonymous, caller, q="orchard circle")

    assert ids(page) == [rare_in_title["id"], common_in_title["id"]]


def test_equally_relevant_offerings_come_newest_first(
    clock: Any, provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    older = publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Reading One"}))
    newer = publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Reading Two"}))

    page = search(anonymous, caller, q="orchard")

    assert ids(page) == [newer["id"], older["id"]]


def test_with_words_the_default_sort_is_relevance(provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    in_title = publish(caller, draft(caller, **{**NEUTRAL_TEXT, "title": "Orchard Reading Circle"}))
    publish(caller, draft(caller, **{**NEUTRAL_TEXT, "description": "Lessons held in an orchard."}))

    page = search(anonymous, caller, q="orchard")

    assert page["sort"] == "relevance"
    assert ids(page)[0] == in_title["id"]


def test_sorting_is_stable_ties_are_broken_by_id_so_pages_never_repeat_or_drop(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    created = [publish(caller, draft(caller, pricing=priced("15.00")))["id"] for _ in range(5)]
    anonymous.sees(caller)

    seen: list[str] = []
    for page_number in (1, 2, 3):
        seen += ids(search(anonymous, sort="price", per_page=2, page=page_number))

    assert seen == sorted(created)  # every tie, in id order, once
    assert ids(search(anonymous, sort="price", per_page=5)) == seen


# Paging -----------------------------------------------------------------------------------------


def test_pages_slice_the_results_and_together_hold_each_offering_once(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    created = {publish(caller, draft(caller, title=f"Listing {n}"))["id"] for n in range(5)}
    anonymous.sees(caller)

    pages = [search(anonymous, per_page=2, page=n) for n in (1, 2, 3, 4)]

    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert {p["total"] for p in pages} == {len(created)}
    assert [(p["page"], p["per_page"]) for p in pages] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    together = [offering_id for p in pages for offering_id in ids(p)]
    assert len(together) == len(set(together))
    assert set(together) == created
    assert together == ids(search(anonymous, per_page=5))


@pytest.mark.parametrize(
    "field, value",
    [
        ("per_page", "101"),
        ("per_page", "0"),
        ("page", "0"),
        ("page", "first"),
        ("subject", "astrology"),
        ("grade_band", "college"),
        ("interoperability", "scorm"),
        ("evidence_tier", "5"),
        ("max_price", "abc"),
        ("sort", "random"),
    ],
)
def test_an_invalid_query_value_is_refused_naming_the_field(
    anonymous: Any, field: str, value: str
) -> None:
    response = anonymous.get(CATALOG, query_string={field: value})

    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == 422
    assert body["error"] == "Unprocessable Entity"
    assert field in body["message"]
    assert set(body["errors"]) == {"query"}
    assert field in body["errors"]["query"]


def test_per_page_of_one_hundred_is_allowed(
    published_offering: Any, provider: Any, anonymous: Any
) -> None:
    published_offering()

    page = search(anonymous, provider[0], per_page=100)

    assert page["per_page"] == 100
    assert page["total"] == 1


def test_the_provider_list_finds_a_name_as_written_in_any_case_on_either_database(
    make_provider: Any, anonymous: Any
) -> None:
    _, energie = make_provider(name="Énergie Tutors")
    _, hundred = make_provider(name="100% Mastery Inc")
    make_provider(name="Prairie Learning Collaborative")
    last, _ = make_provider(name="Summit_Mastery Partners")
    anonymous.sees(last)

    def found(q: str) -> list[str]:
        response = anonymous.get("/api/v1/providers", query_string={"q": q, "per_page": 100})
        assert response.status_code == 200, response.get_json()
        return [p["id"] for p in response.get_json()["items"]]

    for q in ("énergie", "ÉNERGIE", "Énergie"):
        assert found(q) == [energie], q
    assert found("100%") == [hundred]  # % is a character here, not a wildcard
    assert found("%") == [hundred]
    assert len(found("_")) == 1  # only the name holding an underscore
