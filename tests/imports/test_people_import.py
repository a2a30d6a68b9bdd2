"""People import (POST /api/v1/imports/people, `portal people import`): the org chart from a file,
all rows or none, recognised by e-mail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.people import service as people_service
from app.people.models import Department, Person, Role, Team
from tests.browser import Browser, bearer
from tests.core.test_cli import scratch  # noqa: F401  (the fixture: a scratch database for the CLI)

HEADER = "email,name,department,team,role,manager_email\n"
ORG = (
    HEADER
    + "nora.lind@corp.test,Nora Lind,Logistics,Night Dispatch,leader,\n"
    + "omar.haddad@corp.test,Omar Haddad,Logistics,Night Dispatch,,nora.lind@corp.test\n"
    + "pia.berg@corp.test,Pia Berg,Customer Care,Returns Desk,cx,nora.lind@corp.test\n"
)


def post(browser: Browser, token: str, content: str, **form: str) -> httpx.Response:
    return browser.client.post(
        "/api/v1/imports/people",
        files={"file": ("people.csv", content.encode(), "text/csv")},
        data=form,
        headers=bearer(token),
    )


def admin_token(db: Session, admin: Person) -> str:
    return auth_service.create_token(db, actor=admin, owner=admin).token


def test_an_org_chart_comes_in_once_and_again_changes_nothing(
    browser: Browser, db: Session, admin: Person
) -> None:
    token = admin_token(db, admin)
    first = post(browser, token, ORG)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0, "dry_run": False, "errors": []}
    nora = people_service.get_by_email(db, email="nora.lind@corp.test")
    omar = people_service.get_by_email(db, email="omar.haddad@corp.test")
    assert nora is not None and omar is not None
    assert nora.role == Role.leader and omar.role == Role.employee and omar.manager_id == nora.id
    team = db.get(Team, omar.team_id)
    assert team is not None and team.name == "Night Dispatch"
    assert db.get(Department, team.department_id).name == "Logistics"  # type: ignore[union-attr]
    again = post(browser, token, ORG)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3, "dry_run": False, "errors": []}
    moved = ORG.replace(
        "Omar Haddad,Logistics,Night Dispatch,,", "Omar Haddad,Customer Care,Returns Desk,cx,"
    )
    third = post(browser, token, moved)
    assert third.json()["updated"] == 1 and third.json()["unchanged"] == 2
    db.refresh(omar)
    assert omar.role == Role.cx and db.get(Team, omar.team_id).name == "Returns Desk"  # type: ignore[union-attr]
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "people.import")).all()
    assert len(events) == 3


def test_a_bad_row_changes_nothing_and_rows_are_numbered_as_in_a_spreadsheet(
    browser: Browser, db: Session, admin: Person
) -> None:
    bad = (
        HEADER
        + "ok.person@corp.test,Ok Person,Logistics,Night Dispatch,,\n"
        + "not-an-address,Someone,,,,\n"
        + "boss@corp.test,Boss,,,chief,\n"
        + "lonely@corp.test,Lonely,,Orphan Team,,\n"
        + "managed@corp.test,Managed,,,,ghost@corp.test\n"
        + "ok.person@corp.test,Twice,,,,\n"
    )
    refused = post(browser, admin_token(db, admin), bad)
    assert refused.status_code == 422
    rows = [(e["row"], e["message"]) for e in refused.json()["errors"]]
    assert [r for r, _ in rows] == [3, 4, 5, 6, 7]  # the header is row 1
    assert "is not an e-mail address" in rows[0][1] and "is not employee, cx, leader or admin" in rows[1][1]
    assert "needs its department" in rows[2][1] and "not in the file or the portal" in rows[3][1]
    assert "also on row 2" in rows[4][1]
    assert people_service.get_by_email(db, email="ok.person@corp.test") is None  # all or nothing


def test_a_team_the_portal_keeps_in_another_department_is_refused(
    browser: Browser, db: Session, admin: Person
) -> None:
    home = people_service.get_or_create_department(db, name="Finance")
    people_service.get_or_create_team(db, name="Night Dispatch", department=home)
    db.commit()
    refused = post(browser, admin_token(db, admin), ORG)
    assert refused.status_code == 422
    assert "is in Finance, not Logistics" in refused.json()["errors"][0]["message"]


def test_a_dry_run_counts_and_changes_nothing(browser: Browser, db: Session, admin: Person) -> None:
    checked = post(browser, admin_token(db, admin), ORG, dry_run="true")
    assert checked.json() == {"created": 3, "updated": 0, "unchanged": 0, "dry_run": True, "errors": []}
    assert people_service.get_by_email(db, email="nora.lind@corp.test") is None
    assert db.exec(select(Team).where(Team.name == "Night Dispatch")).first() is None


def test_only_admins_import_people(browser: Browser, db: Session, cx: Person) -> None:
    token = auth_service.create_token(db, actor=cx, owner=cx).token
    assert post(browser, token, ORG).status_code == 403


def test_the_command_line_imports_people(scratch: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    portal = [sys.executable, "-m", "app.cli"]
    run = lambda *a: subprocess.run([*portal, *a], env=scratch, capture_output=True, text=True, timeout=120)  # noqa: E731
    assert run("db", "upgrade").returncode == 0
    made = run("users", "create", "--email", "ada@corp.test", "--name", "Ada", "--role", "admin")
    assert made.returncode == 0, made.stderr
    file = tmp_path / "people.csv"
    file.write_text(ORG)
    dry = run("people", "import", str(file), "--dry-run")
    assert dry.returncode == 0 and "Would create 3 people" in dry.stdout, dry.stderr
    done = run("people", "import", str(file))
    assert done.returncode == 0 and "Created 3 people, updated 0, 0 unchanged." in done.stdout, done.stderr
    engine = create_engine(scratch["PORTAL_DATABASE_URL"])
    with Session(engine) as session:
        assert len(session.exec(select(Person)).all()) == 4
    engine.dispose()
    file.write_text(HEADER + "x,Nobody,,,,\n")
    refused = run("people", "import", str(file))
    assert refused.returncode == 2 and "row 2:" in refused.stderr


def test_the_admin_page_imports_people_and_lists_the_rows_to_fix(
    browser: Browser, db: Session, admin: Person
) -> None:
    browser.sign_in_as(admin)
    assert "Import people" in browser.get("/admin/people").text
    form = browser.get("/admin/people/import")
    assert form.status_code == 200 and "email, name, department, team, role, manager_email" in form.text
    upload = {"file": ("people.csv", ORG.encode(), "text/csv")}
    dry = browser.post("/admin/people/import", {"dry_run": "on"}, files=upload)
    assert dry.status_code == 200 and "The import would create 3" in dry.text
    assert people_service.get_by_email(db, email="nora.lind@corp.test") is None
    done = browser.post("/admin/people/import", files=upload)
    assert done.status_code == 200 and "Imported: 3 created, 0 updated, 0 unchanged." in done.text
    bad = {"file": ("people.csv", (HEADER + "nobody,Nobody,,,,\n").encode(), "text/csv")}
    refused = browser.post("/admin/people/import", files=bad)
    assert (
        refused.status_code == 422
        and "Rows to fix" in refused.text
        and "is not an e-mail address" in refused.text
    )
