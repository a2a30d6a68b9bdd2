"""People import: the org chart from a CSV or XLSX file (email, name, department, team, role,
manager_email), all rows or none.

Every row is checked first, and the rows are named as a spreadsheet numbers them (the header is
row 1). When any row is bad, nothing changes and the errors say which rows and why. Otherwise one
transaction creates and updates the people, and creates the departments and teams named. A person
is recognised by e-mail, so importing the same file again changes nothing. One audit event records
the import.

- An empty role keeps the person's role; a new person then starts as an employee.
- An empty team keeps the person's team.
- A manager must be in the file or already in the portal.
- Nobody is deactivated by being left out of a file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from app.audit import service as audit_service
from app.core import db
from app.core.errors import ValidationFailed
from app.imports import reader
from app.people import permissions
from app.people import service as people_service
from app.people.models import Department, Person, Role, Team
from app.people.schemas import PersonCreate

COLUMNS = ("email", "name", "department", "team", "role", "manager_email")
MAX_ROWS = 20_000


@dataclass
class PeopleOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    dry_run: bool = False


class PeopleImportRejected(ValidationFailed):
    def __init__(self, outcome: PeopleOutcome) -> None:
        self.outcome = outcome
        shown = "; ".join(f"row {e['row']}: {e['message']}" for e in outcome.errors[:5])
        super().__init__({"file": f"Nothing was imported: {len(outcome.errors)} rows need fixing. {shown}"})


@dataclass(frozen=True)
class _Row:
    number: int
    email: str
    name: str
    department: str
    team: str
    role: Role | None
    manager_email: str


def _read(path: Path) -> tuple[list[_Row], list[dict[str, object]]]:
    table = reader.inspect(path)
    index = {name.strip().casefold(): i for i, name in enumerate(table.columns)}
    missing = [c for c in ("email", "name") if c not in index]
    if missing:
        wanted = ", ".join(COLUMNS)
        raise ValidationFailed(
            {"file": f"The file needs the columns {wanted}; it has no {' or '.join(missing)}."}
        )
    rows: list[_Row] = []
    errors: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for number, cells in reader.rows(path, table):
        if len(rows) + len(errors) >= MAX_ROWS:
            raise ValidationFailed({"file": f"At most {MAX_ROWS:,} people in one file."})

        values = {name: cells[i].strip() for name, i in index.items() if name in COLUMNS and i < len(cells)}
        cell = _getter(values)
        email = people_service.normalise_email(cell("email"))
        role_text = cell("role").casefold()
        problem = ""
        if "@" not in email or " " in email or len(email) > 254:
            problem = f"“{cell('email')}” is not an e-mail address"
        elif email in seen:
            problem = f"{email} is also on row {seen[email]}"
        elif not cell("name") or len(cell("name")) > 120:
            problem = "the name is empty or longer than 120 characters"
        elif role_text and role_text not in Role.__members__:
            problem = f"role “{cell('role')}” is not employee, cx, leader or admin"
        elif cell("team") and not cell("department"):
            problem = f"team “{cell('team')}” needs its department"
        elif len(cell("department")) > 120 or len(cell("team")) > 120:
            problem = "a department or team name is longer than 120 characters"
        if problem:
            errors.append({"row": number, "message": problem})
            continue
        seen[email] = number
        rows.append(
            _Row(
                number=number,
                email=email,
                name=cell("name"),
                department=cell("department"),
                team=cell("team"),
                role=Role(role_text) if role_text else None,
                manager_email=people_service.normalise_email(cell("manager_email")),
            )
        )
    if not rows and not errors:
        raise ValidationFailed({"file": "The file has a header row but no people."})
    return rows, errors


def _getter(values: dict[str, str]) -> Callable[[str], str]:
    return lambda name: values.get(name, "")


def import_people(session: Session, *, actor: Person, path: Path, dry_run: bool = False) -> PeopleOutcome:
    """Check every row, then (unless a dry run) write them all in one transaction. Raises
    PeopleImportRejected when any row is bad."""
    permissions.check(actor, "people.manage")
    rows, errors = _read(path)
    outcome = PeopleOutcome(errors=errors, dry_run=dry_run)
    in_file = {row.email for row in rows}
    known = {p.email: p for p in session.exec(select(Person)).all()}
    teams = {t.name: t for t in session.exec(select(Team)).all()}
    departments = {d.id: d.name for d in session.exec(select(Department)).all()}
    for row in rows:
        if row.manager_email and row.manager_email not in in_file and row.manager_email not in known:
            errors.append(
                {
                    "row": row.number,
                    "message": f"manager {row.manager_email} is not in the file or the portal",
                }
            )
        elif row.manager_email == row.email:
            errors.append({"row": row.number, "message": "a person cannot be their own manager"})
        team = teams.get(row.team)
        if (
            team is not None
            and departments.get(team.department_id, "").casefold() != row.department.casefold()
        ):
            where = departments.get(team.department_id, "")
            errors.append(
                {"row": row.number, "message": f"team “{row.team}” is in {where}, not {row.department}"}
            )
    if errors:
        outcome.errors = sorted(errors, key=lambda e: int(str(e["row"])))
        raise PeopleImportRejected(outcome)
    try:
        with db.one_transaction(session):
            _write(session, rows, known, outcome)
            audit_service.record(
                session,
                actor,
                "people.import",
                entity_type="person",
                summary=f"Imported people from {path.name}: {outcome.created} created, "
                f"{outcome.updated} updated, {outcome.unchanged} unchanged"
                + (" (dry run)" if dry_run else ""),
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        session.rollback()
    except BaseException:
        session.rollback()
        raise
    return outcome


class _DryRun(Exception):
    """Ends a dry run's transaction: everything was checked and counted, nothing stays."""


def _write(session: Session, rows: list[_Row], known: dict[str, Person], outcome: PeopleOutcome) -> None:
    people: dict[str, Person] = {}
    before: dict[str, tuple[object, ...]] = {}
    for row in rows:
        team_id = None
        if row.team:
            home = people_service.get_or_create_department(session, name=row.department)
            team_id = people_service.get_or_create_team(session, name=row.team, department=home).id
        elif row.department:
            people_service.get_or_create_department(session, name=row.department)
        person = known.get(row.email)
        if person is None:
            data = PersonCreate(
                email=row.email, name=row.name, role=row.role or Role.employee, team_id=team_id
            )
            people[row.email] = people_service.create(session, actor=None, data=data)
            outcome.created += 1
            continue
        before[row.email] = _shape(person)
        person.name = row.name
        person.role = row.role or person.role
        person.team_id = team_id or person.team_id
        people[row.email] = person
    session.flush()
    for row in rows:  # managers once everyone in the file exists
        if row.manager_email:
            manager = people.get(row.manager_email) or known[row.manager_email]
            people[row.email].manager_id = manager.id
    for email, shape in before.items():
        session.add(people[email])
        if _shape(people[email]) != shape:
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    db.commit(session)


def _shape(person: Person) -> tuple[object, ...]:
    return (person.name, person.role, person.team_id, person.manager_id)
