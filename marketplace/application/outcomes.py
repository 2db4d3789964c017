"""Use cases: outcome reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import events
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract
from marketplace.domain.districts import District
from marketplace.domain.errors import AlreadyExists, StaleVersion
from marketplace.domain.outcomes import OutcomeReport

if TYPE_CHECKING:
    from marketplace.application import MarketplaceBase as _Base
else:
    _Base = object


class OutcomeUseCases(_Base):
    """Outcome reports by party districts."""

    def get_outcome_report(self, report_id: UUID, version: int | None = None) -> OutcomeReport:
        return self._get(OutcomeReport, report_id, "outcome report", version)

    def report_outcome(
        self,
        by: Account,
        contract_id: UUID,
        district_id: UUID,
        school_year: str,
        details: dict[str, Any],
    ) -> OutcomeReport:
        contract = self._get(Contract, contract_id, "contract")
        district = self._get(District, district_id, "district")
        report = OutcomeReport.submit(by, contract, district, school_year, details, events.now().date())
        if self.load_optional(report.id) is not None:
            raise AlreadyExists(
                f"this district has already reported on this contract for {report.school_year}: "
                f"revise that report (PATCH /api/v1/outcome-reports/{report.id})",
                {"school_year": [f"already reported for {report.school_year}; revise the report instead"]},
            )
        self.save(report)
        return report

    def revise_outcome_report(
        self,
        by: Account,
        report_id: UUID,
        changes: dict[str, Any],
        reason: str,
        expected_version: int | None = None,
    ) -> OutcomeReport:
        report = self.get_outcome_report(report_id)
        if expected_version is not None and report.version != expected_version:
            raise StaleVersion(
                f"outcome report {report_id} is at version {report.version}, "
                f"not {expected_version}: reload it and retry"
            )
        contract = self._get(Contract, report.contract_id, "contract")
        district = self._get(District, report.district_id, "district")
        report.revise(by, contract, district, changes, reason)
        self.save(report)
        return report
