"""People, teams and departments: every rule about who exists and in which team."""

from __future__ import annotations

import re

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import db
from app.core.credentials import check_password_policy, hash_password
from app.core.db import owns_transaction
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.text import escape_like
from app.people import permissions
from app.people.models import Department, Person, Role, Team
from app.people.schemas import PersonCreate, PersonRead, PersonUpdate, TeamRead

_HANDLE_CHARS = re.compile(r"[^a-z0-9._-]+")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get(session: Session, *, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def get_by_email(session: Session, *, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == normalise_email(email))).first()


def get_by_handle(session: Session, *, handle: str) -> Person | None:
    return session.exec(select(Person).where(func.lower(Person.handle) == handle.lower())).first()


def to_read(session: Session, person: Person) -> PersonRead:
    team = session.get(Team, person.team_id) if person.team_id else None
    department = session.get(Department, team.department_id) if team else None
    assert person.id is not None
    return PersonRead(
        id=person.id,
        email=person.email,
        name=person.name,
        handle=person.handle,
        role=person.role,
        team=team.name if team else None,
        department=department.name if department else None,
        team_id=team.id if team else None,
        department_id=department.id if department else None,
        email_notifications=person.digest,
    )


def _unique_handle(session: Session, email: str) -> str:
    """The part of the e-mail before the @ (design.md), made unique with a number when taken."""
    base = _HANDLE_CHARS.sub("", email.split("@", 1)[0].lower())[:56] or "person"
    handle, n = base, 1
    while get_by_handle(session, handle=handle) is not None:
        n += 1
        handle = f"{base}{n}"
    return handle


def create(session: Session, *, actor: Person | None, data: PersonCreate) -> Person:
    """Create a person. `actor` None means the command line or the SSO proxy created them."""
    if actor is not None:
        permissions.check(actor, "people.manage")
    email = normalise_email(data.email)
    if get_by_email(session, email=email) is not None:
        raise ValidationFailed({"email": "Someone with this e-mail address already exists."})
    if data.team_id is not None and session.get(Team, data.team_id) is None:
        raise ValidationFailed({"team_id": "Choose an existing team."})
    password_hash = None
    if data.password:
        check_password_policy(data.password, email=email)
        password_hash = hash_password(data.password)
    person = Person(
        email=email,
        name=data.name,
        handle=_unique_handle(session, email),
        role=data.role,
        team_id=data.team_id,
        password_hash=password_hash,
    )
    session.add(person)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create with the same e-mail
        session.rollback()
        raise Conflict("Someone with this e-mail address already exists.") from exc
    audit_service.record(
        session,
        actor,
        "person.create",
        person,
        summary=f"{person.name} <{person.email}> as {person.role.value}",
    )
    db.commit(session)
    return person


def update(session: Session, *, actor: Person, person_id: int, data: PersonUpdate) -> Person:
    permissions.check(actor, "people.manage")
    person = get(session, person_id=person_id)
    if person.id == actor.id and (data.role != Role.admin or not data.is_active):
        raise ValidationFailed({"role": "You cannot remove your own admin role or deactivate yourself."})
    other = get_by_handle(session, handle=data.handle)
    if other is not None and other.id != person.id:
        raise ValidationFailed({"handle": "This handle is taken."})
    if data.team_id is not None and session.get(Team, data.team_id) is None:
        raise ValidationFailed({"team_id": "Choose an existing team."})
    changes = {
        field: [str(getattr(person, field)), str(getattr(data, field))]
        for field in ("name", "handle", "role", "team_id", "is_active")
        if getattr(person, field) != getattr(data, field)
    }
    person.name, person.handle, person.role = data.name, data.handle, data.role
    person.team_id, person.is_active = data.team_id, data.is_active
    session.add(person)
    if "role" in changes:
        audit_service.record(
            session,
            actor,
            "person.role_change",
            person,
            summary=f"{person.name}: {changes['role'][0]} → {changes['role'][1]}",
        )
    if "is_active" in changes and not data.is_active:
        # Their sessions stop working at once (sign-in refuses inactive people); app/flows/accounts.py
        # also deletes them.
        audit_service.record(session, actor, "person.deactivate", person, summary=person.name)
    elif changes:
        audit_service.record(
            session, actor, "person.update", person, summary=person.name, details={"changed": sorted(changes)}
        )
    db.commit(session)
    return person


PER_PAGE = 20  # people on an admin page


NO_TEAM = 0  # the team filter's value for "not in a team yet"


def list_people(
    session: Session, *, query: str = "", team_id: int | None = None, page: int = 1, per_page: int = PER_PAGE
) -> tuple[int, list[tuple[Person, Team | None, Department | None]]]:
    """A page of people by name, optionally of one team (or, with NO_TEAM, of nobody's team)."""
    statement = (
        select(Person, Team, Department)
        .join(Team, col(Person.team_id) == Team.id, isouter=True)
        .join(Department, col(Team.department_id) == Department.id, isouter=True)
    )
    count = select(func.count()).select_from(Person)
    if team_id is not None:
        in_team = col(Person.team_id).is_(None) if team_id == NO_TEAM else Person.team_id == team_id
        statement = statement.where(in_team)
        count = count.where(in_team)
    if query:
        like = f"%{escape_like(query.lower())}%"
        condition = or_(
            func.lower(Person.name).like(like, escape="\\"),
            func.lower(Person.email).like(like, escape="\\"),
        )
        statement = statement.where(condition)
        count = count.where(condition)
    total = session.exec(count).one()
    rows = session.exec(statement.order_by(Person.name).offset((page - 1) * per_page).limit(per_page)).all()
    return total, [(p, t, d) for p, t, d in rows]


MAX_MOVE = 200  # people moved in one go (a page of the people list, ten times over)


@owns_transaction
def move_people(session: Session, *, actor: Person, person_ids: list[int], team_id: int) -> tuple[Team, int]:
    """An admin moves people into a team, all of them or none; one audit event says who went
    where. Returns the team and how many people changed team."""
    permissions.check(actor, "people.manage")
    team = session.get(Team, team_id)
    if team is None or team.removed_from_directory_at is not None:
        raise ValidationFailed({"team_id": "Choose an existing team."})
    wanted = sorted(set(person_ids))
    if not wanted:
        raise ValidationFailed({"person_ids": "Tick the people to move first."})
    if len(wanted) > MAX_MOVE:
        raise ValidationFailed({"person_ids": f"Move at most {MAX_MOVE} people at a time."})
    people = session.exec(select(Person).where(col(Person.id).in_(wanted))).all()
    if len(people) != len(wanted):
        raise ValidationFailed({"person_ids": "Some of these people no longer exist; reload the page."})
    moved = [p for p in people if p.team_id != team.id]
    for person in moved:
        person.team_id = team.id
        session.add(person)
    if moved:
        names = ", ".join(sorted(p.name for p in moved)[:10]) + (" …" if len(moved) > 10 else "")
        audit_service.record(
            session,
            actor,
            "people.move",
            team,
            summary=f"{len(moved)} to {team.name}: {names}",
            details={"person_ids": [p.id for p in moved]},
        )
    db.commit(session)
    return team, len(moved)


def count_people(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Person)).one()


# --- departments and teams -----------------------------------------------------------------------


def list_departments(session: Session) -> list[Department]:
    return list(session.exec(select(Department).order_by(Department.name)).all())


def list_teams(session: Session) -> list[tuple[Team, Department]]:
    rows = session.exec(
        select(Team, Department)
        .join(Department, col(Team.department_id) == Department.id)
        .order_by(Department.name, Team.name)
    ).all()
    return [(t, d) for t, d in rows]


def team_sizes(session: Session) -> dict[int, int]:
    rows = session.exec(
        select(Person.team_id, func.count())
        .where(col(Person.team_id).is_not(None))
        .group_by(col(Person.team_id))
    ).all()
    return {team_id: n for team_id, n in rows if team_id is not None}


def get_or_create_department(session: Session, *, name: str) -> Department:
    name = name.strip()
    department = session.exec(select(Department).where(Department.name == name)).first()
    if department is None:
        department = Department(name=name)
        session.add(department)
        session.flush()
    return department


def get_or_create_team(session: Session, *, name: str, department: Department) -> Team:
    name = name.strip()
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        assert department.id is not None
        team = Team(name=name, department_id=department.id)
        session.add(team)
        session.flush()
    elif team.department_id != department.id:
        raise ValidationFailed({"team": f"Team {name!r} already exists in another department."})
    return team


# The roles in rising order: a person in several mapped groups gets the highest.
ROLE_ORDER = (Role.employee, Role.cx, Role.leader, Role.admin)


def from_directory(
    session: Session,
    *,
    email: str,
    name: str,
    department: str = "",
    team: str = "",
    role: Role = Role.employee,
    source: str,
) -> Person:
    """The person as the company's directory says (a sign-in through the identity provider): created
    the first time, kept in step every later time (name, team, role). A department or team the
    directory names is created when the portal has none of that name; a team the portal keeps in
    another department is refused, never moved on a guess. One transaction: all of it or nothing.
    `source` ("oidc") is said in the audit trail."""
    try:
        with db.one_transaction(session):
            person = _from_directory(session, normalise_email(email), name, department, team, role, source)
    except BaseException:
        session.rollback()
        raise
    return person


def _from_directory(
    session: Session, email: str, name: str, department: str, team: str, role: Role, source: str
) -> Person:
    team_row = None
    if team.strip():
        home = get_or_create_department(session, name=(department.strip() or team.strip())[:120])
        team_row = get_or_create_team(session, name=team.strip()[:120], department=home)
    elif department.strip():
        get_or_create_department(session, name=department.strip()[:120])
    display = name.strip()[:120]
    person = get_by_email(session, email=email)
    if person is None:
        data = PersonCreate(email=email, name=display or email, role=role)
        person = create(session, actor=None, data=data)
    old_role = person.role
    person.name = display or person.name
    person.role = role
    if team_row is not None:
        person.team_id = team_row.id
    session.add(person)
    if old_role != role:
        summary = f"{person.name}: {old_role.value} → {role.value} ({source})"
        audit_service.record(session, None, "person.role_change", person, summary=summary)
    db.commit(session)
    return person


@owns_transaction
def set_team_lead(session: Session, *, actor: Person, team_id: int, lead_email: str | None) -> Team:
    """Name a team's lead (an active person, by e-mail), or take the lead off with None."""
    permissions.check(actor, "people.manage")
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("There is no such team.")
    lead = None
    if lead_email:
        lead = get_by_email(session, email=normalise_email(lead_email))
        if lead is None or not lead.is_active:
            raise ValidationFailed({"lead_email": "Nobody active in the portal has this e-mail address."})
    team.lead_id = lead.id if lead else None
    session.add(team)
    summary = f"{team.name}: lead {lead.name if lead else 'none'}"
    audit_service.record(session, actor, "team.lead", team, summary=summary)
    db.commit(session)
    return team


def team_read(session: Session, team: Team) -> TeamRead:
    department = session.get(Department, team.department_id)
    lead = session.get(Person, team.lead_id) if team.lead_id else None
    assert team.id is not None and department is not None
    return TeamRead(
        id=team.id,
        name=team.name,
        department_id=team.department_id,
        department=department.name,
        lead_email=lead.email if lead else None,
        members=team_sizes(session).get(team.id, 0),
    )


def leads(session: Session) -> dict[int, Person]:
    """Each team's lead, by team id (for the org chart)."""
    rows = session.exec(
        select(Team.id, Person)
        .join(Person, col(Person.id) == Team.lead_id)
        .where(col(Team.lead_id).is_not(None))
    ).all()
    return {team_id: person for team_id, person in rows if team_id is not None}


def create_department(session: Session, *, actor: Person, name: str) -> Department:
    permissions.check(actor, "people.manage")
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed({"name": "Give the department a name of at most 120 characters."})
    if session.exec(select(Department).where(Department.name == name)).first():
        raise ValidationFailed({"name": "A department with this name already exists."})
    department = get_or_create_department(session, name=name)
    audit_service.record(session, actor, "department.create", department, summary=name)
    db.commit(session)
    return department


def create_team(session: Session, *, actor: Person, name: str, department_id: int) -> Team:
    permissions.check(actor, "people.manage")
    name = name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 120:
        errors["name"] = "Give the team a name of at most 120 characters."
    elif session.exec(select(Team).where(Team.name == name)).first():
        errors["name"] = "A team with this name already exists."
    department = session.get(Department, department_id)
    if department is None:
        errors["department_id"] = "Choose a department."
    if errors or department is None:
        raise ValidationFailed(errors)
    team = get_or_create_team(session, name=name, department=department)
    audit_service.record(session, actor, "team.create", team, summary=f"{name} in {department.name}")
    db.commit(session)
    return team


def rename_team(session: Session, *, actor: Person, team_id: int, name: str, department_id: int) -> Team:
    permissions.check(actor, "people.manage")
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("There is no such team.")
    name = name.strip()
    other = session.exec(select(Team).where(Team.name == name)).first()
    if not name or len(name) > 120:
        raise ValidationFailed({"name": "Give the team a name of at most 120 characters."})
    if other is not None and other.id != team.id:
        raise ValidationFailed({"name": "A team with this name already exists."})
    if session.get(Department, department_id) is None:
        raise ValidationFailed({"department_id": "Choose a department."})
    team.name, team.department_id = name, department_id
    session.add(team)
    audit_service.record(session, actor, "team.update", team, summary=name)
    db.commit(session)
    return team


def teams_led_by(session: Session, *, person: Person) -> list[Team]:
    """The teams this person is the lead of."""
    if person.id is None:
        return []
    return list(session.exec(select(Team).where(Team.lead_id == person.id).order_by(Team.name)).all())
