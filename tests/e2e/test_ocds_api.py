"""Through HTTP, on the demo data: every page of release packages and of record packages is valid
against the official OCDS 1.1.5 schemas (read from ``../shared/ocds-1.1.5/``), every published
demo solicitation has its record, and the output is byte-stable, a rebuild included."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from projections import ocds_queries
from projections.ocds import DEFAULT_OCID_PREFIX
from projections.tables import contracts, solicitations
from tests.integration.test_ocds import codelist_errors, schema_errors

RELEASES = "/api/v1/ocds/releases"
RECORDS = "/api/v1/ocds/records"
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


@pytest.fixture
def demo(app: Any, services: Any) -> Any:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return services


def _links(response: Any) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers["Link"])}


def _pages(client: Any, path: str) -> list[Any]:
    """Every page of a paged OCDS endpoint, following the ``next`` links from ``path``."""
    responses = []
    url: str | None = path
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        responses.append(response)
        url = _links(response).get("next")
    assert len(responses) < 100
    return responses


def test_every_page_of_release_packages_is_valid_ocds_with_every_release_once(
    demo: Any, client: Any
) -> None:
    pages = _pages(client, f"{RELEASES}?per_page=7")
    total = int(pages[0].headers["X-Total-Count"])
    assert len(pages) == -(-total // 7) > 1

    releases = []
    for response in pages:
        package = response.get_json()
        assert schema_errors(package, "release-package-schema.json") == []
        assert package["version"] == "1.1" and package["uri"] == response.request.url
        assert package["publisher"] == {"name": "Cooperative procurement marketplace"}
        dates = [datetime.fromisoformat(r["date"]) for r in package["releases"]]
        assert dates == sorted(dates)
        assert datetime.fromisoformat(package["publishedDate"]) == max(dates)
        for release in package["releases"]:
            assert codelist_errors(release) == []
        releases += package["releases"]
    ids = [r["id"] for r in releases]
    assert len(ids) == len(set(ids)) == total
    tags = {tag for release in releases for tag in release["tag"]}
    assert tags >= {"tender", "tenderUpdate", "tenderCancellation", "award", "contractAmendment"}


def test_every_page_of_record_packages_is_valid_ocds_and_each_published_solicitation_has_a_record(
    demo: Any, client: Any
) -> None:
    records = []
    for response in _pages(client, f"{RECORDS}?per_page=3"):
        package = response.get_json()
        assert schema_errors(package, "record-package-schema.json") == []
        dates = [r["date"] for record in package["records"] for r in record["releases"]]
        newest = max(datetime.fromisoformat(d) for d in dates)
        assert datetime.fromisoformat(package["publishedDate"]) == newest
        records += package["records"]

    with demo.engines.reader.connect() as conn:
        published = conn.execute(
            select(solicitations.c.id).where(solicitations.c.status != "draft")
        ).scalars()
        direct = conn.execute(
            select(contracts.c.id).where(contracts.c.solicitation_id.is_(None))
        ).scalars()
        expected = {f"{DEFAULT_OCID_PREFIX}-{process_id}" for process_id in (*published, *direct)}
    assert len(expected) == 8  # seven published solicitations and a direct purchase
    firsts = [datetime.fromisoformat(r["releases"][0]["date"]) for r in records]
    assert firsts == sorted(firsts)  # in the order the processes were first published
    assert {r["ocid"] for r in records} == expected and len(records) == len(expected)
    for record in records:
        compiled = record["compiledRelease"]
        assert (compiled["ocid"], compiled["tag"]) == (record["ocid"], ["compiled"])
        assert compiled["date"] == record["releases"][-1]["date"]
        assert all(r["ocid"] == record["ocid"] for r in record["releases"])


def test_a_record_is_served_by_its_ocid_and_an_unknown_ocid_is_not_found(
    demo: Any, client: Any
) -> None:
    listed = client.get(f"{RECORDS}?per_page=100").get_json()["records"]
    for record in listed:
        response = client.get(f"{RECORDS}/{quote(record['ocid'])}")
        assert response.status_code == 200
        package = response.get_json()
        assert schema_errors(package, "record-package-schema.json") == []
        assert package["records"] == [record]
        assert package["publishedDate"] == record["releases"][-1]["date"]

    missing = client.get(f"{RECORDS}/{DEFAULT_OCID_PREFIX}-00000000-0000-0000-0000-000000000000")
    body = missing.get_json()
    assert missing.status_code == 404
    assert (body["status"], body["error"]) == (404, "Not Found")
    assert "no contracting process" in body["message"]


def test_releases_filter_by_date_from_inclusive_to_exclusive(demo: Any, client: Any) -> None:
    everything = client.get(f"{RELEASES}?per_page=100").get_json()["releases"]
    middle = everything[len(everything) // 2]["date"]
    moment = datetime.fromisoformat(middle)

    def when(release: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(release["date"])

    since = client.get(f"{RELEASES}?per_page=100&date_from={quote(middle)}")
    before = client.get(f"{RELEASES}?per_page=100&date_to={quote(middle)}")
    assert since.get_json()["releases"] == [r for r in everything if when(r) >= moment]
    assert before.get_json()["releases"] == [r for r in everything if when(r) < moment]
    counts = [int(r.headers["X-Total-Count"]) for r in (since, before)]
    assert sum(counts) == len(everything)
    assert 'date_from=' in _links(since)["first"]

    utc_day = middle[:10]
    naive = client.get(f"{RELEASES}?per_page=100&date_from={utc_day}T00:00:00")
    naive = naive.get_json()["releases"]
    assert naive == [r for r in everything if r["date"][:10] >= utc_day]

    none = client.get(f"{RELEASES}?date_from=2000-01-01T00:00:00Z&date_to=2000-01-02T00:00:00Z")
    assert (none.status_code, none.headers["X-Total-Count"]) == (200, "0")
    assert none.get_json()["releases"] == []
    assert client.get(f"{RELEASES}?date_from=yesterday").status_code == 422


def test_moments_at_the_ends_of_the_calendar_filter_as_themselves(demo: Any, client: Any) -> None:
    everything = client.get(f"{RELEASES}?per_page=100").get_json()["releases"]
    assert everything
    cases = {
        "date_from=0001-01-01T00:00:00%2B14:00": everything,  # before year 1 in UTC
        "date_to=0001-01-01T00:00:00%2B14:00": [],
        "date_to=9999-12-31T23:59:59-14:00": everything,  # after year 9999 in UTC
        "date_from=9999-12-31T23:59:59-14:00": [],
    }
    for query, kept in cases.items():
        response = client.get(f"{RELEASES}?per_page=100&{query}")
        assert response.status_code == 200, (query, response.get_json())
        assert response.get_json()["releases"] == kept, query


def test_a_date_range_that_ends_before_it_begins_is_refused_naming_date_to(client: Any) -> None:
    response = client.get(f"{RELEASES}?date_from=2026-12-31T00:00:00Z&date_to=2026-01-01T00:00:00Z")
    assert response.status_code == 422
    assert "date_to" in response.get_json()["errors"]["query"]


def test_packages_are_byte_stable_with_sorted_keys_across_requests_and_a_rebuild(
    app: Any, demo: Any, client: Any
) -> None:
    first = client.get(f"{RELEASES}?per_page=100")
    records = client.get(f"{RECORDS}?per_page=100")
    assert first.mimetype == "application/json"
    assert first.data == ocds_queries.serialize(json.loads(first.data)).encode()
    assert client.get(f"{RELEASES}?per_page=100").data == first.data

    rebuilt = app.test_cli_runner().invoke(args=["projections", "rebuild", "--name", "ocds"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert client.get(f"{RELEASES}?per_page=100").data == first.data
    assert client.get(f"{RECORDS}?per_page=100").data == records.data


def test_no_proposal_content_appears_and_an_open_solicitation_names_no_tenderer(
    demo: Any, client: Any
) -> None:
    releases = client.get(f"{RELEASES}?per_page=100")
    records = client.get(f"{RECORDS}?per_page=100")
    for response in (releases, records):
        assert "fits this need" not in response.get_data(as_text=True)  # every demo narrative

    open_records = [
        r for r in records.get_json()["records"]
        if r["compiledRelease"]["tender"].get("status") == "active"
        and all("tenderUpdate" not in release["tag"] for release in r["releases"])
    ]
    assert len(open_records) == 1
    [record] = open_records
    assert "tenderers" not in record["compiledRelease"]["tender"]
    assert all("buyer" in p["roles"] for p in record["compiledRelease"]["parties"])
