"""Cooperative procurement marketplace for personalized-learning models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask application (imported here lazily, so the domain never imports the web layer)."""
    from marketplace.web.app import create_app as _create_app

    return _create_app(test_config)


__all__ = ["create_app"]
