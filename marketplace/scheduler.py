"""Timed transitions get an event too: the scheduler records each solicitation's deadline passing.

Run by ``flask --app wsgi procurement tick`` and periodically by the projection worker. The rule
itself (no proposal after the deadline) never waits for this: commands are judged by the clock when
they run. Closing records when the solicitation closed and which proposals were opened.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

import events
from marketplace.domain.errors import WrongState
from projections import procurement_queries

log = logging.getLogger(__name__)

READS = "procurement"
"""The read model the scheduler reads (solicitations and their proposals); a projection worker runs
the scheduler only if it keeps this one up to date."""

GRACE = timedelta(seconds=5)
"""A proposal accepted an instant before the deadline is saved an instant later; wait for it."""


def close_due_solicitations(services: Any) -> list[UUID]:
    services.runner.catch_up(names=[READS])
    with services.engines.reader.connect() as conn:
        due = procurement_queries.due_for_closing(conn, events.now() - GRACE)
    closed = []
    for solicitation_id in due:
        with services.engines.reader.connect() as conn:
            proposal_ids = procurement_queries.active_proposal_ids(conn, solicitation_id)
        try:
            services.app.close_solicitation(solicitation_id, proposal_ids)
        except (WrongState, IntegrityError):
            continue  # another worker closed it first
        log.info("closed solicitation %s with %d proposals", solicitation_id, len(proposal_ids))
        closed.append(solicitation_id)
    return closed
