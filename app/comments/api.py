"""Comments in the JSON API: /api/v1/{insights|proposals}/{id}/comments, the same pair of
endpoints for each kind of target."""

# No `from __future__ import annotations` here: FastAPI reads each endpoint's annotations, and the
# target's path parameter (TargetId) is local to _comment_endpoints.
from typing import Annotated

from fastapi import APIRouter, Path

from app.comments import service as comment_service
from app.comments.schemas import CommentIn, CommentRead
from app.core.types import MAX_ID
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1", tags=["comments"])


def _comment_endpoints(target_type: str) -> None:
    path = f"/{target_type}s/{{{target_type}_id}}/comments"
    # Named after the target in the path (insight_id, proposal_id), one name in the code.
    TargetId = Annotated[int, Path(alias=f"{target_type}_id", ge=1, le=MAX_ID)]

    @router.get(path, name=f"api:{target_type}_comments", response_model=list[CommentRead])
    def list_comments(session: SessionDep, me: CurrentPerson, target_id: TargetId) -> list[CommentRead]:
        return comment_service.read_all(session, actor=me, target_type=target_type, target_id=target_id)

    @router.post(path, name=f"api:{target_type}_comment_create", response_model=CommentRead, status_code=201)
    def add_comment(
        session: SessionDep, me: CurrentPerson, target_id: TargetId, data: CommentIn
    ) -> CommentRead:
        comment = comment_service.add(
            session, actor=me, target_type=target_type, target_id=target_id, data=data
        )
        return comment_service.to_read(comment, me)


for _target_type in ("insight", "proposal"):
    _comment_endpoints(_target_type)
