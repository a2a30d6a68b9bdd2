"""Comments in the JSON API: /api/v1/{insights|proposals}/{id}/comments."""

from __future__ import annotations

from fastapi import APIRouter

from app.comments import service as comment_service
from app.comments.service import CommentIn, CommentRead
from app.core.types import PathId
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1", tags=["comments"])


def _list(session: SessionDep, me: CurrentPerson, target_type: str, target_id: int) -> list[CommentRead]:
    comment_service.target_title(session, actor=me, target_type=target_type, target_id=target_id)
    out = []
    for thread in comment_service.threads(session, target_type=target_type, target_id=target_id):
        out.append(comment_service.to_read(thread.comment, thread.author))
        out.extend(comment_service.to_read(reply, author) for reply, author in thread.replies)
    return out


def _add(
    session: SessionDep, me: CurrentPerson, target_type: str, target_id: int, data: CommentIn
) -> CommentRead:
    comment = comment_service.add(session, actor=me, target_type=target_type, target_id=target_id, data=data)
    return comment_service.to_read(comment, me)


@router.get("/insights/{insight_id}/comments", name="api:insight_comments", response_model=list[CommentRead])
def insight_comments(session: SessionDep, me: CurrentPerson, insight_id: PathId) -> list[CommentRead]:
    return _list(session, me, "insight", insight_id)


@router.post(
    "/insights/{insight_id}/comments",
    name="api:insight_comment_create",
    response_model=CommentRead,
    status_code=201,
)
def insight_comment(
    session: SessionDep, me: CurrentPerson, insight_id: PathId, data: CommentIn
) -> CommentRead:
    return _add(session, me, "insight", insight_id, data)


@router.get(
    "/proposals/{proposal_id}/comments", name="api:proposal_comments", response_model=list[CommentRead]
)
def proposal_comments(session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> list[CommentRead]:
    return _list(session, me, "proposal", proposal_id)


@router.post(
    "/proposals/{proposal_id}/comments",
    name="api:proposal_comment_create",
    response_model=CommentRead,
    status_code=201,
)
def proposal_comment(
    session: SessionDep, me: CurrentPerson, proposal_id: PathId, data: CommentIn
) -> CommentRead:
    return _add(session, me, "proposal", proposal_id, data)
