"""Every event of the aggregates whose history is public: type, time, actor and what it said.

Accounts, credentials and idempotency receipts are left out: they are not public record and a
credential's history would only show account ids. Proposals are sealed until the deadline (PRODUCT
rule 3) and evaluations (attestations, scores) are confidential, so none of their events is here.
The solicitation's own record of what the evaluation found (nonresponsive declarations, the
ranking) is kept, and withheld on reading from all but the consortium's lead until the award.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from events.contracts import (
    ContractAmended,
    ContractAwardCancelled,
    ContractAwarded,
    ContractRenewed,
    ContractSigned,
    ContractTerminated,
    DistrictJoinedContract,
    StudentDataAccessGranted,
)
from events.designations import DesignationIssued, DesignationRevoked
from events.districts import (
    ConsortiumFormed,
    ConsortiumMemberJoined,
    ConsortiumMemberLeft,
    ConsortiumThresholdsSet,
    DistrictRegistered,
)
from events.offerings import OfferingDrafted, OfferingPublished, OfferingRevised, OfferingWithdrawn
from events.outcomes import OutcomeReported, OutcomeReportRevised
from events.plain import event_changes
from events.providers import ProviderPrivacyAgreementRecorded, ProviderRegistered
from events.solicitations import (
    EvaluatorNamed,
    ProposalDeclaredNonresponsive,
    QuestionAnswered,
    QuestionAsked,
    SolicitationAmended,
    SolicitationAwardCancelled,
    SolicitationAwarded,
    SolicitationCancelled,
    SolicitationClosed,
    SolicitationDeclaredUnsuccessful,
    SolicitationDrafted,
    SolicitationEvaluated,
    SolicitationPublished,
    SolicitationRevised,
)
from projections.bulk import prepare_insert
from projections.runner import Handler, Write, WritingProjection
from projections.tables import event_history

PUBLIC_EVENTS = (
    ProviderRegistered,
    OfferingDrafted,
    OfferingRevised,
    OfferingPublished,
    OfferingWithdrawn,
    DistrictRegistered,
    ConsortiumFormed,
    ConsortiumMemberJoined,
    ConsortiumMemberLeft,
    ConsortiumThresholdsSet,
    SolicitationDrafted,
    SolicitationRevised,
    SolicitationPublished,
    SolicitationAmended,
    QuestionAsked,
    QuestionAnswered,
    EvaluatorNamed,
    SolicitationClosed,
    ProposalDeclaredNonresponsive,
    SolicitationEvaluated,
    SolicitationAwarded,
    SolicitationAwardCancelled,
    SolicitationCancelled,
    SolicitationDeclaredUnsuccessful,
    ContractAwarded,
    ContractSigned,
    ContractAmended,
    ContractRenewed,
    ContractTerminated,
    ContractAwardCancelled,
    DistrictJoinedContract,
    StudentDataAccessGranted,
    OutcomeReported,
    OutcomeReportRevised,
    DesignationIssued,
    DesignationRevoked,
    ProviderPrivacyAgreementRecorded,
)

# Public, but not everything in them: which provider asks a question would reveal a likely
# bidder before the deadline, and naming an evaluator publicly invites lobbying. The event log
# keeps both for auditors.
WITHHELD = "withheld"


def public_record(event: Any) -> tuple[str, dict[str, Any]]:
    """An event's actor and content as the public may see them."""
    changes = event_changes(event)
    actor = event.actor
    if isinstance(event, QuestionAsked):
        actor = WITHHELD
    if isinstance(event, EvaluatorNamed):
        changes = {**changes, "account_id": WITHHELD}  # the plain form may be shared: not changed
    return actor, changes


# What the evaluation found, by event type: until the award it is the consortium lead's alone,
# as on the solicitation itself (``Solicitation.reveals_evaluation_to``). The history keeps it,
# since the award makes it public record; reads withhold it from the others until then.
EVALUATION_RESULTS: dict[str, tuple[str, ...]] = {
    ProposalDeclaredNonresponsive.TOPIC.rpartition(".")[2]: ("proposal_id", "reason"),
    SolicitationEvaluated.TOPIC.rpartition(".")[2]: ("ranking",),
}


def withhold_evaluation_results(event_type: str, changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` (a solicitation event's public record) with the evaluation's results
    withheld, for a reader who may not see them yet."""
    withheld = [key for key in EVALUATION_RESULTS.get(event_type, ()) if key in changes]
    if not withheld:
        return changes
    return {**changes, **dict.fromkeys(withheld, WITHHELD)}  # a copy: the plain form may be shared


class HistoryProjection(WritingProjection):
    name = "history"
    tables = (event_history,)

    def handlers(self) -> dict[type, Handler]:
        return {cls: self.apply for cls in PUBLIC_EVENTS}  # the events it records, in batches

    def prepare(self, snapshot: Connection, items: list[tuple[int, Any]]) -> list[Write]:
        rows = [self._row(event, position) for position, event in items]
        return [prepare_insert(snapshot.dialect, event_history, rows)]

    @staticmethod
    def _row(event: Any, position: int) -> dict[str, Any]:
        aggregate_type, _, event_type = event.stable_name.partition(".")
        actor, changes = public_record(event)
        return {
            "aggregate_id": event.originator_id,
            "version": event.originator_version,
            "aggregate_type": aggregate_type,
            "event_type": event_type,
            "occurred_at": event.timestamp,
            "actor": actor,
            "changes": changes,
            "position": position,
        }
