"""``flask serve`` starts as many gunicorn workers as the README says: $WEB_CONCURRENCY, or 4."""

from __future__ import annotations

import pytest

from marketplace.cli import serve


def _workers(*args: str) -> int:
    with serve.make_context("serve", list(args)) as context:
        return int(context.params["workers"])


def test_serve_starts_four_workers_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)

    assert _workers() == 4


def test_serve_starts_web_concurrency_workers_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")

    assert _workers() == 3
    assert _workers("--workers", "5") == 5
