"""Cooperative procurement marketplace for personalized-learning models."""

from marketplace.web.app import create_app

__all__ = ["create_app"]
