"""The pages that show several domains at once: an insight with the proposals and comments around
it, a proposal with its comments, decisions and outcomes, and the comment section of either."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.comments import service as comment_service
from app.dashboard import service as dashboard_service
from app.insights import attachments as attachment_service
from app.insights import journey
from app.insights import service as insight_service
from app.insights.models import Kind
from app.people.models import Person, Team
from app.proposals import decisions
from app.proposals import service as proposal_service
from app.proposals.models import ProposalStatus


def comments_section(
    session: Session,
    me: Person,
    *,
    target_type: str,
    target_id: int,
    errors: dict[str, str] | None = None,
    editing: int | None = None,
) -> dict[str, Any]:
    return {
        "threads": comment_service.threads(session, target_type=target_type, target_id=target_id),
        "target_type": target_type,
        "target_id": target_id,
        "comment_errors": errors or {},
        "editing": editing,
        # The anonymous author of this proposal is warned before commenting under their name.
        "named_warning": comment_service.speaks_as_anonymous_author(
            session, actor=me, target_type=target_type, target_id=target_id
        ),
    }


def insight_page(session: Session, me: Person, insight_id: int) -> dict[str, Any]:
    """An insight's page: the insight, the proposals it led to or that address it, its comments;
    for a journey map its emotion curve. Counts the visit for the dashboard's reach figure."""
    info = insight_service.detail(session, actor=me, insight_id=insight_id)
    dashboard_service.record_reach(session, person=me)
    context: dict[str, Any] = {
        "proposals": proposal_service.for_insight(session, insight_id=insight_id),
        "sources": proposal_service.stories_sources(session, story_id=insight_id),
        "comments": comments_section(session, me, target_type="insight", target_id=insight_id),
        "info": info,
        "insight": info.insight,
    }
    if info.insight.kind == Kind.journey_map:
        context["curve"] = journey.emotion_curve(info.stages)
        context["artefact"] = attachment_service.artefact(info.attachments)
        context["emotion_labels"] = journey.EMOTION_LABELS
    return context


def proposal_page(session: Session, me: Person, proposal_id: int) -> dict[str, Any]:
    """A proposal's page: the proposal, its comments, decisions, duplicates and outcomes."""
    info = proposal_service.detail(session, actor=me, proposal_id=proposal_id)
    context: dict[str, Any] = {
        "info": info,
        "proposal": info.proposal,
        "closed": info.proposal.status in proposal_service.CLOSED,
        "comments": comments_section(session, me, target_type="proposal", target_id=proposal_id),
        "timeline": decisions.timeline(session, proposal_id=proposal_id),
        "owner_team": session.get(Team, info.proposal.owner_team_id) if info.proposal.owner_team_id else None,
        "duplicate_of": proposal_service.get(session, proposal_id=info.proposal.duplicate_of_id)
        if info.proposal.duplicate_of_id
        else None,
        "duplicates": proposal_service.duplicates_of(session, proposal_id=proposal_id),
        "outcomes": proposal_service.outcomes_of(session, proposal_id=proposal_id),
        "can_decide": decisions.can_decide(me),
        "statuses": list(ProposalStatus),
        "decision_errors": {},
        "decision_values": {},
    }
    if context["can_decide"]:
        loads = decisions.team_loads(session)
        context["loads"] = loads
        context["suggested"] = decisions.suggest_team(session, proposal_id=proposal_id, loads=loads)
    return context
