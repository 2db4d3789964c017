from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "outcomes",
    __name__,
    url_prefix="/api/v1",
    description="Outcome reports by districts, and the annual report cards built from them",
)
