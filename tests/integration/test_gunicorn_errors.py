"""gunicorn, as ``flask serve`` and ``make run`` start it (``marketplace.gunicorn_conf``), answers a
request it cannot parse with the application's JSON error envelope, not its own HTML page."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOGS: dict[str, Path] = {}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` as it is; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = (line.partition(":") for line in lines)
    headers = {name.lower(): value.strip() for name, _, value in fields}
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def served(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One gunicorn worker on a migrated SQLite file, with the production settings."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    database = tmp_path / "marketplace.sqlite3"
    shutil.copy(sqlite_template, database)
    port = _free_port()
    env = {
        **os.environ,
        "MARKETPLACE_DATABASE_URL": f"sqlite:///{database}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "MARKETPLACE_LOG_FORMAT": "json",
    }
    LOGS["gunicorn"] = tmp_path / "gunicorn.log"
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:marketplace.gunicorn_conf",
             "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 60
        while True:  # until the application answers
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text(errors="replace")
            try:
                health = b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                if _exchange(port, health)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /health within 60 s"
            time.sleep(0.1)  # polling the server's start-up
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


@pytest.mark.parametrize(
    ("raw", "status", "named"),
    [
        (b"GET /health HTTP/1.1\r\nHost: t\r\nX-Note: a\x01b\r\n\r\n", 400, "X-NOTE"),
        (b"THIS IS NOT HTTP\r\n\r\n", 400, "THIS IS NOT HTTP"),
        (b"GET /health HTTP/9.9\r\nHost: t\r\n\r\n", 400, "HTTP version"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414, "request line"),
    ],
    ids=[
        "control character in a header", "no request line", "unknown HTTP version", "line too long"
    ],
)
def test_a_request_gunicorn_cannot_parse_gets_the_json_error_envelope_naming_the_problem(
    served: int, raw: bytes, status: int, named: str
) -> None:
    answered, headers, body = _exchange(served, raw)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)
    assert error["status"] == status
    assert error["error"] in ("Bad Request", "Request-URI Too Long", "URI Too Long")
    assert named.lower() in error["message"].lower()
    assert error["errors"] == {}  # no field of the application's is at fault


def test_with_json_logs_every_line_gunicorn_and_the_service_write_is_one_json_object(
    served: int,
) -> None:
    status, _, _ = _exchange(
        served, b"GET /health?note=private HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert status == 200
    lines = LOGS["gunicorn"].read_text().splitlines()

    records = [json.loads(line) for line in lines]  # each line parses, or this fails naming it

    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "marketplace.access"} <= loggers
    assert "gunicorn.access" not in loggers and not any("private" in line for line in lines)
    assert all(record["time"].endswith("Z") for record in records)
