"""An OCDS 1.1.5 release's content (parties, buyer, tender, awards, contracts) built from the state
of a contracting process that ``projections.ocds`` keeps: what is public about the process at
the moment of the release."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

CURRENCY = "USD"
NCES_SCHEME = "US-NCES"

# Our procurement methods in the closed OCDS method codelist. Formal methods are publicly
# advertised: open. A request for quotes goes to providers the consortium chooses, with no call
# for qualification: limited ("selective" is for suppliers qualified beforehand).
OCDS_METHOD = {
    "competitive_proposals": "open",
    "sealed_bids": "open",
    "request_for_quotes": "limited",
    "noncompetitive": "direct",
    "direct_purchase": "direct",
}
# How each method ranks (see the domain): weighted criteria, or price alone.
AWARD_CRITERIA = {
    "competitive_proposals": "ratedCriteria",
    "sealed_bids": "priceOnly",
    "request_for_quotes": "priceOnly",
    "noncompetitive": "priceOnly",
    "direct_purchase": "priceOnly",
}


def amount(value: str | Decimal) -> float:
    """An OCDS amount: a JSON number. Every amount here is in whole cents below a billion, which
    a binary float holds exactly enough for ``Decimal(repr(float))`` to give the cents back."""
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return float(number.quantize(Decimal("0.01")))


def money(value: str | Decimal) -> dict[str, Any]:
    return {"amount": amount(value), "currency": CURRENCY}


def _day_start(day: str) -> str:
    return f"{day}T00:00:00+00:00"


def _day_end(day: str) -> str:
    return f"{day}T23:59:59+00:00"


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """Leave out absent values (a null would erase an earlier value when releases are merged)."""
    return {key: value for key, value in document.items() if value is not None}


def provider_ids(process: dict[str, Any]) -> list[str]:
    ids = list(process["tenderers"] or [])
    for contract in process["contracts"]:
        if contract["provider_id"] not in ids:
            ids.append(contract["provider_id"])
    return sorted(ids)


def _reference(party_id: str, names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return compact({"id": party_id, "name": names.get(party_id, {}).get("name")})


def _parties(process: dict[str, Any], names: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    lead = process["lead_district_id"]
    parties = []
    for district_id in process["buyers"]:
        district = names.get(district_id, {})
        identifier = None
        if district:
            identifier = {
                "scheme": NCES_SCHEME,
                "id": district["nces_id"],
                "legalName": district["name"],
            }
        parties.append(
            compact(
                {
                    "id": district_id,
                    "name": district.get("name"),
                    "identifier": identifier,
                    "address": {"region": district["state"], "countryName": "United States"}
                    if district
                    else None,
                    "roles": ["buyer", "procuringEntity"] if district_id == lead else ["buyer"],
                }
            )
        )
    tenderers = set(process["tenderers"] or ())
    suppliers = {c["provider_id"] for c in process["contracts"] if c["award_status"] == "active"}
    for provider_id in provider_ids(process):
        provider = names.get(provider_id, {})
        roles = ["tenderer"] if provider_id in tenderers else []
        if provider_id in suppliers:
            roles.append("supplier")
        parties.append(
            compact(
                {
                    "id": provider_id,
                    "name": provider.get("name"),
                    "identifier": {
                        "scheme": provider["scheme"],
                        "id": provider["identifier"],
                        "legalName": provider["name"],
                    }
                    if provider
                    else None,
                    "roles": roles,
                }
            )
        )
    return parties


def _need_items(spec: dict[str, Any], unit_price: str | None = None) -> list[dict[str, Any]]:
    unit: dict[str, Any] = {"name": "seat"}
    if unit_price is not None:
        unit["value"] = money(unit_price)
    return [
        compact(
            {
                "id": f"line-{n}",
                "description": line["description"],
                "quantity": sum(seats["seats"] for seats in line["demand"]),
                "unit": unit,
            }
        )
        for n, line in enumerate(spec.get("lines") or (), start=1)
    ]


def _tender(process: dict[str, Any], names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec = process["spec"]
    method = spec["method"]
    lead = process["lead_district_id"]
    tender: dict[str, Any] = {
        "id": process["tender_id"],
        "status": process["status"],
        "procuringEntity": _reference(lead, names) if lead else None,
        "procurementMethod": OCDS_METHOD[method],
        "procurementMethodDetails": method,
        "mainProcurementCategory": "services",
    }
    if process["kind"] == "direct":
        tender["procurementMethodRationale"] = spec.get("method_rationale")
        tender["awardCriteria"] = AWARD_CRITERIA[method]
        return compact(tender)
    justification = spec.get("justification")
    criteria = spec.get("criteria") or []
    published_at = process["published_at"]
    tender.update(
        title=spec["title"],
        description=spec.get("description"),
        items=_need_items(spec),
        value=money(spec["estimated_value"]),
        procurementMethodRationale=f"{justification['case']}: {justification['explanation']}"
        if justification
        else None,
        awardCriteria=AWARD_CRITERIA[method],
        awardCriteriaDetails="; ".join(f"{c['name']}: {c['weight']}%" for c in criteria) or None,
        submissionMethod=["electronicSubmission"],
        tenderPeriod={"startDate": published_at, "endDate": spec["proposals_due"]},
        enquiryPeriod={"startDate": published_at, "endDate": spec["questions_due"]},
        hasEnquiries=process["has_enquiries"],
        amendments=list(process["amendments"]) or None,
    )
    if process["tenderers"] is not None:  # known from the deadline's closing on, never before
        tender["numberOfTenderers"] = len(process["tenderers"])
        tender["tenderers"] = [_reference(p, names) for p in process["tenderers"]]
    return compact(tender)


def _award_items(
    process: dict[str, Any], contract: dict[str, Any], unit_price: str
) -> list[dict[str, Any]]:
    if process["kind"] == "solicitation":
        return _need_items(process["spec"], unit_price)
    return [
        {
            "id": "line-1",
            "description": "Seats bought from the catalog at list price",
            "quantity": contract["seats"],
            "unit": {"name": "seat", "value": money(unit_price)},
        }
    ]


def _award(
    process: dict[str, Any], contract: dict[str, Any], names: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return compact(
        {
            "id": contract["id"],
            "description": contract["selection_reason"],
            "status": contract["award_status"],
            "date": contract["awarded_at"],
            "value": money(contract["award_value"]),
            "suppliers": [_reference(contract["provider_id"], names)],
            "items": _award_items(process, contract, contract["award_unit_price"]),
            "contractPeriod": {
                "startDate": _day_start(contract["term_start"]),
                "endDate": _day_end(contract["award_term_end"]),
            },
            "amendments": list(contract["award_amendments"]) or None,
        }
    )


def _contract(
    process: dict[str, Any], contract: dict[str, Any], names: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    items = _award_items(process, contract, contract["unit_price"])
    for joined in contract["joined"]:
        district = names.get(joined["district_id"], {}).get("name", joined["district_id"])
        items.append(
            {
                "id": f"joined-{joined['district_id']}",
                "description": f"Seats for {district}, which joined the contract",
                "quantity": joined["seats"],
                "unit": {"name": "seat", "value": money(contract["unit_price"])},
            }
        )
    return compact(
        {
            "id": contract["id"],
            "awardID": contract["id"],
            "status": contract["status"],
            "value": money(contract["value"]),
            "items": items,
            "period": {
                "startDate": _day_start(contract["term_start"]),
                "endDate": _day_end(contract["term_end"]),
            },
            "dateSigned": contract["signed_at"],
            "amendments": list(contract["amendments"]) or None,
        }
    )


def build_release_content(
    process: dict[str, Any], names: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Everything public about the process now: parties, buyer, tender, awards, contracts."""
    lead = process["lead_district_id"]
    content: dict[str, Any] = {
        "parties": _parties(process, names),
        "buyer": _reference(lead, names) if lead else None,
        "tender": _tender(process, names),
    }
    if process["contracts"]:
        content["awards"] = [_award(process, c, names) for c in process["contracts"]]
        content["contracts"] = [_contract(process, c, names) for c in process["contracts"]]
    return compact(content)
