"""Imports every domain's table models, so SQLModel.metadata (and Alembic) sees them all."""

from app.audit import models as audit_models
from app.auth import models as auth_models
from app.core import models as core_models
from app.insights import models as insight_models
from app.people import models as people_models
from app.search import models as search_models

__all__ = ["audit_models", "auth_models", "core_models", "insight_models", "people_models", "search_models"]
