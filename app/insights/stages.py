"""Journey stages: the steps of a journey map, their order, and the pain points placed on them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import db
from app.core.errors import NotFound, ValidationFailed
from app.core.models import utcnow
from app.insights import journey, permissions
from app.insights.models import (
    Insight,
    JourneyStage,
    Kind,
    Status,
)
from app.insights.schemas import (
    StageIn,
)
from app.people.models import Person
from app.search import outbox


def stages_of(session: Session, journey_id: int) -> list[JourneyStage]:
    return list(
        session.exec(
            select(JourneyStage)
            .where(JourneyStage.journey_id == journey_id)
            .order_by(col(JourneyStage.position), col(JourneyStage.id))
        ).all()
    )


def pain_points_by_stage(
    session: Session, *, actor: Person, stage_ids: Sequence[int]
) -> dict[int, list[Insight]]:
    result: dict[int, list[Insight]] = defaultdict(list)
    if stage_ids:
        rows = session.exec(
            select(Insight)
            .where(col(Insight.journey_stage_id).in_(stage_ids), permissions.visible_filter(actor))
            .order_by(col(Insight.severity).desc())
        ).all()
        for insight in rows:
            assert insight.journey_stage_id is not None
            result[insight.journey_stage_id].append(insight)
    return result


def replace_stages(session: Session, journey_id: int, stages: list[StageIn]) -> None:
    session.exec(delete(JourneyStage).where(col(JourneyStage.journey_id) == journey_id))
    for position, stage in enumerate(stages):
        session.add(JourneyStage(journey_id=journey_id, position=position, **stage.model_dump()))


def _journey_for_edit(session: Session, actor: Person, journey_id: int) -> Insight:
    journey = session.get(Insight, journey_id)
    if journey is None or journey.kind != Kind.journey_map:
        raise NotFound("There is no such journey map.")
    permissions.check(actor, "edit", journey)
    return journey


def _touch(session: Session, journey: Insight) -> None:
    """A stage changed: the journey map is updated, and its stages are part of its search text."""
    journey.updated_at = utcnow()
    session.add(journey)
    outbox.enqueue(session, "insight", journey.id)


def add_stage(session: Session, *, actor: Person, journey_id: int, stage: StageIn) -> JourneyStage:
    journey = _journey_for_edit(session, actor, journey_id)
    existing = stages_of(session, journey_id)
    if len(existing) >= 40:
        raise ValidationFailed({"name": "A journey map has at most 40 stages."})
    row = JourneyStage(journey_id=journey_id, position=len(existing), **stage.model_dump())
    session.add(row)
    _touch(session, journey)
    db.commit(session)
    return row


def update_stage(session: Session, *, actor: Person, journey_id: int, stage_id: int, stage: StageIn) -> None:
    journey = _journey_for_edit(session, actor, journey_id)
    row = session.get(JourneyStage, stage_id)
    if row is None or row.journey_id != journey_id:
        raise NotFound("There is no such stage.")
    for key, value in stage.model_dump().items():
        setattr(row, key, value)
    session.add(row)
    _touch(session, journey)
    db.commit(session)


def move_stage(session: Session, *, actor: Person, journey_id: int, stage_id: int, offset: int) -> None:
    journey = _journey_for_edit(session, actor, journey_id)
    stages = stages_of(session, journey_id)
    index = next((i for i, s in enumerate(stages) if s.id == stage_id), None)
    if index is None:
        raise NotFound("There is no such stage.")
    target = max(0, min(len(stages) - 1, index + offset))
    stages.insert(target, stages.pop(index))
    for position, row in enumerate(stages):
        row.position = position
        session.add(row)
    _touch(session, journey)
    db.commit(session)


def remove_stage(session: Session, *, actor: Person, journey_id: int, stage_id: int) -> None:
    journey = _journey_for_edit(session, actor, journey_id)
    row = session.get(JourneyStage, stage_id)
    if row is None or row.journey_id != journey_id:
        raise NotFound("There is no such stage.")
    for pain_point in session.exec(select(Insight).where(Insight.journey_stage_id == stage_id)).all():
        pain_point.journey_stage_id = None
        session.add(pain_point)
    session.delete(row)
    session.flush()
    for position, remaining in enumerate(stages_of(session, journey_id)):
        remaining.position = position
        session.add(remaining)
    _touch(session, journey)
    db.commit(session)


def import_file(session: Session, *, actor: Person, journey_id: int, filename: str, data: bytes) -> int:
    """Append the stages of a CSV or JSON file (app/insights/journey.py reads it): all or none.
    Raises journey.StageImportFailed naming the bad rows."""
    return append_stages(
        session, actor=actor, journey_id=journey_id, stages=journey.parse_stages(filename, data)
    )


def append_stages(session: Session, *, actor: Person, journey_id: int, stages: list[StageIn]) -> int:
    journey = _journey_for_edit(session, actor, journey_id)
    existing = len(stages_of(session, journey_id))
    if existing + len(stages) > 40:
        raise ValidationFailed({"file": f"A journey map has at most 40 stages; this one has {existing}."})
    for offset, stage in enumerate(stages):
        session.add(JourneyStage(journey_id=journey_id, position=existing + offset, **stage.model_dump()))
    _touch(session, journey)
    audit_service.record(
        session, actor, "insight.import_stages", journey, summary=f"{len(stages)} stages into {journey.title}"
    )
    db.commit(session)
    return len(stages)


def all_stages(session: Session) -> list[tuple[JourneyStage, Insight]]:
    """Every stage of every published journey map, for the pain point form."""
    rows = session.exec(
        select(JourneyStage, Insight)
        .join(Insight, col(Insight.id) == JourneyStage.journey_id)
        .where(Insight.status == Status.published)
        .order_by(Insight.title, col(JourneyStage.position))
    ).all()
    return [(s, j) for s, j in rows]
