"""Insights: publishing, editing, archiving, listing, and the links between them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import delete, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import cache, db
from app.core import outbox as events
from app.core.errors import NotFound, ValidationFailed, field_errors
from app.core.models import aware, detached_copy, utcnow
from app.core.text import escape_like
from app.core.types import (
    PAGING,
)
from app.insights import permissions
from app.insights import stages as stage_service
from app.insights import tags as tag_service
from app.insights.kinds import ALL_KIND_FIELDS, KINDS
from app.insights.models import (
    Attachment,
    CreditedTeam,
    Evidence,
    Insight,
    InsightBase,
    InsightTag,
    JourneyStage,
    Kind,
    ScoreScale,
    Status,
    Tag,
)
from app.insights.schemas import (
    AttachmentRead,
    InsightCreate,
    InsightFields,
    InsightRead,
    InsightUpdate,
    ListFilters,
    StageIn,
    StageRead,
)
from app.people.models import Department, Person, Team
from app.search import outbox

PER_PAGE = 20

# The value another kind's field is cleared to on save (None for the rest).
_EMPTY: dict[str, Any] = {"quote": "", "persona": "", "goals": "", "frustrations": "", "quotes": []}


# --- reading -----------------------------------------------------------------------------------------


def get_visible(session: Session, *, actor: Person, insight_id: int) -> Insight:
    insight = session.get(Insight, insight_id)
    if insight is None or not permissions.can(actor, "view", insight):
        raise NotFound("There is no such insight.")
    return insight


def list_insights(session: Session, *, actor: Person, filters: ListFilters) -> tuple[int, list[Insight]]:
    condition = list_conditions(actor, filters)
    total = cache.for_session(
        session,
        "insight-list-total",
        (permissions.sees_archived(actor), filters.model_dump_json(exclude=set(PAGING))),
        lambda: int(session.exec(select(func.count()).select_from(Insight).where(*condition)).one()),
        tables=tag_service.TAG_TABLES,
    )
    listed = select(Insight).where(*condition)
    if after := parse_cursor(filters.after):
        return total, _from_position(session, listed, after, older=True)
    if before := parse_cursor(filters.before):
        return total, list(reversed(_from_position(session, listed, before, older=False)))
    newest_first = (col(Insight.created_at).desc(), col(Insight.id).desc())
    offset = (max(filters.page, 1) - 1) * PER_PAGE
    return total, list(session.exec(listed.order_by(*newest_first).offset(offset).limit(PER_PAGE)).all())


def _from_position(
    session: Session, listed: Any, position: tuple[datetime, int], *, older: bool
) -> list[Insight]:
    """The page next to a position: older rows (newest first) or newer ones (oldest first). In two
    index ranges: the rest of the position's own moment by id, then the moments beyond it. An
    import gives all its rows one moment, so a range on the moment alone would scan them all."""
    moment, row_id = position
    created, ident = col(Insight.created_at), col(Insight.id)
    if older:
        same_moment = listed.where(created == moment, ident < row_id).order_by(ident.desc())
        beyond = listed.where(created < moment).order_by(created.desc(), ident.desc())
    else:
        same_moment = listed.where(created == moment, ident > row_id).order_by(ident)
        beyond = listed.where(created > moment).order_by(created, ident)
    rows = list(session.exec(same_moment.limit(PER_PAGE)).all())
    if len(rows) < PER_PAGE:
        rows += session.exec(beyond.limit(PER_PAGE - len(rows))).all()
    return rows


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(insight: Insight) -> str:
    """The position of an insight in the list (newest first): its time to the microsecond and id."""
    moment = aware(insight.created_at) - _EPOCH
    return f"{moment // timedelta(microseconds=1)}.{insight.id}"


def parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    """(created_at, id) of a position, or None for no position."""
    if not cursor:
        return None
    micros, _, insight_id = cursor.partition(".")
    return _EPOCH + timedelta(microseconds=int(micros)), int(insight_id)


def list_conditions(actor: Person, filters: ListFilters) -> list[Any]:
    """What the list (and an export of it) shows: what the person may see, narrowed by the filters."""
    condition = [permissions.visible_filter(actor)]
    # Archived insights appear only when CX staff ask for them explicitly.
    condition.append(col(Insight.status) == (filters.status or Status.published))
    if filters.kind:
        condition.append(col(Insight.kind) == filters.kind)
    if filters.department_id:
        condition.append(col(Insight.department_id) == filters.department_id)
    if filters.product_area:
        condition.append(col(Insight.product_area) == filters.product_area)
    if filters.segment:
        condition.append(col(Insight.segment) == filters.segment)
    if filters.sentiment:
        condition.append(col(Insight.sentiment) == filters.sentiment)
    if filters.tag:
        tagged = (
            select(InsightTag.insight_id)
            .join(Tag, col(Tag.id) == InsightTag.tag_id)
            .where(Tag.name == tag_service.normalise_tag(filters.tag))
        )
        condition.append(col(Insight.id).in_(tagged))
    return condition


def filter_options(session: Session, *, actor: Person) -> dict[str, Sequence[Any]]:
    """The values the list filters offer: only what exists (kept for half a minute, see core.cache)."""
    visible = permissions.visible_filter(actor)

    def distinct(column: Any) -> list[str]:
        rows = session.exec(select(column).where(visible, column != "").distinct().order_by(column)).all()
        return [r for r in rows if r]

    def values() -> dict[str, list[str]]:
        return {"product_areas": distinct(Insight.product_area), "segments": distinct(Insight.segment)}

    kept = cache.for_session(
        session, "insight-filter-values", permissions.sees_archived(actor), values, tables=("insight",)
    )
    return {
        **kept,
        "tags": [name for name, _ in tag_service.usage(session, actor=actor)[:40]],
        "departments": cache.for_session(
            session, "departments", None, lambda: _department_copies(session), tables=("department",)
        ),
    }


def _department_copies(session: Session) -> tuple[Department, ...]:
    """The departments, as copies in no session: kept by the cache and shared by requests."""
    rows = session.exec(select(Department).order_by(Department.name)).all()
    return tuple(detached_copy(row) for row in rows)


def evidence_counts(session: Session, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(Evidence.pain_point_id, func.count())
        .where(col(Evidence.pain_point_id).in_(ids))
        .group_by(col(Evidence.pain_point_id))
    ).all()
    return dict(rows)


@dataclass
class InsightDetail:
    insight: Insight
    author: Person | None
    department: Department | None
    tags: list[str]
    evidence: list[Insight] = field(default_factory=list)  # pain point -> feedback
    cited_by: list[Insight] = field(default_factory=list)  # feedback -> pain points
    stages: list[JourneyStage] = field(default_factory=list)
    stage_pain_points: dict[int, list[Insight]] = field(default_factory=dict)
    stage: JourneyStage | None = None  # pain point -> its stage
    stage_journey: Insight | None = None
    teams: list[Team] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def _linked_by_evidence(session: Session, visible: Any, other_side: Any, this_side: Any) -> list[Insight]:
    """The insights the person may see at the other side of this insight's evidence links (the
    feedback a pain point rests on, or the pain points a piece of feedback supports), newest first."""
    linked = select(Insight).join(Evidence, other_side == Insight.id).where(this_side, visible)
    return list(session.exec(linked.order_by(col(Insight.created_at).desc())).all())


def detail(session: Session, *, actor: Person, insight_id: int) -> InsightDetail:
    insight = get_visible(session, actor=actor, insight_id=insight_id)
    assert insight.id is not None
    visible = permissions.visible_filter(actor)
    info = InsightDetail(
        insight=insight,
        author=session.get(Person, insight.author_id),
        department=session.get(Department, insight.department_id) if insight.department_id else None,
        tags=tag_service.tags_by_insight(session, [insight.id]).get(insight.id, []),
        attachments=list(
            session.exec(
                select(Attachment).where(Attachment.insight_id == insight.id).order_by(col(Attachment.id))
            ).all()
        ),
    )
    if insight.kind == Kind.pain_point:
        info.evidence = _linked_by_evidence(
            session, visible, col(Evidence.feedback_id), Evidence.pain_point_id == insight.id
        )
        if insight.journey_stage_id:
            info.stage = session.get(JourneyStage, insight.journey_stage_id)
            info.stage_journey = session.get(Insight, info.stage.journey_id) if info.stage else None
    if insight.kind == Kind.feedback:
        info.cited_by = _linked_by_evidence(
            session, visible, col(Evidence.pain_point_id), Evidence.feedback_id == insight.id
        )
    if insight.kind == Kind.journey_map:
        info.stages = stage_service.stages_of(session, insight.id)
        info.stage_pain_points = stage_service.pain_points_by_stage(
            session, actor=actor, stage_ids=[s.id for s in info.stages if s.id is not None]
        )
    if insight.kind == Kind.success_story:
        info.teams = list(
            session.exec(
                select(Team)
                .join(CreditedTeam, col(CreditedTeam.team_id) == Team.id)
                .where(CreditedTeam.insight_id == insight.id)
                .order_by(Team.name)
            ).all()
        )
    return info


def _attributes(record: Any, model: type[BaseModel]) -> dict[str, Any]:
    """The values of `record` for the fields `model` declares (as stored, for model_validate)."""
    return {name: getattr(record, name) for name in model.model_fields if hasattr(record, name)}


def to_read(
    session: Session, insight: Insight, *, proposal_ids: Mapping[int, list[int]] | None = None
) -> InsightRead:
    """The API shape of one insight (its `proposal_ids` come from app/flows/outcomes.py)."""
    return to_read_many(session, [insight], proposal_ids=proposal_ids)[0]


def to_read_many(
    session: Session, insights: Sequence[Insight], *, proposal_ids: Mapping[int, list[int]] | None = None
) -> list[InsightRead]:
    """The API shape of several insights, with a fixed number of queries however many there are.
    Proposals are another domain: the proposals linked to each insight are given by the caller
    (app/flows/outcomes.py `read_many`), none when not given."""
    ids = [i.id for i in insights if i.id is not None]
    if not ids:
        return []
    authors = {
        p.id: p.name
        for p in session.exec(select(Person).where(col(Person.id).in_({i.author_id for i in insights}))).all()
    }
    department_ids = {i.department_id for i in insights if i.department_id}
    departments = (
        {
            d.id: d.name
            for d in session.exec(select(Department).where(col(Department.id).in_(department_ids))).all()
        }
        if department_ids
        else {}
    )
    stages: dict[int, list[JourneyStage]] = defaultdict(list)
    for stage in session.exec(
        select(JourneyStage)
        .where(col(JourneyStage.journey_id).in_(ids))
        .order_by(col(JourneyStage.position), col(JourneyStage.id))
    ).all():
        stages[stage.journey_id].append(stage)
    by_stage: dict[int, list[int]] = defaultdict(list)
    stage_ids = [s.id for group in stages.values() for s in group if s.id is not None]
    if stage_ids:
        for pp_id, stage_id in session.exec(
            select(Insight.id, Insight.journey_stage_id).where(col(Insight.journey_stage_id).in_(stage_ids))
        ).all():
            if pp_id is not None and stage_id is not None:
                by_stage[stage_id].append(pp_id)
    evidence: dict[int, list[int]] = defaultdict(list)
    for pain_point_id, feedback_id in session.exec(
        select(Evidence.pain_point_id, Evidence.feedback_id)
        .where(col(Evidence.pain_point_id).in_(ids))
        .order_by(col(Evidence.feedback_id))
    ).all():
        evidence[pain_point_id].append(feedback_id)
    teams: dict[int, list[str]] = defaultdict(list)
    for insight_id, team_name in session.exec(
        select(CreditedTeam.insight_id, Team.name)
        .join(Team, col(CreditedTeam.team_id) == Team.id)
        .where(col(CreditedTeam.insight_id).in_(ids))
        .order_by(Team.name)
    ).all():
        teams[insight_id].append(team_name)
    attachments: dict[int, list[AttachmentRead]] = defaultdict(list)
    for a in session.exec(
        select(Attachment).where(col(Attachment.insight_id).in_(ids)).order_by(col(Attachment.id))
    ).all():
        attachments[a.insight_id].append(
            AttachmentRead(
                id=a.id or 0,
                name=a.original_name,
                content_type=a.content_type,
                size=a.size,
                url=f"/attachments/{a.id}",
            )
        )
    tags = tag_service.tags_by_insight(session, ids)
    linked = proposal_ids or {}
    result = []
    for insight in insights:
        assert insight.id is not None
        result.append(
            InsightRead.model_validate(
                {
                    **_attributes(insight, InsightBase),
                    "id": insight.id,
                    "journey_stage_id": insight.journey_stage_id,
                    "url": f"/insights/{insight.id}",
                    "tags": tags.get(insight.id, []),
                    "department": departments.get(insight.department_id) if insight.department_id else None,
                    "author": authors.get(insight.author_id, ""),
                    "evidence_ids": evidence.get(insight.id, []),
                    "stages": [
                        StageRead.model_validate(
                            {
                                **st.model_dump(exclude={"journey_id"}),
                                "pain_point_ids": sorted(by_stage.get(st.id or 0, [])),
                            }
                        )
                        for st in stages.get(insight.id, [])
                    ],
                    "teams": teams.get(insight.id, []),
                    "proposal_ids": sorted(linked.get(insight.id, [])),
                    "attachments": attachments.get(insight.id, []),
                }
            )
        )
    return result


# --- writing -----------------------------------------------------------------------------------------


def form_errors(
    session: Session,
    kind: Kind,
    values: dict[str, Any],
    refused: PydanticValidationError | ValidationFailed,
    insight_id: int | None = None,
) -> dict[str, str]:
    """Every field's problem at once. When the form's model refuses some fields (a score that is
    not a number), the per-kind rules are still checked on the others, so a missing quote is not
    hidden behind a bad score."""
    errors = field_errors(refused)
    if isinstance(refused, ValidationFailed):
        return errors
    good = {k: v for k, v in values.items() if k not in errors and k in InsightCreate.model_fields}
    try:
        partial = InsightCreate.model_construct(kind=kind, **good)
        for name, message in validate(session, kind, partial, insight_id).items():
            errors.setdefault(name, message)
    except (TypeError, ValueError, AttributeError):
        pass  # an unchecked value the rules cannot read: they run again once these are fixed
    return errors


def validate(session: Session, kind: Kind, data: InsightFields, insight_id: int | None) -> dict[str, str]:
    """Rules that pydantic cannot see: per-kind requirements and links to other records."""
    errors: dict[str, str] = {}
    if data.department_id is not None and session.get(Department, data.department_id) is None:
        errors["department_id"] = "Choose an existing department."
    for name, message in KINDS[kind].required.items():
        if getattr(data, name) in (None, ""):
            errors[name] = message
    if kind == Kind.feedback:
        if data.score is not None:
            scale = data.score_scale or (ScoreScale.rating if 1 <= data.score <= 5 else ScoreScale.nps)
            if scale == ScoreScale.rating and not 1 <= data.score <= 5:
                errors["score"] = "A rating is between 1 and 5."
            data.score_scale = scale
        else:
            data.score_scale = None
        if data.external_id:
            clash = session.exec(
                select(Insight.id).where(
                    Insight.channel == data.channel,
                    Insight.external_id == data.external_id,
                    col(Insight.id) != (insight_id or 0),
                )
            ).first()
            if clash is not None:
                errors["external_id"] = (
                    f"Insight {clash} already has this customer reference for this channel."
                )
    if kind == Kind.pain_point:
        if data.journey_stage_id is not None and session.get(JourneyStage, data.journey_stage_id) is None:
            errors["journey_stage_id"] = "Choose an existing journey stage."
        if data.evidence_ids:
            found = set(
                session.exec(
                    select(Insight.id).where(
                        col(Insight.id).in_(data.evidence_ids), Insight.kind == Kind.feedback
                    )
                ).all()
            )
            missing = sorted(set(data.evidence_ids) - found)
            if missing:
                errors["evidence_ids"] = f"These are not feedback insights: {', '.join(map(str, missing))}."
    if kind == Kind.success_story:
        if data.teams:
            names = set(session.exec(select(Team.name).where(col(Team.name).in_(data.teams))).all())
            unknown = [t for t in data.teams if t not in names]
            if unknown:
                errors["teams"] = f"Unknown teams: {', '.join(unknown)}."
    return errors


def _apply_fields(insight: Insight, data: InsightFields) -> None:
    insight.title, insight.body = data.title, data.body
    insight.product_area, insight.segment = data.product_area, data.segment
    insight.department_id = data.department_id
    own = KINDS[insight.kind].fields
    for name in ALL_KIND_FIELDS:
        value = getattr(data, name) if name in own else _EMPTY.get(name)
        if name == "quotes" and value is not None:
            value = [q.strip()[:1000] for q in value if q and q.strip()]
        if name == "external_id" and not value:
            value = None
        setattr(insight, name, value)


def _set_evidence(session: Session, insight_id: int, evidence_ids: list[int]) -> None:
    session.exec(delete(Evidence).where(col(Evidence.pain_point_id) == insight_id))
    for feedback_id in sorted(set(evidence_ids)):
        session.add(Evidence(pain_point_id=insight_id, feedback_id=feedback_id))


def _set_teams(session: Session, insight_id: int, team_names: list[str]) -> None:
    session.exec(delete(CreditedTeam).where(col(CreditedTeam.insight_id) == insight_id))
    if team_names:
        for team_id in session.exec(select(Team.id).where(col(Team.name).in_(team_names))).all():
            assert team_id is not None
            session.add(CreditedTeam(insight_id=insight_id, team_id=team_id))


def create(session: Session, *, actor: Person, data: InsightCreate) -> Insight:
    if data.proposal_ids:
        raise ValueError("a success story's proposals are linked by app.flows.outcomes.create_insight")
    permissions.check(actor, "create")
    errors = validate(session, data.kind, data, None)
    ValidationFailed.unless_empty(errors)
    insight = Insight(kind=data.kind, title=data.title, author_id=actor.id or 0)
    _apply_fields(insight, data)
    session.add(insight)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed({"external_id": "This customer reference is already used."}) from exc
    assert insight.id is not None
    tag_service.set_tags(session, insight.id, data.tags)
    if data.kind == Kind.pain_point:
        _set_evidence(session, insight.id, data.evidence_ids)
    if data.kind == Kind.journey_map:
        stage_service.replace_stages(session, insight.id, data.stages)
    if data.kind == Kind.success_story:
        _set_teams(session, insight.id, data.teams)
    # "create" is an upsert that also tells people who follow a matching saved search (see search.drain).
    outbox.enqueue(session, "insight", insight.id, "create")
    if insight.status == Status.published:
        events.emit(session, "insight.published", {"insight_id": insight.id})
    tag_service.notify_followers(
        session, actor=actor, insight=insight, tags=tag_service.parse_tags(data.tags)
    )
    audit_service.record(
        session, actor, "insight.publish", insight, summary=f"{data.kind.label}: {data.title}"
    )
    db.commit(session)
    return insight


def update(session: Session, *, actor: Person, insight_id: int, data: InsightUpdate) -> Insight:
    insight = permissions.get_checked(session, actor, "edit", insight_id)
    changes = data.model_dump(exclude_unset=True)
    if "proposal_ids" in changes:
        raise ValueError("a success story's proposals are linked by app.flows.outcomes.update_insight")
    status = changes.pop("status", None)
    current = to_read(session, insight).model_dump()
    base = {k: v for k, v in current.items() if k in InsightFields.model_fields}
    base["stages"] = [{k: stage[k] for k in StageIn.model_fields} for stage in current["stages"]]
    try:
        merged = InsightFields.model_validate({**base, **changes})
    except PydanticValidationError as exc:
        raise ValidationFailed(
            {".".join(str(p) for p in e["loc"]) or "input": e["msg"] for e in exc.errors()}
        ) from None
    errors = validate(session, insight.kind, merged, insight.id)
    ValidationFailed.unless_empty(errors)
    _apply_fields(insight, merged)
    insight.updated_at = utcnow()
    if status is not None:
        _change_status(session, actor, insight, Status(status))
    session.add(insight)
    if "tags" in changes:
        tag_service.set_tags(session, insight_id, merged.tags)
    if "evidence_ids" in changes and insight.kind == Kind.pain_point:
        _set_evidence(session, insight_id, merged.evidence_ids)
    if "teams" in changes and insight.kind == Kind.success_story:
        _set_teams(session, insight_id, merged.teams)
    if "stages" in changes and insight.kind == Kind.journey_map:
        stage_service.replace_stages(session, insight_id, merged.stages)
    outbox.enqueue(session, "insight", insight.id)
    audit_service.record(
        session, actor, "insight.update", insight, summary=insight.title, details={"changed": sorted(changes)}
    )
    db.commit(session)
    return insight


def set_status(session: Session, *, actor: Person, insight_id: int, status: Status) -> Insight:
    """Archive (hide from everyone but CX staff and admins) or publish again."""
    insight = permissions.get_checked(session, actor, "archive", insight_id)
    _change_status(session, actor, insight, status)
    db.commit(session)
    return insight


def _change_status(session: Session, actor: Person, insight: Insight, status: Status) -> None:
    if insight.status == status:
        return
    insight.status = status
    insight.updated_at = utcnow()
    session.add(insight)
    outbox.enqueue(session, "insight", insight.id)
    if status == Status.published:
        events.emit(session, "insight.published", {"insight_id": insight.id})
    audit_service.record(
        session,
        actor,
        "insight.archive" if status == Status.archived else "insight.restore",
        insight,
        summary=insight.title,
    )


# --- pickers ---------------------------------------------------------------------------------------


def find_by_substring(
    session: Session, *, actor: Person, text: str, kind: Kind | None, limit: int
) -> list[Insight]:
    """Published insights whose title or words contain `text` (when the search index is unavailable)."""
    like = f"%{escape_like(text.lower())}%"
    conditions = [
        permissions.visible_filter(actor),
        col(Insight.status) == Status.published,
        or_(
            func.lower(Insight.title).like(like, escape="\\"),
            func.lower(Insight.quote).like(like, escape="\\"),
        ),
    ]
    if kind is not None:
        conditions.append(col(Insight.kind) == kind)
    return list(
        session.exec(
            select(Insight).where(*conditions).order_by(col(Insight.created_at).desc()).limit(limit)
        ).all()
    )


def get_many(session: Session, *, actor: Person, ids: Iterable[int]) -> list[Insight]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(
        session.exec(
            select(Insight).where(col(Insight.id).in_(wanted), permissions.visible_filter(actor))
        ).all()
    )


def latest(
    session: Session,
    *,
    actor: Person,
    department_id: int | None = None,
    limit: int = 6,
    kinds: Sequence[Kind] | None = None,
) -> list[Insight]:
    condition = [permissions.visible_filter(actor), col(Insight.status) == Status.published]
    if department_id is not None:
        condition.append(col(Insight.department_id) == department_id)
    if kinds:
        condition.append(col(Insight.kind).in_(list(kinds)))
    return list(
        session.exec(
            select(Insight)
            .where(*condition)
            .order_by(col(Insight.created_at).desc(), col(Insight.id).desc())
            .limit(limit)
        ).all()
    )


def counts_by_kind(session: Session, *, actor: Person) -> dict[Kind, int]:
    """Published insights per kind (the same for everyone), kept for half a minute (see core.cache)."""

    def count() -> dict[Kind, int]:
        rows = session.exec(
            select(Insight.kind, func.count())
            .where(permissions.visible_filter(actor), Insight.status == Status.published)
            .group_by(col(Insight.kind))
        ).all()
        return {Kind(k): n for k, n in rows}

    return cache.for_session(session, "insight-counts-by-kind", (), count, tables=("insight",))
