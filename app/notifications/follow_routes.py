"""Follow and unfollow insights, tags and saved searches (proposals have their own buttons)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app.core.htmx import see_other
from app.core.websecurity import safe_next
from app.flows import follows
from app.notifications import service as notification_service
from app.notifications.schemas import FollowForm
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.post("/follows", name="follows:create")
def follow(session: SessionDep, me: CurrentPerson, form: Annotated[FollowForm, Form()]) -> Response:
    key = follows.follow(session, person=me, target_type=form.target_type, target_key=form.target_key)
    shown = (
        f"#{key}"
        if form.target_type == "tag"
        else (f"“{key}”" if form.target_type == "search" else f"this {form.target_type}")
    )
    return see_other(
        safe_next(form.next), flash=f"You follow {shown}. New matches will appear in your notifications."
    )


@router.post("/follows/delete", name="follows:delete")
def unfollow(session: SessionDep, me: CurrentPerson, form: Annotated[FollowForm, Form()]) -> Response:
    notification_service.stop_following(
        session, person=me, target_type=form.target_type, target_key=form.target_key
    )
    return see_other(safe_next(form.next), flash="Unfollowed.")
