"""Factories: make the records a test needs, stating only what matters to it."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from app.comments import schemas as comment_schemas
from app.comments import service as comment_service
from app.comments.models import Comment
from app.core.credentials import hash_password
from app.core.models import utcnow
from app.core.sealing import seal
from app.imports.models import ImportJob
from app.insights import service as insight_service
from app.insights.models import Attachment, Channel, Insight, InsightTag, JourneyStage, Kind, Status, Tag
from app.insights.schemas import InsightCreate
from app.integrations.models import Channel as IntegrationChannel
from app.integrations.models import Delivery
from app.notifications.models import Notification
from app.people.models import Department, Person, Role, Team
from app.people.schemas import PersonUpdate
from app.proposals.models import Proposal
from app.pulse import service as pulse_service
from app.pulse.items import CATALOGUE
from app.pulse.models import PulseAction, PulseInvitation, PulseItem, PulseRound, PulseSchedule
from app.pulse.schemas import AnswersIn, RoundCreate
from app.themes.models import Theme, ThemeMember

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose; hash once for all factories
_seq = itertools.count(1)


def department(db: Session, *, name: str | None = None) -> Department:
    record = Department(name=name or f"Department {next(_seq)}")
    db.add(record)
    db.commit()
    return record


def team(db: Session, *, name: str | None = None, dept: Department | None = None) -> Team:
    dept = dept or department(db)
    assert dept.id is not None
    record = Team(name=name or f"Team {next(_seq)}", department_id=dept.id)
    db.add(record)
    db.commit()
    return record


def person(
    db: Session,
    *,
    name: str | None = None,
    email: str | None = None,
    role: Role = Role.employee,
    in_team: Team | None = None,
    active: bool = True,
    password_hash: str | None = _PASSWORD_HASH,
) -> Person:
    n = next(_seq)
    email = email or f"person{n}@example.test"
    record = Person(
        name=name or f"Person {n}",
        email=email,
        handle=email.split("@")[0].replace("+", ""),
        role=role,
        team_id=(in_team or team(db)).id,
        is_active=active,
        password_hash=password_hash,
    )
    db.add(record)
    db.commit()
    return record


def insight(
    db: Session,
    *,
    kind: Kind = Kind.feedback,
    title: str | None = None,
    author: Person | None = None,
    status: Status = Status.published,
    tags: list[str] | None = None,
    **fields: Any,
) -> Insight:
    """An insight written straight to the database (the service tests create theirs through the service)."""
    author = author or person(db, role=Role.cx)
    defaults: dict[str, Any] = {}
    if kind == Kind.feedback:
        defaults = {"quote": "The parcel came two days late.", "channel": Channel.support_ticket}
    elif kind == Kind.pain_point:
        defaults = {"severity": 3}
    record = Insight(
        kind=kind,
        title=title or f"Insight {next(_seq)}",
        author_id=author.id or 0,
        status=status,
        **{**defaults, **fields},
    )
    db.add(record)
    db.commit()
    for name in tags or []:
        tag = db.exec(select(Tag).where(Tag.name == name)).first() or Tag(name=name)
        db.add(tag)
        db.commit()
        db.add(InsightTag(insight_id=record.id or 0, tag_id=tag.id or 0))
        db.commit()
    return record


def published(db: Session, *, by: Person, kind: str = "feedback", **fields: Any) -> Insight:
    """An insight published through the service, as on the page: tagged, audited, queued for search."""
    return insight_service.create(db, actor=by, data=InsightCreate.model_validate({"kind": kind, **fields}))


def stage(
    db: Session, *, journey: Insight, name: str = "Order", emotion: int = 0, position: int = 0
) -> JourneyStage:
    record = JourneyStage(journey_id=journey.id or 0, name=name, emotion=emotion, position=position)
    db.add(record)
    db.commit()
    return record


def attachment(db: Session, *, insight: Insight, content_type: str = "image/png") -> Attachment:
    record = Attachment(
        insight_id=insight.id or 0,
        uploader_id=insight.author_id,
        original_name="map.png",
        stored_name=f"test{next(_seq):028d}",
        content_type=content_type,
        size=10,
    )
    db.add(record)
    db.commit()
    return record


def proposal(
    db: Session, *, title: str = "A proposal", author: Person | None = None, **fields: Any
) -> Proposal:
    author = author or person(db)
    record = Proposal(title=title, problem="p", change="c", author_id=author.id or 0, **fields)
    db.add(record)
    db.commit()
    return record


def comment(
    db: Session, *, on: Proposal | Insight, author: Person | None = None, body: str = "A comment"
) -> Comment:
    author = author or person(db)
    record = Comment(
        target_type="proposal" if isinstance(on, Proposal) else "insight",
        target_id=on.id or 0,
        author_id=author.id or 0,
        body=body,
    )
    db.add(record)
    db.commit()
    return record


def posted_comment(
    db: Session, *, by: Person, on: tuple[str, int], body: str = "A comment", **fields: Any
) -> Comment:
    """A comment posted through the service on ("proposal" or "insight", its id): mentions,
    notifications, write limits and the anonymous-author warning all apply."""
    target_type, target_id = on
    data = comment_schemas.CommentIn(body=body, **fields)
    return comment_service.add(db, actor=by, target_type=target_type, target_id=target_id, data=data)


def notification(
    db: Session, *, person: Person, text: str = "Something happened", url: str = "/"
) -> Notification:
    record = Notification(person_id=person.id or 0, text=text, url=url)
    db.add(record)
    db.commit()
    return record


def pulse_round(
    db: Session,
    *,
    title: str = "Team pulse",
    days_open: int = 14,
    min_group: int = 5,
    invite: list[Person] | None = None,
) -> PulseRound:
    """An open pulse round with the catalogue's items, sent to `invite` (in their teams)."""
    record = PulseRound(
        title=title,
        closes_on=utcnow().date() + timedelta(days=days_open),
        min_group=min_group,
        text_min_group=10,
    )
    db.add(record)
    db.commit()
    for position, spec in enumerate(CATALOGUE):
        db.add(PulseItem(round_id=record.id or 0, position=position, domain=spec.domain, text=spec.text))
    for invitee in invite or []:
        team_row = db.get(Team, invitee.team_id)
        assert team_row is not None
        db.add(
            PulseInvitation(
                round_id=record.id or 0,
                person_id=invitee.id or 0,
                team_id=team_row.id or 0,
                department_id=team_row.department_id,
            )
        )
    db.commit()
    return record


def import_job(db: Session, *, by: Person, columns: list[str] | None = None) -> ImportJob:
    """An uploaded file's job, waiting for its mapping (its file is not on disk)."""
    record = ImportJob(
        created_by_id=by.id or 0,
        file_name="export.csv",
        stored_name=f"missing{next(_seq)}.upload",
        file_format="csv",
        encoding="utf-8",
        delimiter=",",
        columns=columns or ["Comment"],
    )
    db.add(record)
    db.commit()
    return record


def team_of(
    db: Session, size: int, name: str | None = None, dept_name: str | None = None
) -> tuple[Team, list[Person]]:
    """A team of `size` employees (in a department of its own, named if asked)."""
    record = team(db, name=name, dept=department(db, name=dept_name) if dept_name else None)
    return record, [person(db, in_team=record) for _ in range(size)]


def opened_pulse(
    db: Session, *, by: Person, teams: list[Team], title: str = "Team pulse", days: int = 7, **extra: Any
) -> PulseRound:
    """A pulse round opened through the service for `teams`, closing in `days` days."""
    data = RoundCreate(
        title=title,
        closes_on=utcnow().date() + timedelta(days=days),
        team_ids=[t.id or 0 for t in teams],
        **extra,
    )
    return pulse_service.open_round(db, actor=by, data=data)


def pulse_schedule(db: Session, *, by: Person | None = None, opens_in_days: int = 3) -> PulseSchedule:
    """A monthly schedule for every team, stored as is (no rule checked)."""
    record = PulseSchedule(
        title="Team pulse",
        cadence="monthly",
        open_days=7,
        next_opens_on=utcnow().date() + timedelta(days=opens_in_days),
        created_by_id=by.id if by else None,
    )
    db.add(record)
    db.commit()
    return record


def pulse_action(
    db: Session,
    *,
    round_: PulseRound,
    team: Team,
    quality: str = "open_conversation",
    title: str = "Talk it out",
) -> PulseAction:
    """A team's action after a round, stored as is (no rule checked)."""
    record = PulseAction(
        round_id=round_.id or 0,
        team_id=team.id or 0,
        quality=quality,
        title=title,
        due_on=utcnow().date() + timedelta(days=30),
    )
    db.add(record)
    db.commit()
    return record


def answer_pulse(db: Session, round_: PulseRound, people: list[Person], value: int = 4) -> None:
    """Each of `people` answers every statement with `value`, through the service."""
    item_ids = [i.id or 0 for i in pulse_service.items(db, round_id=round_.id or 0)]
    for someone in people:
        pulse_service.answer(
            db, actor=someone, round_id=round_.id or 0, data=AnswersIn(answers=dict.fromkeys(item_ids, value))
        )


def closed_pulse(
    db: Session, *, by: Person, teams: list[Team], answering: list[Person], value: int = 4
) -> PulseRound:
    """A round for `teams` that `answering` answered with `value`, closed by `by`."""
    round_ = opened_pulse(db, by=by, teams=teams)
    answer_pulse(db, round_, answering, value)
    return pulse_service.close(db, actor=by, round_id=round_.id or 0)


def lead(db: Session, team: Team, person: Person) -> Team:
    """Name `person` the lead of `team`."""
    team.lead_id = person.id
    db.add(team)
    db.commit()
    return team


def theme(db: Session, *, label: str = "late delivery", members: list[Insight] | None = None) -> Theme:
    """A theme as a refresh would store it, with these pieces of feedback in it."""
    record = Theme(label=label, terms=label.split(), size=len(members or []))
    db.add(record)
    db.commit()
    for n, member in enumerate(members or []):
        db.add(ThemeMember(theme_id=record.id or 0, insight_id=member.id or 0, closeness=1.0 - n / 100))
    db.commit()
    return record


def update_of(person: Person, **changes: Any) -> PersonUpdate:
    """An admin's edit of `person`: what is there now, with `changes`."""
    kept = person.model_dump(include={"name", "handle", "role", "team_id", "is_active"})
    return PersonUpdate.model_validate({**kept, **changes})


def channel(db: Session, *, kind: str = "webhook", events: list[str] | None = None) -> IntegrationChannel:
    """An integration channel, stored as the service stores one (address and secret sealed)."""
    record = IntegrationChannel(
        kind=kind,
        url_sealed=seal("https://hooks.example.test/portal"),
        url_shown="https://hooks.example.test/portal",
        secret_sealed=seal("whsec_" + "A" * 43) if kind == "webhook" else None,
        events=events or ["proposal.created"],
    )
    db.add(record)
    db.commit()
    return record


def delivery(db: Session, *, channel: IntegrationChannel, event: str = "proposal.created") -> Delivery:
    record = Delivery(
        channel_id=channel.id or 0, event=event, message_id="msg_" + "0" * 32, body={"type": event}
    )
    db.add(record)
    db.commit()
    return record
