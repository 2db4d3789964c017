"""The event store's PostgreSQL recorder, failing fast when the database is away.

The library retries each call to the database ten times, and each attempt waits up to the
connect timeout for a connection from its pool: with the database unreachable, every request
that touched the event store (``/health`` included) hung for about 52 seconds before its 503,
and a few such requests held every web worker. Here each call is tried twice, 0.2 s apart, which
still rides over a connection dropped once (a failover, a restarted proxy); with the connect
timeout ``marketplace.config`` sets (2 s by default) a request learns of an outage in about
four seconds.
"""

from __future__ import annotations

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.utils import retry

ATTEMPTS = 2
"""Tries of each call to the database before it is reported unavailable."""

_tried = retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.2)


class FailFastPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's recorder, each call tried ``ATTEMPTS`` times instead of ten."""

    insert_events = _tried(PostgresApplicationRecorder.insert_events.__wrapped__)
    select_events = _tried(PostgresAggregateRecorder.select_events.__wrapped__)
    select_notifications = _tried(PostgresApplicationRecorder.select_notifications.__wrapped__)
    max_notification_id = _tried(PostgresApplicationRecorder.max_notification_id.__wrapped__)
