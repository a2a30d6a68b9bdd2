"""The pages that show several domains at once (the routes render these contexts): an insight with
the proposals and comments around it, a proposal with its comments, decisions and outcomes, the
comment section of either, home, the insight and proposal lists, the insight form, the dashboard
and the profile. A page of one domain only keeps its context in that domain's pages.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from app.auth import service as auth_service
from app.comments import service as comment_service
from app.core.config import get_settings
from app.core.db import rows_by_id
from app.core.forms import FormState
from app.core.types import page_count
from app.dashboard import service as dashboard_service
from app.flows import proposal_list as proposal_ranking
from app.insights import attachments as attachment_service
from app.insights import journey
from app.insights import schemas as insight_schemas
from app.insights import service as insight_service
from app.insights import stages as stage_service
from app.insights import tags as tag_service
from app.insights.models import Channel, Insight, Kind, ScoreScale, Sentiment
from app.notifications import service as notification_service
from app.people import service as people_service
from app.people.models import Person, Team
from app.proposals import decisions
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from app.proposals.models import Proposal, ProposalStatus
from app.pulse import actions as pulse_actions
from app.pulse import service as pulse_service
from app.pulse.models import PulseRound


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


@dataclass
class MergeConfirmation:
    """The step before a merge: the originals that match what the leader typed, to pick and confirm."""

    query: str
    candidates: list[Proposal]

    @property
    def status_code(self) -> int:
        return 200 if self.candidates else 422


def merge_confirmation(
    session: Session, me: Person, proposal_id: int, query: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The proposal page with the merge to confirm (or, when nothing matches, the form saying so)."""
    context = proposal_page(session, me, proposal_id)
    candidates = proposal_service.originals_for(session, duplicate_id=proposal_id, text=query)
    context.update(merge=MergeConfirmation(query=query, candidates=candidates), decision_values=values)
    if not candidates:
        context["decision_errors"] = {
            "duplicate_of": "No open proposal matches that. Type the original's number or words of its title."
        }
    return context


def home(session: Session, me: Person) -> dict[str, Any]:
    """The home page: what is new, what is new for the person's department, what to do next."""
    team = session.get(Team, me.team_id) if me.team_id else None
    latest = insight_service.latest(session, actor=me, limit=6)
    for_department = (
        insight_service.latest(session, actor=me, department_id=team.department_id, limit=5) if team else []
    )
    ids = [i.id for i in [*latest, *for_department] if i.id is not None]
    return {
        "profile": people_service.to_read(session, me),
        "latest": latest,
        "for_department": for_department,
        "counts": insight_service.counts_by_kind(session, actor=me),
        "pain_points": insight_service.latest(session, actor=me, kinds=[Kind.pain_point], limit=3),
        "tags": tag_service.tags_by_insight(session, ids),
        "kinds": list(Kind),
        "pulse_rounds": pulse_service.open_for(session, person=me),
        "my_proposals": proposal_service.mine(session, actor=me)[:5],
        "supported": proposal_service.supported_by(session, actor=me, limit=5),
        "waiting": _waiting_for(session, me),
    }


@dataclass
class WaitingFor:
    """What waits for a leader: proposals without an official response, and open pulse rounds."""

    proposals: decisions.Unanswered
    open_rounds: list[PulseRound]


def _waiting_for(session: Session, me: Person) -> WaitingFor | None:
    if not decisions.can_decide(me):
        return None
    open_rounds = [r for r in pulse_service.rounds(session) if pulse_service.is_open(r)]
    return WaitingFor(proposals=decisions.unanswered(session), open_rounds=open_rounds)


def insight_form(
    session: Session, me: Person, kind: Kind, form: FormState, insight: Insight | None = None
) -> dict[str, Any]:
    """The insight form: the values and errors, and the choices its kind offers."""
    evidence = insight_service.get_many(session, actor=me, ids=form.values.get("evidence_ids") or [])
    return {
        "kind": kind,
        "kind_label": kind.label,
        "values": form.values,
        "errors": form.errors,
        "insight": insight,
        "departments": people_service.list_departments(session),
        "teams": people_service.list_teams(session),
        "channels": list(Channel),
        "sentiments": list(Sentiment),
        "scales": list(ScoreScale),
        "stages": stage_service.all_stages(session) if kind == Kind.pain_point else [],
        "evidence": evidence,
        "done_proposals": proposal_service.done_proposals(session) if kind == Kind.success_story else [],
    }


def proposal_list(session: Session, filters: proposal_schemas.ListFilters) -> dict[str, Any]:
    """The proposal list: one page of proposals under the filters, and the choices to filter by."""
    total, items = proposal_ranking.list_proposals(session, filters=filters)
    return {
        "items": items,
        "total": total,
        "filters": filters,
        "pages": page_count(total, proposal_service.PER_PAGE),
        "statuses": list(ProposalStatus),
        "departments": people_service.list_departments(session),
        "sorts": [("trending", "Trending"), ("support", "Most supported"), ("newest", "Newest")],
    }


def insight_list(session: Session, me: Person, filters: insight_schemas.ListFilters) -> dict[str, Any]:
    """The insight list: one page of insights with their tags, evidence and authors, and the values
    the filters offer."""
    total, items = insight_service.list_insights(session, actor=me, filters=filters)
    ids = [i.id for i in items if i.id is not None]
    pain_points = [i.id for i in items if i.kind == Kind.pain_point and i.id is not None]
    return {
        "items": items,
        "total": total,
        "filters": filters,
        "pages": page_count(total, insight_service.PER_PAGE),
        "first": insight_service.cursor_of(items[0]) if items else "",
        "last": insight_service.cursor_of(items[-1]) if items else "",
        "tags": tag_service.tags_by_insight(session, ids),
        "evidence": insight_service.evidence_counts(session, pain_points),  # only pain points cite evidence
        "options": insight_service.filter_options(session, actor=me),
        "kinds": list(Kind),
        "sentiments": list(Sentiment),
    }


def dashboard(session: Session, me: Person) -> dict[str, Any]:
    """The dashboard for everyone; leaders also see the latest closed pulse round's aggregates
    (with its suppression applied)."""
    board = dashboard_service.current(session)
    widest = max((d.proposals + d.comments + d.supports for d in board.departments), default=0)
    full = decisions.can_decide(me)
    return {
        "board": board,
        "full": full,
        "widest": max(widest, 1),
        "emotion_labels": journey.EMOTION_LABELS,
        "pulse": pulse_service.department_safety(
            session, viewer=me, fresh_seconds=dashboard_service.FRESH_SECONDS
        )
        if full
        else None,
        # Beside the latest safety: each department's safety over the rounds, and its teams' actions.
        "pulse_trends": pulse_service.department_trends(
            session, viewer=me, fresh_seconds=dashboard_service.FRESH_SECONDS
        )
        if full
        else {},
        "pulse_actions": pulse_actions.counts_by_department(session) if full else {},
    }


def profile(session: Session, me: Person) -> dict[str, Any]:
    """/me: the person, their API tokens, their proposals and what they follow."""
    return {
        "profile": people_service.to_read(session, me),
        "tokens": (tokens := auth_service.list_tokens(session, owner=me)),
        "expired_token_ids": {t.id for t in tokens if t.revoked_at is None and not auth_service.is_usable(t)},
        "default_token_days": get_settings().api_token_days,
        "local_auth": get_settings().auth_mode == "local",
        "my_proposals": proposal_service.mine(session, actor=me),
        "follows": _follows(session, me),
    }


def _follows(session: Session, me: Person) -> list[tuple[str, str, str, str]]:
    """(kind, key, label, url) of everything the person follows; insights and proposals by title
    (one that is gone, or that they may no longer see, says so)."""
    keys = {
        kind: notification_service.follows_of(session, person=me, target_type=kind) for kind in FOLLOWABLE
    }
    ids = {kind: [int(k) for k in keys[kind] if k.isdigit()] for kind in ("insight", "proposal")}
    titles = {
        "insight": {i.id: i.title for i in insight_service.get_many(session, actor=me, ids=ids["insight"])},
        "proposal": {p.id: p.title for p in rows_by_id(session, Proposal, ids["proposal"]).values()},
    }
    rows: list[tuple[str, str, str, str]] = []
    for kind in FOLLOWABLE:
        for key in keys[kind]:
            if kind == "tag":
                rows.append((kind, key, f"#{key}", f"/insights?tag={quote(key)}"))
            elif kind == "search":
                rows.append((kind, key, f"“{key}”", f"/search?q={quote(key)}"))
            else:
                title = titles[kind].get(int(key)) if key.isdigit() else None
                rows.append((kind, key, title or f"{kind} {key} (no longer there)", f"/{kind}s/{key}"))
    return rows


FOLLOWABLE = ("tag", "search", "insight", "proposal")
