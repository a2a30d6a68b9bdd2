"""Factories: make the records a test needs, stating only what matters to it."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from app.auth.security import hash_password
from app.people.models import Department, Person, Role, Team

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
