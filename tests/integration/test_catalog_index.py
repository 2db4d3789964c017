"""The catalog index each web process holds stays equal to one loaded afresh, change after change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import projections.catalog_index as catalog_index
from events.types import (
    Delivery,
    GradeBand,
    ModelType,
    PriceUnit,
    Pricing,
    PrivacyAgreementKind,
    PrivacyScope,
    Role,
    Subject,
)
from projections.catalog_index import CatalogIndex
from projections.search import CatalogQuery, search_catalog
from tests.integration.builders import provider_with_offerings

TODAY = date(2026, 11, 2)
QUERIES = (
    CatalogQuery(),
    CatalogQuery(q="orchard"),
    CatalogQuery(q="algebra mastery", sort="relevance"),
    CatalogQuery(subject=("math", "science")),
    CatalogQuery(q="math", grade_band=("6_8",), sort="price"),
    CatalogQuery(sort="title"),
    CatalogQuery(sort="price_desc", per_page=2, page=2),
    CatalogQuery(designation=("Approved model",)),
    CatalogQuery(privacy_state=("MT",)),
)


def _results(services: Any, index: CatalogIndex) -> list[Any]:
    found = []
    with services.engines.reader.connect() as conn:
        for query in QUERIES:
            result = search_catalog(conn, CatalogQuery(**{**query.__dict__, "today": TODAY}), index)
            found.append(([item["id"] for item in result.items], result.total, result.facets))
    return found


class Loads:
    """Counts the index's full loads and refreshes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.loads = 0
        self.refreshes = 0
        load, refresh = catalog_index.load, catalog_index.refresh

        def counted_load(*args: Any) -> Any:
            self.loads += 1
            return load(*args)

        def counted_refresh(*args: Any) -> Any:
            self.refreshes += 1
            return refresh(*args)

        monkeypatch.setattr(catalog_index, "load", counted_load)
        monkeypatch.setattr(catalog_index, "refresh", counted_refresh)


def test_an_index_kept_current_by_refreshes_equals_an_index_loaded_afresh_after_every_change(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, runner = services.app, services.runner
    account, provider_id, offerings = provider_with_offerings(
        app, 1, "Prairie Learning", ("Algebra Mastery", "Geometry Studio", "Fractions Lab")
    )
    other, _, other_offerings = provider_with_offerings(app, 2, "Summit Schools", ("Algebra Bridge",))
    authority, _ = app.open_account(None, Role.AUTHORITY, "State office")
    kept = CatalogIndex()
    loads = Loads(monkeypatch)

    def step() -> None:
        runner.catch_up()
        assert _results(services, kept) == _results(services, CatalogIndex())

    step()
    assert _results(services, kept)[1][1] == 0  # nobody says "orchard" yet

    app.revise_offering(
        account, offerings[1], {"title": "Orchard Geometry Studio", "subjects": [Subject.SCIENCE]}
    )
    step()
    assert _results(services, kept)[1][1] == 1  # the new word is found at once

    app.withdraw_offering(account, offerings[2], "Retired")
    step()
    # Titles equal but for case, and equal outright: title order breaks the ties by exact title,
    # then id, in a kept index as in a fresh one.
    provider_with_offerings(app, 3, "Orchard Valley", ("algebra mastery", "Algebra Mastery", "Algebra Mastery"))
    step()
    drafted = app.draft_offering(account, {"title": "Orchard Algebra"})  # a draft: never listed
    step()
    app.revise_offering(account, drafted.id, {"summary": "Algebra in the orchard"})
    step()
    designation = app.issue_designation(
        app.get_account(authority.id),
        other_offerings[0],
        name="Approved model",
        issuer="State office",
        criteria_url="https://state.example.gov/criteria",
        valid_from=date(2026, 1, 1),
    )
    step()
    assert _results(services, kept)[7][1] == 1
    app.revoke_designation(app.get_account(authority.id), designation.id, "Criteria changed")
    step()
    app.record_privacy_agreement(
        account,
        provider_id,
        scope=PrivacyScope.STATE,
        kind=PrivacyAgreementKind.STATE_MODEL,
        signed_on=date(2026, 1, 15),
        document_url="https://prairie.example.com/mt-dpa.pdf",
        state="MT",
    )
    step()
    assert _results(services, kept)[8][1] == 2  # the provider's two listed offerings

    assert loads.loads == 1 + 9  # one for the kept index, one per fresh index
    assert loads.refreshes == 8  # every change after the first load was read as a change

    runner.reset(["catalog"])  # a rebuild begins: the catalog's position goes back to zero
    assert _results(services, kept)[0][1] == 0  # the kept index follows it back: loaded again
    assert loads.loads == 1 + 9 + 1
    step()  # and the replay reaches it as changes, until it equals a fresh load again
    assert loads.refreshes == 9


class Asked:
    """Records what searches ask the database: words in full, and words about changed offerings."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        import projections.search as search

        self.full: list[str] = []
        self.again: list[tuple[str, int]] = []
        find_term, find_term_again = search.find_term, search.find_term_again

        def counted(conn: Any, snapshot: Any, term: str) -> Any:
            self.full.append(term)
            return find_term(conn, snapshot, term)

        def counted_again(conn: Any, snapshot: Any, term: str, known: Any, changed: Any) -> Any:
            self.again.append((term, int(changed.size)))
            return find_term_again(conn, snapshot, term, known, changed)

        monkeypatch.setattr(search, "find_term", counted)
        monkeypatch.setattr(search, "find_term_again", counted_again)


def _total_found(services: Any, index: CatalogIndex, q: str) -> int:
    """The catalog caught up, how many offerings a search for ``q`` finds through ``index``."""
    services.runner.catch_up()
    with services.engines.reader.connect() as conn:
        return search_catalog(conn, CatalogQuery(q=q, today=TODAY), index).total


def test_what_searches_learnt_about_a_word_survives_drafts_and_a_publication_asks_about_it_alone(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, runner = services.app, services.runner
    account, _, (listed,) = provider_with_offerings(app, 1, "Prairie Learning", ("Algebra Mastery",))
    asked = Asked(monkeypatch)
    index = CatalogIndex()

    def total(q: str) -> int:
        return _total_found(services, index, q)

    assert total("algebra") == 1
    assert total("algebra") == 1
    assert asked.full == ["algebra"]  # asked of the database once

    draft = app.draft_offering(account, {"title": "Algebra Draft"})
    assert total("algebra") == 1
    assert (asked.full, asked.again) == (["algebra"], [])  # a draft changed no published text

    completed = {
        "summary": "Algebra",
        "description": "Algebra for all.",
        "model_type": ModelType.COURSE,
        "subjects": [Subject.MATH],
        "grade_bands": [GradeBand.GRADES_6_8],
        "delivery": Delivery.ONLINE,
        "pricing": Pricing(PriceUnit.PER_STUDENT_PER_YEAR, Decimal("10.00")),
    }
    app.publish_offering(account, app.revise_offering(account, draft.id, completed).id)
    assert total("algebra") == 2  # published: found
    assert (asked.full, asked.again) == (["algebra"], [("algebra", 1)])  # asked about it alone

    app.revise_offering(account, listed, {"title": "Geometry Mastery", "summary": "Shapes"})
    assert total("algebra") == 1  # the word left the listed offering's text: no longer found
    assert total("geometry") == 1
    app.withdraw_offering(account, draft.id, "Retired")
    assert total("algebra") == 0  # withdrawn: no longer listed, no longer found
    assert asked.full == ["algebra", "geometry"]
    assert asked.again == [("algebra", 1), ("algebra", 1), ("algebra", 1)]


def test_a_word_is_asked_again_in_full_when_too_many_offerings_or_versions_changed_since(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import projections.search as search

    app, runner = services.app, services.runner
    account, _, offerings = provider_with_offerings(
        app, 1, "Prairie Learning", tuple(f"Algebra {n}" for n in range(4))
    )
    asked = Asked(monkeypatch)
    monkeypatch.setitem(search.REASK_AT_MOST, services.engines.reader.dialect.name, 2)
    monkeypatch.setattr(catalog_index, "TEXT_CHANGES_KEPT", (2, 100))
    index = CatalogIndex()

    def total(q: str) -> int:
        return _total_found(services, index, q)

    assert total("orchard") == 0
    for offering in offerings[:3]:  # three offerings changed: more than 2 to ask about one by one
        app.revise_offering(account, offering, {"summary": "Orchard math"})
    runner.catch_up()  # seen by the index as one change of three offerings
    assert total("orchard") == 3
    assert (asked.full, asked.again) == (["orchard", "orchard"], [("orchard", 3)])

    for offering in offerings[:3]:  # three text versions, each seen by the index: more than 2 kept
        app.revise_offering(account, offering, {"summary": "Prairie math"})
        with services.engines.reader.connect() as conn:
            runner.catch_up()
            index.snapshot(conn)
    assert total("orchard") == 0
    assert asked.full == ["orchard", "orchard", "orchard"]  # the answer was too old: in full
    assert asked.again == [("orchard", 3)]
    assert total("prairie") == 4  # the provider's name, and three summaries
