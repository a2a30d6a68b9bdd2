"""Following an insight, a proposal, a tag or a saved search: what is followed must exist and be
visible to the follower, and is stored in its normal form (a tag as tags are kept, a search with its
spaces folded)."""

from __future__ import annotations

from sqlmodel import Session

from app.core.errors import NotFound, ValidationFailed
from app.core.types import parse_id
from app.insights import service as insight_service
from app.insights import tags as tag_service
from app.notifications import service as notification_service
from app.people.models import Person
from app.proposals import service as proposal_service


def follow(session: Session, *, person: Person, target_type: str, target_key: str) -> str:
    """Start following; returns the key as stored."""
    key = _checked_key(session, person, target_type, target_key)
    notification_service.start_following(session, person=person, target_type=target_type, target_key=key)
    return key


def _checked_key(session: Session, person: Person, target_type: str, target_key: str) -> str:
    if target_type == "insight":
        insight_id = parse_id(target_key)
        if insight_id is None:
            raise NotFound("There is no such insight.")
        insight_service.get_visible(session, actor=person, insight_id=insight_id)
        return target_key
    if target_type == "proposal":
        proposal_id = parse_id(target_key)
        if proposal_id is None:
            raise NotFound("There is no such proposal.")
        proposal_service.get(session, proposal_id=proposal_id)
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
