"""Open Contracting Data Standard 1.1.5 releases, driven through the application's use cases on
both databases: one release per meaningful event with the right tag, the parties and their roles,
tenderers only from the deadline's closing on, sealed contents never published, releases that a
rebuild reproduces byte for byte, and every release valid against the official schema.

The schema and codelists are read from ``../shared/ocds-1.1.5/`` beside the project, never copied.
"""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from jsonschema import Draft4Validator, FormatChecker
from ocdsmerge.rules import get_merge_rules
from referencing import Registry, Resource

from events.plain import iso_utc
from events.types import ContractType, PriceUnit, Pricing, Seats
from marketplace import create_app
from marketplace.config import Settings
from marketplace.domain.solicitations import AwardDecision
from projections import ocds_queries
from projections.ocds import DEFAULT_OCID_PREFIX
from tests.integration.readmodels import snapshot
from tests.integration.test_procurement_read_models import Procurement

OCDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "ocds-1.1.5"


# The official schema, read from the shared folder ------------------------------------------------


def _require_schema_files() -> None:
    """The schema lives beside the checkout (never copied in). Without it, validation cannot run:
    skip with the reason on a developer's machine, fail in CI, where it must be there."""
    if not OCDS_DIR.is_dir():
        reason = f"the OCDS 1.1.5 schema files are not at {OCDS_DIR} (../shared beside the checkout)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@cache
def ocds_schema(name: str) -> dict[str, Any]:
    _require_schema_files()
    return json.loads((OCDS_DIR / name).read_text(encoding="utf-8"))


@cache
def codes(codelist: str) -> frozenset[str]:
    """The codes of a codelist that are not deprecated."""
    _require_schema_files()
    with (OCDS_DIR / "codelists" / codelist).open(encoding="utf-8", newline="") as f:
        return frozenset(row["Code"] for row in csv.DictReader(f) if not row.get("Deprecated"))


@cache
def _registry() -> Registry:
    """The package schemas refer to the release schema by its URL: serve the local copy there."""
    names = ("release-schema.json", "versioned-release-validation-schema.json")
    schemas = [ocds_schema(name) for name in names]
    return Registry().with_resources((s["id"], Resource.from_contents(s)) for s in schemas)


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(RFC3339.match(value)) and bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and " " not in value


def schema_errors(document: Any, schema_name: str) -> list[str]:
    """Every way ``document`` breaks the named schema (Draft 4, as the schemas declare), with
    the ``date-time`` and ``uri`` formats checked."""
    schema = ocds_schema(schema_name)
    validator = Draft4Validator(schema, registry=_registry(), format_checker=FORMATS)
    return sorted(
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    )


def codelist_errors(release: dict[str, Any]) -> list[str]:
    """Values of open codelists (which the schema does not check) that are not their codes."""
    problems = []
    for party in release.get("parties", []):
        problems += [f"role {r}" for r in party.get("roles", []) if r not in codes("partyRole.csv")]
    tender = release.get("tender", {})
    if "awardCriteria" in tender and tender["awardCriteria"] not in codes("awardCriteria.csv"):
        problems.append(f"awardCriteria {tender['awardCriteria']}")
    problems += [
        f"submissionMethod {m}"
        for m in tender.get("submissionMethod", [])
        if m not in codes("submissionMethod.csv")
    ]
    return problems


def keys_of(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from keys_of(value)
    elif isinstance(document, list):
        for value in document:
            yield from keys_of(value)


# Building histories -----------------------------------------------------------------------------


class Ocds(Procurement):
    """The procurement builder, reading OCDS releases."""

    def ocid(self, process_id: Any) -> str:
        return f"{DEFAULT_OCID_PREFIX}-{process_id}"

    def releases(self, process_id: Any) -> list[dict[str, Any]]:
        record = self.read(ocds_queries.record, self.ocid(process_id))
        return [] if record is None else record["releases"]

    def tags(self, process_id: Any) -> list[list[str]]:
        return [release["tag"] for release in self.releases(process_id)]

    def all_releases(self) -> list[dict[str, Any]]:
        page = self.read(ocds_queries.releases, None, None, 1, 100)
        assert page.total <= 100
        return page.items

    def serialized(self) -> list[str]:
        return [ocds_queries.serialize(r) for r in self.all_releases()]

    def propose_with(self, provider: Any, solicitation: UUID, price: str, narrative: str) -> UUID:
        account, _, offering_id = provider
        pricing = Pricing(PriceUnit.PER_STUDENT_PER_YEAR, Decimal(price))
        return self.app.submit_proposal(account, solicitation, [offering_id], pricing, narrative).id

    def award_again(self, consortium: dict[str, Any], solicitation_id: UUID) -> UUID:
        solicitation = self.app.get_solicitation(solicitation_id)
        winner = solicitation.ranking[0]["proposal_id"]
        decision = AwardDecision(
            proposal_id=winner,
            contract_type=ContractType.FIXED_UNIT_PRICE,
            method_rationale="Below the simplified acquisition threshold: request for quotes",
            selection_reason="Lowest price",
            rejections={p: "Higher price" for p in solicitation.opened_proposal_ids if p != winner},
            price_basis="Quoted unit price",
            term_start=date(2026, 12, 1),
            term_end=date(2027, 11, 30),
        )
        return self.app.award(consortium["lead"], solicitation_id, decision).id


@pytest.fixture
def ocds(clock: Any, services: Any) -> Ocds:
    return Ocds(services, clock)


LOSING = [
    ("43.21", "A sealed plan from the dearest bidder"),
    ("39.87", "A sealed plan from the middle bidder"),
]
WINNING = ("38.50", "The winning plan")


def lifecycle(ocds: Ocds, clock: Any) -> dict[str, Any]:
    """A request for quotes through its whole life: published, amended, three quotes (one
    withdrawn), closed, awarded, the award cancelled, awarded again, signed, a district joins,
    the contract amended, renewed and terminated. Returns ids and the releases after each step."""
    consortium = ocds.consortium()
    providers = ocds.providers(4)
    lead = consortium["lead"]
    solicitation_id = ocds.draft(consortium, providers)
    seen: dict[str, int] = {"drafted": len(ocds.releases(solicitation_id))}

    ocds.app.publish_solicitation(lead, solicitation_id)
    ocds.app.amend_solicitation(
        lead, solicitation_id, {"description": "Includes summer tutoring."}, "Scope clarified"
    )
    for provider, (price, narrative) in zip(providers, [*LOSING, WINNING]):
        ocds.propose_with(provider, solicitation_id, price, narrative)
    withdrawn = ocds.propose_with(providers[3], solicitation_id, "37.01", "A withdrawn plan")
    ocds.app.withdraw_proposal(providers[3][0], withdrawn, "Capacity")
    seen["before closing"] = len(ocds.releases(solicitation_id))

    clock.advance(days=22)
    ocds.close(solicitation_id)
    first = ocds.award(consortium, solicitation_id, date(2026, 12, 1), date(2027, 12, 1))
    ocds.app.cancel_award(lead, solicitation_id, "The term was entered wrongly.")
    contract_id = ocds.award_again(consortium, solicitation_id)
    ocds.app.sign_contract(providers[2][0], contract_id, "Jane Doe, CEO")

    joiner_buyer, joiner = ocds.district("Melville")
    clock.moment = clock.moment.replace(year=2026, month=12, day=15)
    ocds.app.join_contract(joiner_buyer, contract_id, joiner, 10, providers[2][2])
    ocds.app.amend_contract(lead, contract_id, Decimal("36.00"), None, "Volume discount")
    ocds.app.renew_contract(lead, contract_id, date(2028, 11, 30), "Second year")
    ocds.app.terminate_contract(lead, contract_id, "The provider closed its business.")
    return {
        "consortium": consortium,
        "providers": providers,
        "winner": providers[2],
        "withdrawn": providers[3],
        "joiner": joiner,
        "solicitation_id": solicitation_id,
        "cancelled_contract_id": first,
        "contract_id": contract_id,
        "seen": seen,
    }


# Tags ---------------------------------------------------------------------------------------------


def test_each_meaningful_event_of_a_solicitation_becomes_one_release_with_its_tag(
    ocds: Ocds, clock: Any
) -> None:
    story = lifecycle(ocds, clock)
    assert story["seen"]["drafted"] == 0
    assert ocds.tags(story["solicitation_id"]) == [
        ["tender"],
        ["tenderAmendment"],
        ["tenderUpdate"],
        ["award", "contract"],
        ["awardCancellation"],
        ["award", "contract"],
        ["contract"],
        ["contractAmendment"],  # the district joined
        ["contractAmendment"],  # the unit price amended
        ["contractAmendment"],  # renewed
        ["contractTermination"],
    ]


def test_a_release_is_dated_with_its_event_and_says_what_changed(ocds: Ocds, clock: Any) -> None:
    story = lifecycle(ocds, clock)
    releases = ocds.releases(story["solicitation_id"])
    solicitation = ocds.app.get_solicitation(story["solicitation_id"])
    assert releases[0]["date"] == iso_utc(solicitation.published_at)
    assert [r["tender"]["status"] for r in releases[:6]] == [
        "active", "active", "active", "complete", "active", "complete"
    ]

    amended = releases[1]["tender"]
    assert amended["description"] == "Includes summer tutoring."
    assert amended["amendments"] == [
        {
            "id": "tender-amendment-1",
            "date": releases[1]["date"],
            "rationale": "Scope clarified",
            "description": "Amended: description",
            "amendsReleaseID": releases[0]["id"],
            "releaseID": releases[1]["id"],
        }
    ]

    cancelled, awarded = releases[4], releases[5]
    assert [(a["id"], a["status"]) for a in cancelled["awards"]] == [
        (str(story["cancelled_contract_id"]), "cancelled")
    ]
    assert cancelled["contracts"][0]["status"] == "cancelled"
    assert cancelled["awards"][0]["amendments"][0]["rationale"] == "The term was entered wrongly."
    assert [(a["id"], a["status"]) for a in awarded["awards"]] == [
        (str(story["cancelled_contract_id"]), "cancelled"),
        (str(story["contract_id"]), "active"),
    ]
    assert awarded["contracts"][1] | {"items": None} == {
        "id": str(story["contract_id"]),
        "awardID": str(story["contract_id"]),
        "status": "pending",
        "value": {"amount": 2310.0, "currency": "USD"},  # 60 seats at 38.50
        "items": None,
        "period": {
            "startDate": "2026-12-01T00:00:00+00:00",
            "endDate": "2027-11-30T23:59:59+00:00",
        },
    }

    signed, joined, repriced, renewed, terminated = (r["contracts"][1] for r in releases[6:])
    assert (signed["status"], signed["dateSigned"]) == ("active", releases[6]["date"])
    assert joined["value"]["amount"] == 2695.0  # 70 seats at 38.50
    assert "Melville joined with 10 seats" in joined["amendments"][0]["description"]
    assert joined["items"][-1]["quantity"] == 10
    assert repriced["value"]["amount"] == 2520.0  # 70 seats at 36.00
    assert repriced["amendments"][-1]["rationale"] == "Volume discount"
    assert renewed["period"]["endDate"] == "2028-11-30T23:59:59+00:00"
    assert terminated["status"] == "terminated"
    assert terminated["amendments"][-1]["rationale"] == "The provider closed its business."
    assert [a["releaseID"] for a in terminated["amendments"]] == [r["id"] for r in releases[7:]]


def test_a_cancelled_draft_publishes_nothing_and_a_cancelled_solicitation_ends_cancelled(
    ocds: Ocds,
) -> None:
    consortium = ocds.consortium()
    providers = ocds.providers()
    draft = ocds.draft(consortium, providers)
    ocds.app.cancel_solicitation(consortium["lead"], draft, "Not needed after all.")
    published = ocds.publish(consortium, providers)
    ocds.app.cancel_solicitation(consortium["lead"], published, "The board deferred the purchase.")

    assert ocds.releases(draft) == []
    releases = ocds.releases(published)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderCancellation"]]
    tender = releases[-1]["tender"]
    assert tender["status"] == "cancelled"
    assert tender["amendments"][-1]["rationale"] == "The board deferred the purchase."


def test_a_solicitation_declared_unsuccessful_ends_in_a_tender_update_with_that_status(
    ocds: Ocds, clock: Any
) -> None:
    consortium = ocds.consortium()
    solicitation_id = ocds.publish(consortium, ocds.providers())
    clock.advance(days=22)
    ocds.close(solicitation_id)
    ocds.app.declare_unsuccessful(consortium["lead"], solicitation_id, "No quotes were received.")

    releases = ocds.releases(solicitation_id)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderUpdate"], ["tenderUpdate"]]
    assert [r["tender"]["status"] for r in releases] == ["active", "active", "unsuccessful"]
    closing = releases[1]["tender"]
    assert (closing["numberOfTenderers"], closing["tenderers"]) == (0, [])


def test_a_direct_purchase_is_a_process_of_its_own_keyed_by_its_contract(ocds: Ocds) -> None:
    buyer, district_id = ocds.district("Solo")
    seller, provider_id, offering_id = ocds.provider(list_price="12.25")
    purchase = ocds.app.direct_purchase(
        buyer,
        offering_id,
        [Seats(district_id, 40)],
        None,
        "List price compared with two similar catalog offerings",
        ContractType.FIRM_FIXED_PRICE,
        date(2027, 1, 1),
        date(2027, 12, 31),
    )
    ocds.app.sign_contract(seller, purchase.id, "Pat Lee")

    [awarded, signed] = ocds.releases(purchase.id)
    assert awarded["ocid"] == f"{DEFAULT_OCID_PREFIX}-{purchase.id}"
    assert (awarded["tag"], signed["tag"]) == (["award", "contract"], ["contract"])
    assert awarded["tender"] | {"procuringEntity": None} == {
        "id": str(purchase.id),
        "status": "complete",
        "procuringEntity": None,
        "procurementMethod": "direct",
        "procurementMethodDetails": "direct_purchase",
        "procurementMethodRationale": awarded["tender"]["procurementMethodRationale"],
        "mainProcurementCategory": "services",
        "awardCriteria": "priceOnly",
    }
    assert awarded["awards"][0]["value"] == {"amount": 490.0, "currency": "USD"}  # 40 at 12.25
    assert [(p["id"], p["roles"]) for p in signed["parties"]] == [
        (str(district_id), ["buyer", "procuringEntity"]),
        (str(provider_id), ["supplier"]),
    ]
    assert signed["contracts"][0]["status"] == "active"


# Parties and tenderers ---------------------------------------------------------------------------


def test_a_request_for_quotes_is_published_as_a_limited_procedure(ocds: Ocds) -> None:
    """The consortium asks providers of its own choice, with no call for qualification: the
    codelist's 'limited', not 'selective' (only suppliers qualified beforehand are invited)."""
    solicitation_id = ocds.publish(ocds.consortium(), ocds.providers())
    tender = ocds.releases(solicitation_id)[0]["tender"]
    assert tender["procurementMethod"] == "limited" and "limited" in codes("method.csv")
    assert tender["procurementMethodDetails"] == "request_for_quotes"


def test_member_districts_are_buyers_the_lead_also_procuring_entity_and_the_winner_a_supplier(
    ocds: Ocds, clock: Any
) -> None:
    story = lifecycle(ocds, clock)
    lead, *members = (str(d) for d in story["consortium"]["districts"])
    releases = ocds.releases(story["solicitation_id"])

    tender_release = releases[0]
    assert tender_release["buyer"]["id"] == lead
    assert tender_release["tender"]["procuringEntity"]["id"] == lead
    assert [(p["id"], p["roles"]) for p in tender_release["parties"]] == [
        (lead, ["buyer", "procuringEntity"]),
        *((m, ["buyer"]) for m in members),
    ]
    district = tender_release["parties"][0]
    assert district["identifier"]["scheme"] == "US-NCES" and district["identifier"]["id"].isdigit()
    assert district["name"] == "District 0"

    roles = {p["id"]: p["roles"] for p in releases[-1]["parties"]}
    winner, cancelled_first = str(story["winner"][1]), releases[4]
    assert roles[winner] == ["tenderer", "supplier"]
    assert roles[str(story["joiner"])] == ["buyer"]
    assert {p["id"]: p["roles"] for p in cancelled_first["parties"]}[winner] == ["tenderer"]
    provider = next(p for p in releases[-1]["parties"] if p["id"] == winner)
    assert provider["identifier"]["scheme"] == "US-EIN" and provider["name"].endswith("Learning")
    assert releases[-1]["awards"][-1]["suppliers"] == [{"id": winner, "name": provider["name"]}]


def test_tenderers_are_unknown_before_the_deadline_closes_and_listed_from_the_closing_on(
    ocds: Ocds, clock: Any
) -> None:
    story = lifecycle(ocds, clock)
    releases = ocds.releases(story["solicitation_id"])
    closing = story["seen"]["before closing"]
    assert closing == 2 and releases[closing]["tag"] == ["tenderUpdate"]
    bidders = [str(p[1]) for p in story["providers"]]

    for release in releases[:closing]:
        assert "tenderers" not in release["tender"] and "numberOfTenderers" not in release["tender"]
        assert not any("tenderer" in p["roles"] for p in release["parties"])
        assert not any(bidder in ocds_queries.serialize(release) for bidder in bidders)
    tenderers = sorted(bidders[:3])
    for release in releases[closing:]:
        assert release["tender"]["numberOfTenderers"] == 3
        assert [t["id"] for t in release["tender"]["tenderers"]] == tenderers
        assert sorted(p["id"] for p in release["parties"] if "tenderer" in p["roles"]) == tenderers
    withdrawn = str(story["withdrawn"][1])
    assert not any(withdrawn in text for text in ocds.serialized())


def test_sealed_proposal_contents_and_scores_never_appear_in_any_release_or_record(
    ocds: Ocds, clock: Any
) -> None:
    story = lifecycle(ocds, clock)
    record = ocds.read(ocds_queries.record, ocds.ocid(story["solicitation_id"]))
    published = [*ocds.serialized(), ocds_queries.serialize(record)]
    secrets = [text for pair in LOSING for text in pair] + [WINNING[1], "37.01", "A withdrawn plan"]
    for text in published:
        for secret in secrets:
            assert secret not in text, secret
        assert "We will teach" not in text
    every_key = set(keys_of(ocds.all_releases()))
    assert not {k for k in every_key if re.search("score|rank|narrative|proposal|pricing", k, re.I)}


# Reproducibility ---------------------------------------------------------------------------------


def _ocds_tables(ocds: Ocds) -> dict[str, Any]:
    rows = snapshot(ocds.services.engines.reader)
    return {name: rows[name] for name in ("ocds_releases", "ocds_state")}


def test_a_rebuild_from_the_event_log_reproduces_byte_identical_releases(
    ocds: Ocds, clock: Any
) -> None:
    lifecycle(ocds, clock)
    ocds.publish(ocds.consortium(), ocds.providers(), title="Science")
    before = ocds.serialized()
    tables = _ocds_tables(ocds)
    assert len(before) == 12

    ocds.services.runner.rebuild(["ocds"])
    assert ocds.serialized() == before
    ocds.services.runner.rebuild()
    assert ocds.serialized() == before
    assert _ocds_tables(ocds) == tables


def test_release_ids_are_unique_stable_and_a_recorded_release_never_changes(
    ocds: Ocds, clock: Any
) -> None:
    consortium = ocds.consortium()
    providers = ocds.providers()
    solicitation_id = ocds.publish(consortium, providers)
    first = ocds.serialized()
    ocds.app.amend_solicitation(
        consortium["lead"], solicitation_id, {"description": "Changed."}, "Clarified"
    )
    clock.advance(days=22)
    ocds.close(solicitation_id)

    later = ocds.serialized()
    assert later[: len(first)] == first
    releases = ocds.all_releases()
    ids = [r["id"] for r in releases]
    assert len(set(ids)) == len(ids) == 3
    ocid = ocds.ocid(solicitation_id)
    assert all(re.fullmatch(re.escape(ocid) + r"-\d+", i) for i in ids)
    assert ids == sorted(ids, key=lambda i: int(i.rsplit("-", 1)[1]))


def test_amounts_are_json_numbers_that_give_back_the_exact_cents(ocds: Ocds, clock: Any) -> None:
    story = lifecycle(ocds, clock)
    release = ocds.releases(story["solicitation_id"])[-1]
    values = [release["tender"]["value"], *(a["value"] for a in release["awards"])]
    values += [c["value"] for c in release["contracts"]]
    values += [i["unit"]["value"] for c in release["contracts"] for i in c["items"]]
    assert all(type(v["amount"]) is float and v["currency"] == "USD" for v in values)
    assert [Decimal(repr(v["amount"])) for v in values[:5]] == [
        Decimal(v) for v in ("20000", "2310.00", "2310.00", "2310.00", "2520.00")
    ]
    assert '"amount":36.0' in ocds_queries.serialize(release)


# Schema and codelists ----------------------------------------------------------------------------


def test_every_release_and_record_is_valid_against_the_ocds_schema_and_its_codelists(
    ocds: Ocds, clock: Any
) -> None:
    story = lifecycle(ocds, clock)
    cancelled = ocds.publish(story["consortium"], story["providers"][:3], title="Cancelled")
    ocds.app.cancel_solicitation(story["consortium"]["lead"], cancelled, "Deferred.")
    releases = ocds.all_releases()
    assert len(releases) == 13
    package = ocds_queries.release_package("https://example.org/releases", releases, None)
    assert schema_errors(package, "release-package-schema.json") == []
    for release in releases:
        assert codelist_errors(release) == []

    records = ocds.read(ocds_queries.records, 1, 10)
    assert records.total == 2
    package = ocds_queries.record_package("https://example.org/records", records.items, None)
    assert schema_errors(package, "record-package-schema.json") == []
    compiled = records.items[0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["date"] == releases[10]["date"]
    assert compiled["contracts"][1]["status"] == "terminated"


def test_the_merge_rules_are_those_of_the_ocds_release_schema() -> None:
    assert ocds_queries.MERGE_RULES == get_merge_rules(ocds_schema("release-schema.json"))


# Configuration -----------------------------------------------------------------------------------


def test_the_ocid_prefix_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Settings.from_env(str(tmp_path)).ocid_prefix == DEFAULT_OCID_PREFIX
    monkeypatch.setenv("MARKETPLACE_OCID_PREFIX", "ocds-abc123")
    assert Settings.from_env(str(tmp_path)).ocid_prefix == "ocds-abc123"


def test_a_configured_prefix_names_every_contracting_process(database_url: str, clock: Any) -> None:
    settings = {"database_url": database_url, "ocid_prefix": "ocds-zz9zz9"}
    app = create_app({"TESTING": True, "MARKETPLACE": settings})
    try:
        with app.app_context():
            builder = Ocds(app.extensions["marketplace"].get(), clock)
            solicitation_id = builder.publish(builder.consortium(), builder.providers())
            [release] = builder.all_releases()
    finally:
        app.extensions["marketplace"].close()
    assert release["ocid"] == f"ocds-zz9zz9-{solicitation_id}"
    assert release["id"].startswith(f"ocds-zz9zz9-{solicitation_id}-")
