"""How the value types of ``events.types`` are written to and read from the store.

Names are stable: they are in stored payloads. The library's JSON transcoder handles nesting, so a
``Pricing`` holding ``VolumeTier`` values holding ``Decimal`` values round-trips intact.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from events import types


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_class: type[Enum], name: str):
        self.type = enum_class
        self.name = name

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        return self.type(data)


class DataclassAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields; lists come back as tuples."""

    def __init__(self, cls: type, name: str):
        self.type = cls
        self.name = name

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


ENUMS: dict[str, type[Enum]] = {
    "role": types.Role,
    "model_type": types.ModelType,
    "subject": types.Subject,
    "grade_band": types.GradeBand,
    "delivery": types.Delivery,
    "interoperability": types.Interoperability,
    "price_unit": types.PriceUnit,
    "procurement_method": types.ProcurementMethod,
    "noncompetitive_case": types.NoncompetitiveCase,
    "joining_policy": types.JoiningPolicy,
    "contract_type": types.ContractType,
    "privacy_scope": types.PrivacyScope,
    "privacy_agreement_kind": types.PrivacyAgreementKind,
}

VALUE_OBJECTS: dict[str, type] = {
    "organization_identifier": types.OrganizationIdentifier,
    "contact": types.Contact,
    "volume_tier": types.VolumeTier,
    "pricing": types.Pricing,
    "evidence": types.Evidence,
    "thresholds": types.Thresholds,
    "criterion": types.Criterion,
    "seats": types.Seats,
    "need_line": types.NeedLine,
    "justification": types.Justification,
    "score": types.Score,
    "offeror": types.Offeror,
    "cost_share": types.CostShare,
    "usage": types.Usage,
    "reported_result": types.ReportedResult,
    "privacy_agreement": types.PrivacyAgreement,
}


def register_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for name, enum_class in ENUMS.items():
        transcoder.register(EnumAsValue(enum_class, f"enum:{name}"))
    for name, cls in VALUE_OBJECTS.items():
        transcoder.register(DataclassAsDict(cls, name))
