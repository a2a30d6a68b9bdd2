"""Themes: refresh them from the published feedback (the worker, `portal themes refresh`), read
them with filters (CX staff and leaders), and turn one into a pain point with its feedback as
evidence. The web processes only read: computing happens in `portal worker`."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from app.core import cache, db
from app.core.access import EXPORTERS
from app.core.errors import NotFound, PermissionDenied
from app.core.models import utcnow
from app.core.worker import RepeatingWorker
from app.insights import service as insight_service
from app.insights.kinds import Kind
from app.insights.models import Evidence, Insight, JourneyStage, Sentiment, Status
from app.insights.schemas import InsightCreate
from app.people.models import Department, Person
from app.themes import engine
from app.themes.models import Theme, ThemeMember, ThemeRun

log = logging.getLogger("portal.themes")

WINDOW = timedelta(days=30)  # growth: the last 30 days against the 30 before
EVIDENCE_LIMIT = 500  # a pain point holds at most this much evidence (the closest members)
COVERED_SHARE = 0.2  # a pain point covers a theme when a fifth of the theme is its evidence
KEEP_ID_OVERLAP = 0.3  # a refreshed theme keeps an old id when this share of members is shared
MIN_GAP = timedelta(minutes=5)  # the worker refreshes at most this often (more for slow runs)
TABLES = ("theme", "theme_member", "insight", "evidence")


def can_read(person: Person | None) -> bool:
    return person is not None and person.role in EXPORTERS


def check_reader(person: Person) -> None:
    if not can_read(person):
        raise PermissionDenied("Themes are for CX staff and leaders.")


# --- refreshing ----------------------------------------------------------------------------------


def feedback_docs(session: Session) -> list[engine.Doc]:
    """Every published piece of feedback, as the words the customer used (and its title)."""
    rows = session.execute(
        select(Insight.id, Insight.title, Insight.quote, Insight.body)
        .where(Insight.kind == Kind.feedback, Insight.status == Status.published)
        .order_by(col(Insight.id))
    ).all()
    return [engine.Doc(id=i, text=f"{title}. {quote or body}") for i, title, quote, body in rows]


def fingerprint(session: Session) -> str:
    """Changes whenever published feedback is added, edited, archived or restored."""
    count, top, changed = session.execute(
        select(func.count(), func.max(Insight.id), func.max(Insight.updated_at)).where(
            Insight.kind == Kind.feedback, Insight.status == Status.published
        )
    ).one()
    return f"{count}:{top}:{changed}"


def last_run(session: Session) -> ThemeRun | None:
    return session.exec(select(ThemeRun).order_by(col(ThemeRun.id).desc())).first()


def due(session: Session, *, now: datetime | None = None) -> bool:
    """Whether the worker should refresh: the feedback changed, and the last run is long enough
    ago (five minutes, or ten times its own length for a large library)."""
    last = last_run(session)
    if last is None:
        return True
    if last.fingerprint == fingerprint(session):
        return False
    gap = max(MIN_GAP, timedelta(seconds=10 * last.seconds))
    started = (
        last.started_at
        if last.started_at.tzinfo
        else last.started_at.replace(tzinfo=(now or utcnow()).tzinfo)
    )
    return (now or utcnow()) - started >= gap


def refresh(session: Session) -> ThemeRun:
    """Find the themes again and store them in one transaction; a theme that keeps most of its
    members keeps its id."""
    started = utcnow()
    began = time.perf_counter()
    mark = fingerprint(session)
    docs = feedback_docs(session)
    previous = _previous_members(session)
    # End the reading transaction before computing: on SQLite a write session holds the database's
    # write lock from its first statement, and nobody could post anything for the seconds this takes.
    db.commit(session)
    found = engine.find_themes(docs)
    ids = _keep_ids(found, previous)
    now = utcnow()
    for theme_id in set(previous) - set(ids.values()):
        session.execute(delete(ThemeMember).where(col(ThemeMember.theme_id) == theme_id))
        session.execute(delete(Theme).where(col(Theme.id) == theme_id))
    session.execute(delete(ThemeMember))
    for n, theme in enumerate(found):
        record = session.get(Theme, ids[n]) if n in ids else None
        if record is None:
            record = Theme(label=theme.label, first_seen_at=now)
        record.label, record.terms, record.size, record.refreshed_at = (
            theme.label,
            theme.terms,
            theme.size,
            now,
        )
        session.add(record)
        session.flush()
        rows = [{"theme_id": record.id, "insight_id": fid, "closeness": c} for fid, c in theme.members]
        for start in range(0, len(rows), 5000):
            session.execute(insert(ThemeMember), rows[start : start + 5000])
    run = ThemeRun(
        started_at=started,
        seconds=round(time.perf_counter() - began, 2),
        feedback=len(docs),
        themes=len(found),
        fingerprint=mark,
    )
    session.add(run)
    db.commit(session)
    log.info(
        "themes refreshed", extra={"event": "themes.refreshed", "themes": len(found), "seconds": run.seconds}
    )
    return run


def _previous_members(session: Session) -> dict[int, set[int]]:
    members: dict[int, set[int]] = defaultdict(set)
    for theme_id, insight_id in session.execute(select(ThemeMember.theme_id, ThemeMember.insight_id)).all():
        members[theme_id].add(insight_id)
    for (theme_id,) in session.execute(select(Theme.id)).all():
        members.setdefault(theme_id, set())
    return members


def _keep_ids(found: list[engine.Found], previous: dict[int, set[int]]) -> dict[int, int]:
    """New theme index -> old theme id, for pairs sharing enough members (largest overlap first)."""
    where: dict[int, int] = {}
    for old_id, members in previous.items():
        for fid in members:
            where[fid] = old_id
    pairs = []
    for n, theme in enumerate(found):
        shared = Counter(where[fid] for fid, _c in theme.members if fid in where)
        for old_id, count in shared.items():
            union = len(previous[old_id]) + theme.size - count
            if union and count / union >= KEEP_ID_OVERLAP:
                pairs.append((count / union, n, old_id))
    kept: dict[int, int] = {}
    used: set[int] = set()
    for _score, n, old_id in sorted(pairs, reverse=True):
        if n not in kept and old_id not in used:
            kept[n] = old_id
            used.add(old_id)
    return kept


class ThemeWorker(RepeatingWorker):
    """In `portal worker`: refresh the themes when the feedback changed (checked every minute)."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__(name="themes", interval=interval, log=log, failure_event="themes.refresh_failed")

    def step(self) -> bool:
        with db.new_session() as session:
            if due(session):
                refresh(session)
        return False


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    department_id: int | None = None
    stage_id: int | None = None
    since: date | None = None


@dataclass
class ThemeView:
    theme: Theme
    size: int = 0
    recent: int = 0
    previous: int = 0
    sentiment: dict[str, int] = field(default_factory=lambda: {"negative": 0, "neutral": 0, "positive": 0})
    departments: list[tuple[str, int]] = field(default_factory=list)
    stages: list[tuple[str, int]] = field(default_factory=list)
    covered_by: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)  # closest first
    days: list[date] = field(default_factory=list)

    @property
    def growth(self) -> float:
        """Against the previous 30 days, as a ratio (1.0 = doubled); from 1 for a new theme."""
        return round((self.recent - self.previous) / max(self.previous, 1), 2)

    @property
    def growing(self) -> bool:
        return self.recent >= 3 and self.recent > 1.5 * self.previous


def themes(
    session: Session, *, actor: Person, filters: Filters = Filters(), today: date | None = None
) -> list[ThemeView]:
    """The themes as they stand for these filters: uncovered first, then growing, then largest.
    Only published feedback counts; archived feedback drops out at once, before the next refresh."""
    check_reader(actor)
    key = (filters, today)
    return cache.for_session(
        session, "themes", key, lambda: _views(session, filters, today), tables=TABLES, ttl=60
    )


def _views(session: Session, filters: Filters, today: date | None) -> list[ThemeView]:
    today = today or utcnow().date()
    records = {t.id: t for t in session.exec(select(Theme)).all()}
    views: dict[int, ThemeView] = {}
    query = (
        select(  # type: ignore[call-overload]  # seven columns: beyond sqlmodel's typed overloads
            ThemeMember.theme_id,
            ThemeMember.insight_id,
            Insight.sentiment,
            Insight.department_id,
            Insight.journey_stage_id,
            Insight.received_at,
            Insight.created_at,
        )
        .join(Insight, col(Insight.id) == ThemeMember.insight_id)
        .where(Insight.status == Status.published, Insight.kind == Kind.feedback)
        .order_by(col(ThemeMember.theme_id), col(ThemeMember.closeness).desc(), col(ThemeMember.insight_id))
    )
    if filters.department_id is not None:
        query = query.where(Insight.department_id == filters.department_id)
    if filters.stage_id is not None:
        query = query.where(Insight.journey_stage_id == filters.stage_id)
    departments: dict[int, Counter[int]] = defaultdict(Counter)
    stages: dict[int, Counter[int]] = defaultdict(Counter)
    for theme_id, insight_id, sentiment, department_id, stage_id, received, created in session.execute(
        query
    ).all():
        day = received or created.date()
        if filters.since is not None and day < filters.since:
            continue
        view = views.get(theme_id)
        if view is None:
            view = views[theme_id] = ThemeView(theme=records[theme_id])
        view.size += 1
        view.member_ids.append(insight_id)
        view.days.append(day)
        if day > today - WINDOW:
            view.recent += 1
        elif day > today - 2 * WINDOW:
            view.previous += 1
        if sentiment is not None:
            view.sentiment[Sentiment(sentiment).value] += 1
        if department_id is not None:
            departments[theme_id][department_id] += 1
        if stage_id is not None:
            stages[theme_id][stage_id] += 1
    names = {d.id: d.name for d in session.exec(select(Department)).all()}
    stage_names = {
        s.id: s.name
        for s in session.exec(
            select(JourneyStage).where(col(JourneyStage.id).in_({i for c in stages.values() for i in c}))
        ).all()
    }
    covers = _covers(session)
    for theme_id, view in views.items():
        view.departments = [(names.get(d, ""), n) for d, n in departments[theme_id].most_common(3)]
        view.stages = [(stage_names.get(s, ""), n) for s, n in stages[theme_id].most_common(3)]
        view.covered_by = covers.get(theme_id, [])
    return sorted(
        views.values(), key=lambda v: (bool(v.covered_by), not v.growing, -v.growth, -v.size, v.theme.id or 0)
    )


def _covers(session: Session) -> dict[int, list[int]]:
    """Theme id -> the published pain points whose evidence holds at least a fifth of the theme."""
    painpoint = select(Insight.id).where(Insight.kind == Kind.pain_point, Insight.status == Status.published)
    rows = session.execute(
        select(ThemeMember.theme_id, Evidence.pain_point_id, func.count())
        .join(Evidence, col(Evidence.feedback_id) == ThemeMember.insight_id)
        .where(col(Evidence.pain_point_id).in_(painpoint))
        .group_by(col(ThemeMember.theme_id), col(Evidence.pain_point_id))
    ).all()
    sizes = dict(session.execute(select(Theme.id, Theme.size)).all())
    covers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for theme_id, pain_point_id, shared in rows:
        if shared >= max(1, math.ceil(COVERED_SHARE * sizes.get(theme_id, 0))):
            covers[theme_id].append((shared, pain_point_id))
    return {t: [p for _n, p in sorted(found, reverse=True)] for t, found in covers.items()}


def theme(session: Session, *, actor: Person, theme_id: int, filters: Filters = Filters()) -> ThemeView:
    found = next((v for v in themes(session, actor=actor, filters=filters) if v.theme.id == theme_id), None)
    if found is None:
        if session.get(Theme, theme_id) is None:
            raise NotFound("There is no such theme (themes are found again as feedback arrives).")
        return ThemeView(theme=session.get(Theme, theme_id))  # type: ignore[arg-type]
    return found


def quotes(session: Session, view: ThemeView, limit: int = 3) -> list[Insight]:
    """The members closest to the theme's centre: what the theme sounds like."""
    ids = view.member_ids[:limit]
    found = {i.id: i for i in session.exec(select(Insight).where(col(Insight.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]


def weekly_volume(view: ThemeView, *, weeks: int = 12, today: date | None = None) -> list[tuple[date, int]]:
    """Feedback per week (Monday first) over the last `weeks` weeks, oldest first."""
    today = today or utcnow().date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    counts: Counter[date] = Counter(d - timedelta(days=d.weekday()) for d in view.days)
    return [(start, counts.get(start, 0)) for start in starts]


def pain_point_data(session: Session, view: ThemeView) -> InsightCreate:
    """A pain point drawn from a theme: its label as the title, its top terms and size in the
    body, and its closest feedback (up to 500) as evidence. Severity 3 when most of it is negative."""
    negative = view.sentiment["negative"]
    rated = sum(view.sentiment.values())
    terms = ", ".join(view.theme.terms[:6])
    body = (
        f"Found as a theme in {view.size} pieces of customer feedback"
        f" ({negative} negative of {rated} with a sentiment). Customers keep mentioning: {terms}."
    )
    return InsightCreate(
        kind=Kind.pain_point,
        title=view.theme.label[:1].upper() + view.theme.label[1:],
        body=body,
        severity=3 if rated and negative / rated >= 0.5 else 2,
        evidence_ids=view.member_ids[:EVIDENCE_LIMIT],
    )


def make_pain_point(session: Session, *, actor: Person, theme_id: int) -> Insight:
    """Publish a pain point drawn from the theme at once (the API; the page opens the form first,
    so it can be edited before it is published). CX staff only, as for any pain point."""
    view = theme(session, actor=actor, theme_id=theme_id)
    return insight_service.create(session, actor=actor, data=pain_point_data(session, view))


def suggest(session: Session, *, actor: Person, text: str, limit: int = 3) -> list[ThemeView]:
    """Themes whose label or top terms share words with `text` (for the pain point form)."""
    if not can_read(actor):
        return []
    words = set(engine.words_of(text)) - set(engine.STOP_WORDS)
    if not words:
        return []
    scored = []
    for view in themes(session, actor=actor):
        vocabulary = {w for term in [view.theme.label, *view.theme.terms] for w in engine.words_of(term)}
        overlap = len(words & vocabulary)
        if overlap:
            scored.append((-overlap, bool(view.covered_by), -view.size, view.theme.id or 0, view))
    return [v for *_key, v in sorted(scored, key=lambda s: s[:4])[:limit]]


def pain_points(session: Session, ids: list[int]) -> list[Insight]:
    found = {i.id: i for i in session.exec(select(Insight).where(col(Insight.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]
