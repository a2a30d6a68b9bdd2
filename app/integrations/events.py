"""What the portal tells the outside of its events: one `Happening` per event, built here and only
here, then shaped for each kind of channel (app/integrations/messages.py).

The domains emit an event into the outbox in the change's own transaction (`outbox.emit(session,
"proposal.created", {"proposal_id": 7})`); `fan_out` runs afterwards, reads what the event is about,
and writes one delivery for each channel that listens to it.

Anonymity (design.md, security.md): a happening never carries a person's id, e-mail or handle. It
names a person only where the portal's own pages name them to everyone (a named proposal's author,
a leader who decided, a commenter), never the author of an anonymous proposal, and nothing of a
pulse answer: a round's events say that it opened or closed, with its link.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from app.comments.models import Comment
from app.core import outbox
from app.core.config import get_settings
from app.core.markdown import plain_excerpt
from app.core.models import utcnow
from app.insights.models import Insight, Status
from app.integrations import messages
from app.integrations.models import Channel, Delivery
from app.people.models import Department, Person
from app.proposals.models import Proposal, ProposalDepartment, ProposalResponse
from app.pulse.models import PulseInvitation, PulseRound

EVENT_TYPES = (
    "insight.published",
    "proposal.created",
    "proposal.decided",
    "proposal.merged",
    "comment.created",
    "pulse.round_opened",
    "pulse.round_closed",
)
EXCERPT = 300  # characters of a text a message quotes


@dataclass(frozen=True)
class Happening:
    """An event as every channel tells it."""

    type: str
    headline: str  # one line: "New proposal: Faster refunds"
    url: str
    text: str = ""  # a sentence or a quote under the headline
    data: dict[str, Any] = field(default_factory=dict)  # the webhook's `data`
    department_ids: frozenset[int] = frozenset()  # for channels of one department


def _link(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def _department_names(session: Session, ids: set[int]) -> list[str]:
    if not ids:
        return []
    return sorted(session.exec(select(Department.name).where(col(Department.id).in_(ids))).all())


def _name(session: Session, person_id: int | None) -> str | None:
    person = session.get(Person, person_id) if person_id else None
    return person.name if person else None


def _proposal_departments(session: Session, proposal_id: int) -> set[int]:
    rows = session.exec(
        select(ProposalDepartment.department_id).where(ProposalDepartment.proposal_id == proposal_id)
    ).all()
    return set(rows)


def insight_published(session: Session, payload: dict[str, Any]) -> Happening | None:
    insight = session.get(Insight, int(payload["insight_id"]))
    if insight is None or insight.status != Status.published:
        return None
    departments = {insight.department_id} if insight.department_id else set()
    url = _link(f"/insights/{insight.id}")
    data: dict[str, Any] = {
        "id": insight.id,
        "kind": insight.kind.value,
        "title": insight.title,
        "url": url,
        "departments": _department_names(session, departments),
        "excerpt": plain_excerpt(insight.body, EXCERPT),
    }
    headline = f"New {insight.kind.label.lower()}: {insight.title}"
    return Happening("insight.published", headline, url, data["excerpt"], data, frozenset(departments))


def proposal_created(session: Session, payload: dict[str, Any]) -> Happening | None:
    proposal = session.get(Proposal, int(payload["proposal_id"]))
    if proposal is None or proposal.id is None:
        return None
    departments = _proposal_departments(session, proposal.id)
    author = None if proposal.is_anonymous else _name(session, proposal.author_id)
    url = _link(f"/proposals/{proposal.id}")
    data: dict[str, Any] = {
        "id": proposal.id,
        "title": proposal.title,
        "url": url,
        "departments": _department_names(session, departments),
        "anonymous": proposal.is_anonymous,
        "author": author,
        "problem": plain_excerpt(proposal.problem, EXCERPT),
    }
    by = f"{author} proposes" if author else "Someone proposes (anonymously)"
    text = f"{by} a change for {', '.join(data['departments']) or 'the company'}."
    return Happening(
        "proposal.created", f"New proposal: {proposal.title}", url, text, data, frozenset(departments)
    )


def proposal_decided(session: Session, payload: dict[str, Any]) -> Happening | None:
    proposal = session.get(Proposal, int(payload["proposal_id"]))
    response = session.get(ProposalResponse, int(payload["response_id"]))
    if proposal is None or proposal.id is None or response is None:
        return None
    departments = _proposal_departments(session, proposal.id)
    url = _link(f"/proposals/{proposal.id}")
    data: dict[str, Any] = {
        "id": proposal.id,
        "title": proposal.title,
        "url": url,
        "status": response.to_status.value,
        "previous_status": response.from_status.value,
        "response": plain_excerpt(response.body, EXCERPT),
        "decided_by": _name(session, response.author_id),
        "departments": _department_names(session, departments),
    }
    headline = f"{proposal.title}: {response.to_status.label}"
    return Happening("proposal.decided", headline, url, data["response"], data, frozenset(departments))


def proposal_merged(session: Session, payload: dict[str, Any]) -> Happening | None:
    duplicate = session.get(Proposal, int(payload["proposal_id"]))
    original = session.get(Proposal, int(payload["original_id"]))
    if duplicate is None or original is None or duplicate.id is None or original.id is None:
        return None
    departments = _proposal_departments(session, duplicate.id) | _proposal_departments(session, original.id)
    url = _link(f"/proposals/{original.id}")
    data: dict[str, Any] = {
        "id": duplicate.id,
        "title": duplicate.title,
        "url": _link(f"/proposals/{duplicate.id}"),
        "merged_into": {"id": original.id, "title": original.title, "url": url},
    }
    text = f"“{duplicate.title}” was merged into “{original.title}”; its supporters now support that one."
    return Happening("proposal.merged", f"Merged: {duplicate.title}", url, text, data, frozenset(departments))


def comment_created(session: Session, payload: dict[str, Any]) -> Happening | None:
    comment = session.get(Comment, int(payload["comment_id"]))
    if comment is None or comment.deleted_at is not None:
        return None
    departments: set[int] = set()
    author: str | None = _name(session, comment.author_id)
    if comment.target_type == "proposal":
        target: Proposal | Insight | None = session.get(Proposal, comment.target_id)
        if isinstance(target, Proposal) and target.id is not None:
            departments = _proposal_departments(session, target.id)
            if target.written_anonymously_by(comment.author_id):
                author = None  # never tie the anonymous author to their proposal outside the portal
    else:
        target = session.get(Insight, comment.target_id)
        if isinstance(target, Insight):
            if target.status != Status.published:
                return None
            departments = {target.department_id} if target.department_id else set()
    if target is None:
        return None
    url = _link(f"/{comment.target_type}s/{comment.target_id}#comment-{comment.id}")
    data: dict[str, Any] = {
        "id": comment.id,
        "url": url,
        "on": {"type": comment.target_type, "id": comment.target_id, "title": target.title},
        "author": author,
        "excerpt": plain_excerpt(comment.body, EXCERPT),
    }
    headline = f"{author or 'Someone'} commented on “{target.title}”"
    return Happening("comment.created", headline, url, data["excerpt"], data, frozenset(departments))


def _round(session: Session, payload: dict[str, Any], event: str) -> Happening | None:
    round_ = session.get(PulseRound, int(payload["round_id"]))
    if round_ is None or round_.id is None:
        return None
    departments = set(
        session.exec(
            select(PulseInvitation.department_id).where(PulseInvitation.round_id == round_.id).distinct()
        ).all()
    )
    url = _link(f"/pulse/{round_.id}")
    data = {"id": round_.id, "title": round_.title, "url": url, "closes_on": round_.closes_on.isoformat()}
    if event == "pulse.round_opened":
        headline = f"Team pulse open: {round_.title}"
        text = f"Answer anonymously by {round_.closes_on.isoformat()}; it takes two minutes."
    else:
        headline = f"Team pulse closed: {round_.title}"
        text = "The results are in, under the same anonymity rules as ever."
    return Happening(event, headline, url, text, data, frozenset(departments))


BUILDERS: dict[str, Callable[[Session, dict[str, Any]], Happening | None]] = {
    "insight.published": insight_published,
    "proposal.created": proposal_created,
    "proposal.decided": proposal_decided,
    "proposal.merged": proposal_merged,
    "comment.created": comment_created,
    "pulse.round_opened": partial(_round, event="pulse.round_opened"),
    "pulse.round_closed": partial(_round, event="pulse.round_closed"),
}


def fan_out(session: Session, payload: dict[str, Any], *, event: str) -> None:
    """One delivery for each active channel listening to `event` (and to one of its departments,
    for a department's channel); nothing is built when nobody listens."""
    channels = [
        c
        for c in session.exec(select(Channel).where(col(Channel.disabled_at).is_(None))).all()
        if event in (c.events or [])
    ]
    happening = BUILDERS[event](session, payload) if channels else None
    if happening is None:
        return
    now = utcnow()
    for channel in channels:
        if channel.department_id is not None and channel.department_id not in happening.department_ids:
            continue
        assert channel.id is not None
        session.add(
            Delivery(
                channel_id=channel.id,
                event=event,
                message_id="msg_" + secrets.token_hex(16),
                body=messages.body(channel.kind, happening, now),
                next_attempt_at=now,
            )
        )


CONSUMERS = tuple(outbox.Consumer(topic=event, handle=partial(fan_out, event=event)) for event in EVENT_TYPES)
