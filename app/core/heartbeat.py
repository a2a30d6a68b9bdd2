"""Heartbeats of the background workers, kept in the database so that every node's /healthz can
tell whether any worker anywhere is alive: a worker that died leaves the search outbox growing and
import jobs waiting, which a page alone never shows."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.core import db
from app.core.models import WorkerHeartbeat, aware, utcnow

# A worker beats at most this often (a write each time), and is late when silent for LATE_AFTER.
EVERY = timedelta(seconds=10)
LATE_AFTER = timedelta(seconds=60)
FORGET_AFTER = timedelta(days=1)


def name_for(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"[:160]


def beat(session: Session, name: str) -> None:
    """Records that `name` is alive now (its own short transaction), and forgets workers gone a day."""
    now = utcnow()
    row = session.get(WorkerHeartbeat, name)
    if row is None:
        session.add(WorkerHeartbeat(name=name, beat_at=now))
        session.exec(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.beat_at) < now - FORGET_AFTER))
    else:
        row.beat_at = now
        session.add(row)
    db.commit(session)


def last_beat(session: Session, kind: str) -> datetime | None:
    latest = session.exec(
        select(func.max(WorkerHeartbeat.beat_at)).where(col(WorkerHeartbeat.name).startswith(f"{kind}@"))
    ).one()
    return aware(latest) if latest else None


def seconds_since(when: datetime | None) -> int | None:
    return None if when is None else int((utcnow() - when).total_seconds())
