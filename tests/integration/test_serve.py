"""``flask serve`` keeps its projection worker running: one that dies is started again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> dict[int, str]:
    """The process's children and their command lines (Linux)."""
    found: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                found[int(child)] = Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ")
            except FileNotFoundError:
                pass  # gone meanwhile
    return found


def _projection_worker(pid: int, not_this: int | None = None, within: float = 60) -> int:
    """The pid of the serve's live projection worker (other than ``not_this``), polled for."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        for child, command in _children(pid).items():
            if "projections run" in command and child != not_this:
                return child
        time.sleep(0.1)
    raise AssertionError(f"no projection worker under {pid} within {within} s")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_serve_starts_its_projection_worker_again_when_it_dies(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "marketplace.sqlite3"
    shutil.copy(sqlite_template, database)
    env = {
        **os.environ,
        "MARKETPLACE_DATABASE_URL": f"sqlite:///{database}",
        "WEB_CONCURRENCY": "1",
        "PORT": str(_free_port()),
    }
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "serve"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        first = _projection_worker(serve.pid)
        os.kill(first, signal.SIGKILL)
        second = _projection_worker(serve.pid, not_this=first)
        assert second != first and serve.poll() is None
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
        log.close()
    said = (tmp_path / "serve.log").read_text()
    assert "projection worker exited with code -9" in said, said
    assert code == 0, said
