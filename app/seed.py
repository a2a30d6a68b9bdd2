"""Loads the demo company from seed_data/ through the services, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from app.auth.security import hash_password
from app.people import service as people_service
from app.people.models import PersonCreate, Role

SEED_DIR = Path(__file__).resolve().parents[1] / "seed_data"


def read_company() -> dict[str, Any]:
    with (SEED_DIR / "company.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def load_demo(session: Session) -> str:
    """Create the demo company; a database that has people already is left alone."""
    if people_service.count_people(session) > 0:
        return "The database already has people; the demo data was not loaded."
    company = read_company()
    # Everyone in the demo shares one password, so hash it once (argon2 is slow on purpose).
    password_hash = hash_password(company["demo_password"])
    people = teams = 0
    for dept_spec in company["departments"]:
        department = people_service.get_or_create_department(session, name=dept_spec["name"])
        for team_spec in dept_spec["teams"]:
            team = people_service.get_or_create_team(session, name=team_spec["name"], department=department)
            teams += 1
            for spec in team_spec["people"]:
                person = people_service.create(
                    session,
                    actor=None,
                    commit=False,
                    data=PersonCreate(
                        email=spec["email"], name=spec["name"], role=Role(spec["role"]), team_id=team.id
                    ),
                )
                person.password_hash = password_hash
                session.add(person)
                people += 1
    session.commit()
    return (
        f"Loaded the demo company {company['company']}: {len(company['departments'])} departments, "
        f"{teams} teams, {people} people. Sign in with any demo e-mail and the password "
        f"{company['demo_password']!r}."
    )
