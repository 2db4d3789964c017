"""How an idle projection worker waits for new events.

On PostgreSQL the event store NOTIFYs its channel on every insert: the worker LISTENs and wakes at
once. It still wakes every ``timeout`` seconds to catch up anyway (a safety net for a missed or
dropped notification), and a dropped LISTEN connection is reopened, never fatal. On SQLite there is
nothing to listen to: the worker polls.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import psycopg

log = logging.getLogger(__name__)


class Waker(Protocol):
    def wait(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class Sleeper:
    def wait(self, timeout: float) -> None:
        time.sleep(timeout)

    def close(self) -> None:
        pass


class PostgresListener:
    def __init__(self, conninfo: str, channel: str):
        self.conninfo = conninfo
        self.channel = channel
        self._connection: psycopg.Connection | None = None

    def wait(self, timeout: float) -> None:
        try:
            connection = self._connect()
            for _ in connection.notifies(timeout=timeout, stop_after=1):
                break
        except psycopg.Error as error:
            log.warning("LISTEN %s failed (%s); polling until it reconnects", self.channel, type(error).__name__)
            self.close()
            time.sleep(min(timeout, 1.0))

    def _connect(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
            self._connection.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(self.channel)))
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def waker_for(app: object, conninfo: str | None) -> Waker:
    channel = getattr(getattr(app, "recorder", None), "channel_name", None)
    if conninfo and channel:
        return PostgresListener(conninfo, channel)
    return Sleeper()
