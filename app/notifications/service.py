"""Follows and in-app notifications. Notifying never commits: it joins the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core import db
from app.core.models import utcnow
from app.notifications.models import Follow, Notification
from app.people.models import Person

TARGETS = ("insight", "proposal", "tag", "search")


def follow(session: Session, *, person: Person, target_type: str, target_key: str) -> None:
    """Idempotent: following twice is following once."""
    assert target_type in TARGETS and person.id is not None
    key = target_key.strip()[:200]
    if is_following(session, person=person, target_type=target_type, target_key=key):
        return
    savepoint = session.begin_nested()
    try:
        session.add(Follow(person_id=person.id, target_type=target_type, target_key=key))
        savepoint.commit()
    except IntegrityError:  # followed at the same moment from another tab
        savepoint.rollback()


def unfollow(session: Session, *, person: Person, target_type: str, target_key: str) -> None:
    for row in session.exec(
        select(Follow).where(
            Follow.person_id == person.id,
            Follow.target_type == target_type,
            Follow.target_key == target_key.strip(),
        )
    ).all():
        session.delete(row)


def start_following(session: Session, *, person: Person, target_type: str, target_key: str) -> None:
    """Follow from the follow buttons: one transaction of its own."""
    follow(session, person=person, target_type=target_type, target_key=target_key)
    db.commit(session)


def stop_following(session: Session, *, person: Person, target_type: str, target_key: str) -> None:
    unfollow(session, person=person, target_type=target_type, target_key=target_key)
    db.commit(session)


def is_following(session: Session, *, person: Person, target_type: str, target_key: str) -> bool:
    return (
        session.exec(
            select(Follow.id).where(
                Follow.person_id == person.id,
                Follow.target_type == target_type,
                Follow.target_key == target_key,
            )
        ).first()
        is not None
    )


def followers(session: Session, *, target_type: str, target_keys: Iterable[str]) -> set[int]:
    keys = list(target_keys)
    if not keys:
        return set()
    return set(
        session.exec(
            select(Follow.person_id).where(
                Follow.target_type == target_type, col(Follow.target_key).in_(keys)
            )
        ).all()
    )


def follows_of(session: Session, *, person: Person, target_type: str) -> list[str]:
    return list(
        session.exec(
            select(Follow.target_key)
            .where(Follow.person_id == person.id, Follow.target_type == target_type)
            .order_by(Follow.target_key)
        ).all()
    )


def notify(
    session: Session, *, person_ids: Iterable[int], text: str, url: str, exclude: int | None = None
) -> int:
    """One notification for each person (once each), never to the person who acted."""
    recipients = {pid for pid in person_ids if pid and pid != exclude}
    if not recipients:
        return 0
    active = set(
        session.exec(select(Person.id).where(col(Person.id).in_(recipients), Person.is_active)).all()
    )
    for person_id in sorted(pid for pid in active if pid is not None):
        session.add(Notification(person_id=person_id, text=text[:500], url=url[:300]))
    return len(active)


def notify_followers(
    session: Session,
    target: tuple[str, str],
    *,
    text: str,
    url: str,
    exclude: int | None,
    skip: Iterable[int] = (),
) -> int:
    """Tell everyone who follows `target` (type, key), but the person who acted and those in `skip`
    (already told in another way)."""
    target_type, target_key = target
    people = followers(session, target_type=target_type, target_keys=[target_key]) - set(skip)
    return notify(session, person_ids=people, text=text, url=url, exclude=exclude)


def unread_count(session: Session, *, person: Person) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.person_id == person.id, col(Notification.read_at).is_(None))
    ).one()


PER_PAGE = 20  # notifications on a page


@dataclass
class Inbox:
    total: int
    unread: int
    items: list[Notification]


def inbox(session: Session, *, person: Person, page: int = 1, per_page: int = PER_PAGE) -> Inbox:
    """One page of the person's notifications, newest first, with how many they have and have not read."""
    total, items = list_for(session, person=person, page=page, per_page=per_page)
    return Inbox(total=total, unread=unread_count(session, person=person), items=items)


def list_for(
    session: Session, *, person: Person, page: int = 1, per_page: int = PER_PAGE
) -> tuple[int, list[Notification]]:
    total = session.exec(
        select(func.count()).select_from(Notification).where(Notification.person_id == person.id)
    ).one()
    rows = session.exec(
        select(Notification)
        .where(Notification.person_id == person.id)
        .order_by(col(Notification.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return total, list(rows)


def mark_read(session: Session, *, person: Person, notification_id: int | None = None) -> None:
    """Mark one (or, without an id, all) of the person's own notifications read."""
    statement = update(Notification).where(
        col(Notification.person_id) == person.id, col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        statement = statement.where(col(Notification.id) == notification_id)
    session.exec(statement.values(read_at=utcnow()))
    db.commit(session)
