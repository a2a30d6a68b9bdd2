"""JSON API for pulse rounds (shared/design.md): open, read the items, answer once, read results."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.types import PathId
from app.pulse import service as pulse_service
from app.pulse.items import DOMAINS
from app.pulse.schemas import (
    AnswerReceipt,
    AnswersIn,
    DistributionRead,
    GroupRead,
    ItemRead,
    ResultsRead,
    RoundCreate,
    RoundRead,
)
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1/pulse", tags=["pulse"])


def _round_read(session: SessionDep, round_id: int) -> RoundRead:
    round_ = pulse_service.get(session, round_id=round_id)
    return RoundRead(
        id=round_id,
        url=f"/pulse/{round_id}",
        title=round_.title,
        status="open" if pulse_service.is_open(round_) else "closed",
        closes_on=round_.closes_on,
        min_group=round_.min_group,
        text_min_group=round_.text_min_group,
        free_text=round_.free_text,
        items=[
            ItemRead(id=i.id or 0, domain=i.domain, domain_label=DOMAINS[i.domain], text=i.text)
            for i in pulse_service.items(session, round_id=round_id)
        ],
    )


@router.post("/rounds", name="api:pulse_create", response_model=RoundRead, status_code=201)
def create_round(session: SessionDep, me: CurrentPerson, data: RoundCreate) -> RoundRead:
    round_ = pulse_service.open_round(session, actor=me, data=data)
    return _round_read(session, round_.id or 0)


@router.get("/rounds/{round_id}", name="api:pulse_round", response_model=RoundRead)
def get_round(session: SessionDep, me: CurrentPerson, round_id: PathId) -> RoundRead:
    pulse_service.for_person(session, person=me, round_id=round_id)  # closes it when due
    return _round_read(session, round_id)


@router.post(
    "/rounds/{round_id}/answers", name="api:pulse_answer", response_model=AnswerReceipt, status_code=201
)
def answer(session: SessionDep, me: CurrentPerson, round_id: PathId, data: AnswersIn) -> AnswerReceipt:
    pulse_service.answer(session, actor=me, round_id=round_id, data=data)
    return AnswerReceipt(status="recorded")


@router.get("/rounds/{round_id}/results", name="api:pulse_results", response_model=ResultsRead)
def results(session: SessionDep, me: CurrentPerson, round_id: PathId) -> ResultsRead:
    found = pulse_service.results(session, actor=me, round_id=round_id)
    released = found.release
    return ResultsRead(
        round_id=round_id,
        released=found.released,
        closes_on=found.round.closes_on,
        min_group=found.round.min_group,
        groups=[
            GroupRead(
                key=g.key,
                kind=g.kind,
                name=g.name,
                suppressed=not g.shown,
                reason=g.reason,
                participation_percent=g.participation,
                domains=g.domains,
                safety=g.safety,
            )
            for g in (released.groups if released else [])
        ],
        distributions=[
            DistributionRead(item_id=d.item_id, buckets=d.buckets, reason=d.reason)
            for d in (released.distributions if released else [])
        ],
        comments=released.comments if released else None,
        comments_reason=released.comments_reason if released else "Results appear when the round closes.",
    )
