"""Is the loop working? Reach, participation, responsiveness, conversion, and journey heat strips."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.comments.models import Comment
from app.core import cache, db
from app.core.config import get_settings
from app.core.models import aware, utcnow
from app.dashboard.models import InsightReach
from app.insights.models import Insight, JourneyStage, Kind, Status
from app.people.models import Department, Person, Team
from app.proposals.models import Proposal, ProposalInsight, ProposalStatus, Support

WINDOW_DAYS = 30
ADVANCED = (ProposalStatus.accepted, ProposalStatus.in_progress, ProposalStatus.done)
CLOSED = (ProposalStatus.done, ProposalStatus.declined, ProposalStatus.duplicate)


def record_reach(session: Session, *, person: Person) -> None:
    """Note that this person opened an insight today (once per day, whatever the number of clicks).
    It is a write during a page view: losing it to a busy database must not break the page."""
    assert person.id is not None
    today = utcnow().date()

    def noted() -> bool:
        return (
            session.exec(
                select(InsightReach.id).where(InsightReach.person_id == person.id, InsightReach.day == today)
            ).first()
            is not None
        )

    # Kept by the process (core.cache) once noted, so later views of the day ask the database nothing.
    if cache.for_session(
        session, "insight-reach", (person.id, today), noted, tables=("insight_reach",), ttl=3600
    ):
        return
    try:
        session.add(InsightReach(person_id=person.id, day=today))
        db.commit(session)
    except (IntegrityError, OperationalError):
        session.rollback()


@dataclass
class DepartmentRow:
    name: str
    people: int
    reached: int
    proposals: int
    comments: int
    supports: int

    @property
    def reach_share(self) -> float:
        return self.reached / self.people if self.people else 0.0


@dataclass
class StageHeat:
    name: str
    emotion: int
    pain_points: int
    proposals: int


@dataclass
class JourneyHeat:
    journey: Insight
    stages: list[StageHeat]


@dataclass
class Dashboard:
    departments: list[DepartmentRow] = field(default_factory=list)
    proposals_total: int = 0
    answered: int = 0
    median_days_to_response: float | None = None
    answered_within_target: float | None = None
    target_days: int = 14
    accepted_share: float | None = None
    done_share: float | None = None
    success_stories: int = 0
    anonymous_proposals: int | None = None  # company-wide only; None when the company is below k
    journeys: list[JourneyHeat] = field(default_factory=list)
    computed_at: datetime | None = None  # the page says how fresh its figures are


# The dashboard reads every proposal and every active person: its figures are kept for a minute
# (see core.cache), and the page says when they were computed.
FRESH_SECONDS = 60.0
DASHBOARD_TABLES = (
    "proposal",
    "proposal_insight",
    "support",
    "comment",
    "insight",
    "journey_stage",
    "insight_reach",
    "person",
    "team",
    "department",
)


def current(session: Session) -> Dashboard:
    """The dashboard as of now, or as computed less than a minute ago."""

    def compute() -> Dashboard:
        board = build(session)
        # Other requests read the kept board after this session is gone: its journey maps must
        # not expire with this session's transaction (a rollback would expire them).
        for heat in board.journeys:
            session.expunge(heat.journey)
        return board

    return cache.for_session(session, "dashboard", (), compute, tables=DASHBOARD_TABLES, ttl=FRESH_SECONDS)


def build(session: Session, *, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    target = get_settings().response_target_days
    board = Dashboard(target_days=target, computed_at=now)
    recent_proposals = list(
        session.exec(
            select(Proposal.author_id, Proposal.is_anonymous).where(col(Proposal.created_at) >= since)
        ).all()
    )
    board.departments = _departments(session, since_day=since.date(), since=since, proposals=recent_proposals)
    board.anonymous_proposals = anonymous_count(
        proposals=recent_proposals,
        people=sum(d.people for d in board.departments),
        min_group=get_settings().min_group,
    )
    proposals = list(session.exec(select(Proposal)).all())
    board.proposals_total = len(proposals)
    answered = [p for p in proposals if p.first_response_at is not None]
    board.answered = len(answered)
    if answered:
        days = [
            (aware(p.first_response_at) - aware(p.created_at)).total_seconds() / 86400  # type: ignore[arg-type]
            for p in answered
        ]
        board.median_days_to_response = round(statistics.median(days), 1)
    # Within target: of the proposals whose clock has run out or that were answered, how many in time.
    judged = [
        p for p in proposals if p.first_response_at is not None or (now - aware(p.created_at)).days > target
    ]
    if judged:
        in_time = [
            p
            for p in judged
            if p.first_response_at is not None
            and (aware(p.first_response_at) - aware(p.created_at)).days <= target
        ]
        board.answered_within_target = len(in_time) / len(judged)
    if proposals:
        board.accepted_share = sum(p.status in ADVANCED for p in proposals) / len(proposals)
        board.done_share = sum(p.status == ProposalStatus.done for p in proposals) / len(proposals)
    # Counted in the database, from the (kind, status, …) index, not by loading every id.
    board.success_stories = session.exec(
        select(func.count())
        .select_from(Insight)
        .where(Insight.kind == Kind.success_story, Insight.status == Status.published)
    ).one()
    board.journeys = _journeys(session)
    return board


def _departments(
    session: Session, *, since: datetime, since_day: date, proposals: list[tuple[int, bool]]
) -> list[DepartmentRow]:
    department_of: dict[int, str] = {}
    for person_id, name in session.exec(
        select(Person.id, Department.name)
        .join(Team, col(Team.id) == Person.team_id)
        .join(Department, col(Department.id) == Team.department_id)
        .where(Person.is_active)
    ).all():
        if person_id is not None:
            department_of[person_id] = name
    return department_rows(
        department_of=department_of,
        reached=set(
            session.exec(select(InsightReach.person_id).where(col(InsightReach.day) >= since_day)).all()
        ),
        proposals=proposals,
        comment_authors=list(
            session.exec(select(Comment.author_id).where(col(Comment.created_at) >= since)).all()
        ),
        supporters=list(
            session.exec(select(Support.person_id).where(col(Support.created_at) >= since)).all()
        ),
    )


def department_rows(
    *,
    department_of: dict[int, str],
    reached: set[int],
    proposals: list[tuple[int, bool]],
    comment_authors: list[int],
    supporters: list[int],
) -> list[DepartmentRow]:
    """Per-department figures from who did what. Anonymous proposals are never counted under a
    department (or a team): a leader reloading the dashboard after one appeared would otherwise see
    which department wrote it. They are counted only company-wide (`anonymous_count`)."""
    people_count = Counter(department_of.values())
    reach = Counter(department_of[pid] for pid in reached if pid in department_of)
    named = Counter(department_of.get(pid, "") for pid, anonymous in proposals if not anonymous)
    comments = Counter(department_of.get(pid, "") for pid in comment_authors)
    supports = Counter(department_of.get(pid, "") for pid in supporters)
    return [
        DepartmentRow(
            name=name,
            people=people_count[name],
            reached=reach[name],
            proposals=named[name],
            comments=comments[name],
            supports=supports[name],
        )
        for name in sorted(people_count)
    ]


def anonymous_count(*, proposals: list[tuple[int, bool]], people: int, min_group: int) -> int | None:
    """Anonymous proposals of the window, company-wide; None (not shown) when the whole company is
    smaller than the minimum group, since the count would then point at a handful of people."""
    if people < min_group:
        return None
    return sum(1 for _pid, anonymous in proposals if anonymous)


def _journeys(session: Session) -> list[JourneyHeat]:
    """Per stage of each journey map: customer emotion, open pain points, and open proposals for them."""
    journeys = list(
        session.exec(
            select(Insight)
            .where(Insight.kind == Kind.journey_map, Insight.status == Status.published)
            .order_by(Insight.title)
        ).all()
    )
    result = []
    for journey in journeys:
        stages = list(
            session.exec(
                select(JourneyStage)
                .where(JourneyStage.journey_id == journey.id)
                .order_by(col(JourneyStage.position))
            ).all()
        )
        heat = []
        for stage in stages:
            pain_ids = [
                i
                for i in session.exec(
                    select(Insight.id).where(
                        Insight.journey_stage_id == stage.id, Insight.status == Status.published
                    )
                ).all()
                if i is not None
            ]
            open_proposals = (
                set(
                    session.exec(
                        select(ProposalInsight.proposal_id)
                        .join(Proposal, col(Proposal.id) == ProposalInsight.proposal_id)
                        .where(
                            col(ProposalInsight.insight_id).in_(pain_ids), col(Proposal.status).not_in(CLOSED)
                        )
                    ).all()
                )
                if pain_ids
                else set()
            )
            heat.append(
                StageHeat(
                    name=stage.name,
                    emotion=stage.emotion,
                    pain_points=len(pain_ids),
                    proposals=len(open_proposals),
                )
            )
        result.append(JourneyHeat(journey=journey, stages=heat))
    return result


def csv_rows(board: Dashboard) -> list[list[object]]:
    """The dashboard's numbers as a table, for the CSV download."""
    rows: list[list[object]] = [["section", "name", "measure", "value"]]
    for d in board.departments:
        rows += [
            ["reach", d.name, "people", str(d.people)],
            ["reach", d.name, "reached_30d", str(d.reached)],
            ["reach", d.name, "reach_share", f"{d.reach_share:.3f}"],
            ["participation", d.name, "proposals_30d", str(d.proposals)],
            ["participation", d.name, "comments_30d", str(d.comments)],
            ["participation", d.name, "supports_30d", str(d.supports)],
        ]
    rows.append(
        [
            "participation",
            "all",
            "anonymous_proposals_30d",
            "" if board.anonymous_proposals is None else str(board.anonymous_proposals),
        ]
    )
    rows += [
        ["responsiveness", "all", "median_days_to_first_response", str(board.median_days_to_response or "")],
        [
            "responsiveness",
            "all",
            "answered_within_target_share",
            "" if board.answered_within_target is None else f"{board.answered_within_target:.3f}",
        ],
        [
            "conversion",
            "all",
            "accepted_share",
            "" if board.accepted_share is None else f"{board.accepted_share:.3f}",
        ],
        ["conversion", "all", "done_share", "" if board.done_share is None else f"{board.done_share:.3f}"],
    ]
    for j in board.journeys:
        for s in j.stages:
            rows += [
                ["journey", f"{j.journey.title} / {s.name}", "emotion", s.emotion],
                ["journey", f"{j.journey.title} / {s.name}", "open_pain_points", str(s.pain_points)],
                ["journey", f"{j.journey.title} / {s.name}", "open_proposals", str(s.proposals)],
            ]
    return rows


def export_rows(session: Session, *, actor: Person) -> list[list[object]]:
    """The dashboard as CSV rows; the download is audited (who, not what) in its own transaction."""
    rows = csv_rows(current(session))
    audit_service.record(session, actor, "dashboard.export", entity_type="dashboard", summary="CSV")
    db.commit(session)
    return rows
