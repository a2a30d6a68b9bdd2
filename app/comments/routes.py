"""Posting, editing and deleting comments (in place with htmx, or with plain forms)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.comments import schemas as comment_schemas
from app.comments import service as comment_service
from app.comments.models import Comment
from app.core.errors import NotFound, ValidationFailed
from app.core.forms import checked
from app.core.htmx import fragment_or_redirect
from app.core.templating import render
from app.core.types import MAX_ID, PathId, parse_id
from app.flows import pages
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


def section(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    target_type: str,
    target_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    editing: int | None = None,
) -> Response:
    return render(
        request,
        "comments/_section.html",
        pages.comments_section(
            session, me, target_type=target_type, target_id=target_id, errors=errors, editing=editing
        ),
        status_code=status_code,
    )


def _after(
    request: Request, session: SessionDep, me: CurrentPerson, comment: Comment, message: str
) -> Response:
    _title, url = comment_service.target_title(
        session, actor=me, target_type=comment.target_type, target_id=comment.target_id
    )
    return fragment_or_redirect(
        request,
        lambda: section(request, session, me, comment.target_type, comment.target_id),
        f"{url}#comments",
        flash=message,
    )


@router.post("/comments", name="comments:create", response_class=HTMLResponse)
def create(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    target_type: Annotated[str, Form(max_length=16)],
    target_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    body: Annotated[str, Form(max_length=20_000)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
    confirm_named: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    if target_type not in comment_service.TARGETS:
        raise NotFound("Comments are for insights and proposals.")
    try:
        data = comment_schemas.CommentIn(
            body=body, parent_id=parse_id(parent_id), confirm_named=checked(confirm_named)
        )
        comment = comment_service.add(
            session, actor=me, target_type=target_type, target_id=target_id, data=data
        )
    except ValidationError:
        return section(
            request,
            session,
            me,
            target_type,
            target_id,
            status_code=422,
            errors={"body": "Write something first (at most 10,000 characters)."},
        )
    except ValidationFailed as exc:
        return section(request, session, me, target_type, target_id, errors=exc.errors, status_code=422)
    return _after(request, session, me, comment, "Comment posted.")


@router.get("/comments/{comment_id}/edit", name="comments:edit_form", response_class=HTMLResponse)
def edit_form(request: Request, session: SessionDep, me: CurrentPerson, comment_id: PathId) -> Response:
    # The same check as saving: your own comment (or an admin), on something you may see.
    comment = comment_service.editable(session, actor=me, comment_id=comment_id)
    return section(request, session, me, comment.target_type, comment.target_id, editing=comment_id)


@router.post("/comments/{comment_id}/edit", name="comments:update", response_class=HTMLResponse)
def update(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    comment_id: PathId,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        comment = comment_service.edit(session, actor=me, comment_id=comment_id, body=body)
    except ValidationError:
        comment_row = comment_service.editable(session, actor=me, comment_id=comment_id)
        return section(
            request,
            session,
            me,
            comment_row.target_type,
            comment_row.target_id,
            status_code=422,
            editing=comment_id,
            errors={f"edit{comment_id}": "A comment cannot be empty."},
        )
    return _after(request, session, me, comment, "Comment updated.")


@router.post("/comments/{comment_id}/delete", name="comments:delete", response_class=HTMLResponse)
def delete(request: Request, session: SessionDep, me: CurrentPerson, comment_id: PathId) -> Response:
    comment = comment_service.delete(session, actor=me, comment_id=comment_id)
    return _after(request, session, me, comment, "Comment deleted.")


@router.get("/people/mentions", name="people:mentions", response_class=HTMLResponse)
def mentions(request: Request, session: SessionDep, me: CurrentPerson, body: str = "") -> Response:
    """Suggest people for the @handle being typed at the end of the comment."""
    last = body.rstrip("\n").split()[-1] if body.strip() else ""
    people = comment_service.mention_suggestions(session, prefix=last) if last.startswith("@") else []
    return render(request, "comments/_mentions.html", {"people": people})
