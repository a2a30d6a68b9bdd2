"""The wiring every process needs: every domain's table models (so SQLModel.metadata and Alembic see
them all), every domain's searchable records handed to the search service, which imports no domain,
and the consumers of the event outbox. The web app (app/main.py), the CLI (app/cli.py) and the tests
import this module."""

from app.audit import models as audit_models
from app.auth import models as auth_models
from app.comments import models as comment_models
from app.comments.search import SEARCHABLE as COMMENTS
from app.core import models as core_models
from app.core import outbox
from app.dashboard import models as dashboard_models
from app.imports import models as import_models
from app.insights import models as insight_models
from app.insights.search import SAVED_SEARCH_ALERTS
from app.insights.search import SEARCHABLE as INSIGHTS
from app.integrations import models as integration_models
from app.integrations.events import CONSUMERS as INTEGRATION_EVENTS
from app.limits import models as limit_models
from app.notifications import models as notification_models
from app.people import models as people_models
from app.proposals import models as proposal_models
from app.proposals.search import SEARCHABLE as PROPOSALS
from app.pulse import models as pulse_models
from app.scim import models as scim_models
from app.search import models as search_models
from app.search.searchable import register as register_searchable
from app.themes import models as theme_models

# Ties in search results are broken in this order of kinds (app.search.types.stable_key).
register_searchable(INSIGHTS, PROPOSALS, COMMENTS)
# What `portal worker` does after a change (app/core/outbox.py): one consumer per event topic.
outbox.register(SAVED_SEARCH_ALERTS, *INTEGRATION_EVENTS)

__all__ = [
    "audit_models",
    "auth_models",
    "comment_models",
    "core_models",
    "dashboard_models",
    "import_models",
    "insight_models",
    "integration_models",
    "limit_models",
    "notification_models",
    "people_models",
    "proposal_models",
    "pulse_models",
    "scim_models",
    "search_models",
    "theme_models",
]
