from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "trust",
    __name__,
    url_prefix="/api/v1",
    description="Designations of offerings, and providers' data privacy agreements",
)
