"""Follow and unfollow insights, tags and saved searches (proposals have their own buttons)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app.core.errors import NotFound, ValidationFailed
from app.core.htmx import see_other
from app.core.types import parse_id
from app.core.websecurity import safe_next
from app.insights import service as insight_service
from app.insights import tags as tag_service
from app.notifications import service as notification_service
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()
_LABELS = {"insight": "this insight", "tag": "the tag", "search": "the saved search"}


def _check(session: SessionDep, me: CurrentPerson, target_type: str, target_key: str) -> str:
    if target_type == "insight":
        insight_id = parse_id(target_key)
        if insight_id is None:
            raise NotFound("There is no such insight.")
        insight_service.get_visible(session, actor=me, insight_id=insight_id)
        return target_key
    if target_type == "tag":
        tag = tag_service.normalise_tag(target_key)
        if not tag:
            raise ValidationFailed({"target_key": "Name a tag."})
        return tag
    if target_type == "search":
        text = " ".join(target_key.split())[:200]
        if not text:
            raise ValidationFailed({"target_key": "Search for something first, then save the search."})
        return text
    raise NotFound("That cannot be followed.")


@router.post("/follows", name="follows:create")
def follow(
    session: SessionDep,
    me: CurrentPerson,
    target_type: Annotated[str, Form(max_length=16)],
    target_key: Annotated[str, Form(max_length=400)],
    next: Annotated[str, Form(max_length=2000)] = "/me",
) -> Response:
    key = _check(session, me, target_type, target_key)
    notification_service.start_following(session, person=me, target_type=target_type, target_key=key)
    shown = (
        f"#{key}"
        if target_type == "tag"
        else (f"“{key}”" if target_type == "search" else _LABELS[target_type])
    )
    return see_other(
        safe_next(next), flash=f"You follow {shown}. New matches will appear in your notifications."
    )


@router.post("/follows/delete", name="follows:delete")
def unfollow(
    session: SessionDep,
    me: CurrentPerson,
    target_type: Annotated[str, Form(max_length=16)],
    target_key: Annotated[str, Form(max_length=400)],
    next: Annotated[str, Form(max_length=2000)] = "/me",
) -> Response:
    notification_service.stop_following(session, person=me, target_type=target_type, target_key=target_key)
    return see_other(safe_next(next), flash="Unfollowed.")
