"""What teams do about their pulse results (Culture Amp's focus, action, action feedback).

After a round closes, a team's lead or a leader picks one of the four qualities and records actions
with a due date. The team reads them on its pulse page, each beside the change of that quality at
the next round that asked the team, under the heat map's rules: a score only where the team's row
is shown, a change only where both rounds are shown and the number of answers moved by 0 or at
least k (R7). An action is marked done, and can become a proposal, which then follows the normal
flow (leaders answer it, name an owner team, decide).

Actions are public on "What we are doing about it", per department and without team names or
scores: the plan is for everyone to see, the team's scores for the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import db
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.people.models import Department, Person, Team
from app.proposals import service as proposal_service
from app.proposals.schemas import ProposalCreate
from app.pulse import release as rules
from app.pulse import service as pulse_service
from app.pulse.items import DOMAINS, QUALITIES
from app.pulse.models import PulseAction, PulseInvitation, PulseRound
from app.pulse.schemas import ActionCreate

QUALITY_LABELS = {quality: DOMAINS[domain] for quality, domain in QUALITIES.items()}


def can_act(actor: Person, team: Team) -> bool:
    """The team's lead, or a leader (who open and read rounds)."""
    return pulse_service.can_open(actor) or (team.lead_id is not None and team.lead_id == actor.id)


def can_read(actor: Person, team: Team) -> bool:
    """The team's members and lead, and leaders."""
    return can_act(actor, team) or (actor.team_id is not None and actor.team_id == team.id)


def team(session: Session, *, team_id: int) -> Team:
    found = session.get(Team, team_id)
    if found is None:
        raise NotFound("There is no such team.")
    return found


def _readable_team(session: Session, actor: Person, team_id: int) -> Team:
    found = team(session, team_id=team_id)
    if not can_read(actor, found):
        raise PermissionDenied("A team's pulse page is for its members, its lead and leaders.")
    return found


def add(session: Session, *, actor: Person, round_id: int, team_id: int, data: ActionCreate) -> PulseAction:
    quality, title, due_on = data.quality, data.title, data.due_on
    found = team(session, team_id=team_id)
    if not can_act(actor, found):
        raise PermissionDenied("Only the team's lead or a leader records its actions.")
    round_ = pulse_service.get(session, round_id=round_id)
    pulse_service.close_if_due(session, round_)
    errors: dict[str, str] = {}
    if quality not in QUALITIES:
        errors["quality"] = "Choose one of the four qualities: " + ", ".join(QUALITY_LABELS.values()) + "."
    if due_on < utcnow().date():
        errors["due_on"] = "Choose today or a later day."
    if round_.closed_at is None:
        errors["round_id"] = "Actions follow a round's results: this round is still open."
    elif not _asked(session, round_id, team_id):
        errors["team_id"] = "This round did not ask this team."
    elif not _team_row(session, round_, team_id, viewer=None).shown:
        errors["team_id"] = (
            f"Fewer than {round_.min_group} people in this team answered this round (or its result is "
            "hidden to protect another group), so no action can be tied to its result. Work on it "
            "with the department's result instead."
        )
    ValidationFailed.unless_empty(errors)
    action = PulseAction(
        round_id=round_id,
        team_id=team_id,
        quality=quality,
        title=title,
        due_on=due_on,
        created_by_id=actor.id,
    )
    session.add(action)
    session.flush()
    audit_service.record(
        session,
        actor,
        "pulse.action",
        action,
        summary=title,
        details={"team_id": team_id, "quality": quality},
    )
    db.commit(session)
    return action


def _asked(session: Session, round_id: int, team_id: int) -> bool:
    """Whether the round invited anyone in the team."""
    return (
        session.exec(
            select(PulseInvitation.person_id).where(
                PulseInvitation.round_id == round_id, PulseInvitation.team_id == team_id
            )
        ).first()
        is not None
    )


def _team_row(session: Session, round_: PulseRound, team_id: int, *, viewer: Person | None) -> rules.Group:
    release = pulse_service.release_for(session, round_, viewer=viewer)
    found = next((g for g in release.groups if g.key == f"team:{team_id}"), None)
    return found or rules.Group(f"team:{team_id}", "team", "", None, 0, 0)


def get(session: Session, *, action_id: int) -> PulseAction:
    action = session.get(PulseAction, action_id)
    if action is None:
        raise NotFound("There is no such action.")
    return action


def mark(session: Session, *, actor: Person, action_id: int, done: bool) -> PulseAction:
    action = get(session, action_id=action_id)
    if not can_act(actor, team(session, team_id=action.team_id)):
        raise PermissionDenied("Only the team's lead or a leader changes its actions.")
    if (action.done_at is not None) != done:
        action.done_at = utcnow() if done else None
        session.add(action)
        audit_service.record(session, actor, "pulse.action_done" if done else "pulse.action_reopen", action)
        db.commit(session)
    return action


def to_proposal(session: Session, *, actor: Person, action_id: int) -> int:
    """Make the action a proposal by the person who asks (the normal flow from there). The team is
    not named in it: the author writes what they want others to know. Returns the proposal's id."""
    action = get(session, action_id=action_id)
    found = team(session, team_id=action.team_id)
    if not can_act(actor, found):
        raise PermissionDenied("Only the team's lead or a leader makes its actions proposals.")
    if action.proposal_id is not None:
        raise Conflict("This action is already a proposal.")
    proposal = proposal_service.create(
        session,
        actor=actor,
        data=ProposalCreate(
            title=action.title if len(action.title) >= 5 else f"Pulse action: {action.title}",
            problem=(
                f"After a team pulse, we chose to work on “{QUALITY_LABELS[action.quality]}”, one of the "
                "four qualities of psychological safety."
            ),
            change=f"{action.title} (due {action.due_on:%-d %B %Y}).",
            department_ids=[found.department_id],
        ),
    )
    action = get(session, action_id=action_id)
    action.proposal_id = proposal.id
    session.add(action)
    db.commit(session)
    return proposal.id or 0


# --- reading -------------------------------------------------------------------------------------


@dataclass
class ActionView:
    action: PulseAction
    team: str
    quality_label: str
    score_then: float | None
    score_next: float | None
    change: float | None
    next_round: PulseRound | None


def for_team(
    session: Session, *, actor: Person, team_id: int, round_id: int | None = None
) -> list[ActionView]:
    """A team's actions, newest round first, each with the change of its quality at the next round
    that asked the team (as the viewer may read it)."""
    found = _readable_team(session, actor, team_id)
    query = select(PulseAction).where(PulseAction.team_id == team_id)
    if round_id is not None:
        query = query.where(PulseAction.round_id == round_id)
    found_actions = session.exec(
        query.order_by(col(PulseAction.round_id).desc(), col(PulseAction.due_on), col(PulseAction.id))
    ).all()
    rows: dict[int, rules.Group] = {}

    def row(round_: PulseRound) -> rules.Group:
        if round_.id not in rows:
            rows[round_.id or 0] = _team_row(session, round_, team_id, viewer=actor)
        return rows[round_.id or 0]

    views = []
    for action in found_actions:
        round_ = pulse_service.get(session, round_id=action.round_id)
        domain = QUALITIES[action.quality]
        then = row(round_)
        next_round = _next_round_asking(session, round_, team_id)
        after = row(next_round) if next_round is not None else None
        score_then = then.domains.get(domain) if then.shown and then.domains else None
        score_next = after.domains.get(domain) if after and after.shown and after.domains else None
        change = None
        if after is not None and score_then is not None and score_next is not None:
            if rules.comparable(then, after, round_.min_group):
                change = round(score_next - score_then, 2)
        views.append(
            ActionView(
                action=action,
                team=found.name,
                quality_label=QUALITY_LABELS[action.quality],
                score_then=score_then,
                score_next=score_next,
                change=change,
                next_round=next_round,
            )
        )
    return views


def _next_round_asking(session: Session, round_: PulseRound, team_id: int) -> PulseRound | None:
    """The first closed round opened after this one that invited the team."""
    asked = select(PulseInvitation.round_id).where(PulseInvitation.team_id == team_id)
    return session.exec(
        select(PulseRound)
        .where(
            col(PulseRound.opened_at) > round_.opened_at,
            col(PulseRound.closed_at).is_not(None),
            col(PulseRound.id).in_(asked),
        )
        .order_by(col(PulseRound.opened_at))
    ).first()


@dataclass
class DepartmentPlan:
    department: str
    focus: dict[str, tuple[int, int]]  # quality label -> (open, done) actions
    actions: list[PulseAction]


def company_plan(session: Session) -> list[DepartmentPlan]:
    """ "What we are doing about it": per department, the qualities in focus and the actions, with
    neither team names nor scores (readable by everyone signed in)."""
    rows = session.exec(
        select(PulseAction, Department.name)
        .join(Team, col(Team.id) == PulseAction.team_id)
        .join(Department, col(Department.id) == Team.department_id)
        .order_by(Department.name, col(PulseAction.done_at).is_not(None), col(PulseAction.due_on))
    ).all()
    plans: dict[str, DepartmentPlan] = {}
    for action, department in rows:
        plan = plans.setdefault(department, DepartmentPlan(department, {}, []))
        label = QUALITY_LABELS.get(action.quality, action.quality)
        open_, done = plan.focus.get(label, (0, 0))
        plan.focus[label] = (open_ + (action.done_at is None), done + (action.done_at is not None))
        plan.actions.append(action)
    return list(plans.values())


def counts_by_department(session: Session) -> dict[str, tuple[int, int]]:
    """Department name -> (open, done) actions, for the dashboard."""
    return {
        plan.department: (
            sum(o for o, _d in plan.focus.values()),
            sum(d for _o, d in plan.focus.values()),
        )
        for plan in company_plan(session)
    }


def shown_rounds_for_team(session: Session, *, actor: Person, team_id: int) -> list[PulseRound]:
    """Closed rounds that asked the team and show its row: the rounds an action can follow."""
    asked = select(PulseInvitation.round_id).where(PulseInvitation.team_id == team_id)
    closed = session.exec(
        select(PulseRound)
        .where(col(PulseRound.closed_at).is_not(None), col(PulseRound.id).in_(asked))
        .order_by(col(PulseRound.opened_at).desc())
    ).all()
    return [r for r in closed if _team_row(session, r, team_id, viewer=None).shown]


def done_on(action: PulseAction) -> date | None:
    done: datetime | None = action.done_at
    return done.date() if done else None
