"""Admin pages for people, teams and departments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.auth import service as auth_service
from app.core.errors import ValidationFailed, field_errors
from app.core.forms import FormState, checked
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PageNumber, PathId, page_count
from app.flows import accounts
from app.imports.people import COLUMNS, PeopleImportRejected, import_people
from app.imports.uploads import kept_upload
from app.people import service as people_service
from app.people.models import Department, Person, Role, Team
from app.people.schemas import LeadForm, PersonCreate, PersonForm, PersonUpdate, TeamForm
from app.web.deps import CurrentPerson, FormDep, SessionDep

router = APIRouter(prefix="/admin")


def _team_filter(team: str) -> int | None:
    """The people list's team filter: "" for everyone, "none" for people not in a team yet."""
    if team == "none":
        return people_service.NO_TEAM
    return int(team) if team.isdigit() and len(team) < 10 else None


@router.get("/people", name="admin:people", response_class=HTMLResponse)
def people(
    request: Request, session: SessionDep, q: str = "", team: str = "", page: PageNumber = 1
) -> Response:
    return _people_page(request, session, q=q, team=team, page=page)


def _people_page(
    request: Request,
    session: SessionDep,
    *,
    q: str = "",
    team: str = "",
    page: int = 1,
    move_error: str = "",
    status_code: int = 200,
) -> Response:
    team_id = _team_filter(team)
    total, rows = people_service.list_people(session, query=q[:100], team_id=team_id, page=page)
    team = "none" if team_id == people_service.NO_TEAM else str(team_id or "")
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": page_count(total, people_service.PER_PAGE),
        "q": q[:100],
        "team": team,
        "teams": people_service.list_teams(session),
        "move_error": move_error,
    }
    return render(request, "admin/people.html", context, block="results", status_code=status_code)


@router.post("/people/move", name="admin:people_move", response_class=HTMLResponse)
def people_move(request: Request, session: SessionDep, me: CurrentPerson, form: FormDep) -> Response:
    """Move the ticked people into the chosen team (the people list's "Move to team"). A refusal
    shows the same list again with the reason, and nobody moves."""
    ids = [int(v) for v in form.getlist("person_ids") if isinstance(v, str) and v.isdigit() and len(v) < 10]
    raw_team = form.get("team_id")
    team_id = int(raw_team) if isinstance(raw_team, str) and raw_team.isdigit() and len(raw_team) < 10 else 0
    q, team = str(form.get("q") or "")[:100], str(form.get("team") or "")[:12]
    try:
        moved_to, moved = people_service.move_people(session, actor=me, person_ids=ids, team_id=team_id)
    except ValidationFailed as exc:
        error = " ".join(exc.errors.values()) or exc.message
        return _people_page(request, session, q=q, team=team, move_error=error, status_code=422)
    said = f"Moved {moved} {'person' if moved == 1 else 'people'} to {moved_to.name}."
    back = "/admin/people?" + urlencode({"q": q, "team": team})
    return see_other(back, flash=said if moved else f"They were all in {moved_to.name} already.")


def _person_form(
    request: Request, session: SessionDep, form: FormState, person_id: int | None = None
) -> Response:
    context = {
        "values": form.values,
        "errors": form.errors,
        "person_id": person_id,
        "roles": list(Role),
        "teams": people_service.list_teams(session),
    }
    return render(request, "admin/person_form.html", context, status_code=form.status_code)


def _as_stored(person: Person) -> dict[str, object]:
    """A person's form values as stored (never the password hash: it has no place on a page)."""
    return person.model_dump(exclude={"password_hash"})


@router.get("/people/new", name="admin:person_new_form", response_class=HTMLResponse)
def person_new_form(request: Request, session: SessionDep) -> Response:
    return _person_form(request, session, FormState({"role": "employee"}))


PersonFormDep = Annotated[PersonForm, Form()]


@router.post("/people/new", name="admin:person_create", response_class=HTMLResponse)
def person_create(request: Request, session: SessionDep, me: CurrentPerson, form: PersonFormDep) -> Response:
    values = form.shown()
    try:
        data = PersonCreate.model_validate(form.data_for(PersonCreate))
        person = people_service.create(session, actor=me, data=data)
    except (ValidationError, ValidationFailed) as exc:
        return _person_form(request, session, FormState(values, field_errors(exc)))
    return see_other(f"/admin/people/{person.id}", flash=f"{person.name} was added and can now sign in.")


@router.get("/people/import", name="admin:people_import_form", response_class=HTMLResponse)
def people_import_form(request: Request) -> Response:
    return render(request, "admin/people_import.html", {"outcome": None, "problem": "", "columns": COLUMNS})


@router.post("/people/import", name="admin:people_import", response_class=HTMLResponse)
def people_import(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """The org chart from a file, on the page: the counts, or the rows to fix (nothing changed)."""
    context: dict[str, object] = {"outcome": None, "problem": "", "columns": COLUMNS}
    status = 200
    try:
        with kept_upload(file.file, suffix="people") as path:
            context["outcome"] = import_people(session, actor=me, path=path, dry_run=checked(dry_run))
    except PeopleImportRejected as exc:
        context.update(outcome=exc.outcome, problem=exc.message)
        status = 422
    except ValidationFailed as exc:
        context["problem"] = "; ".join(exc.errors.values())
        status = 422
    return render(request, "admin/people_import.html", context, status_code=status)


@router.get("/people/{person_id}", name="admin:person_edit_form", response_class=HTMLResponse)
def person_edit_form(request: Request, session: SessionDep, person_id: PathId) -> Response:
    person = people_service.get(session, person_id=person_id)
    return _person_form(request, session, FormState(_as_stored(person)), person_id)


@router.post("/people/{person_id}", name="admin:person_update", response_class=HTMLResponse)
def person_update(
    request: Request, session: SessionDep, me: CurrentPerson, person_id: PathId, form: PersonFormDep
) -> Response:
    person = people_service.get(session, person_id=person_id)
    values = {**_as_stored(person), **form.shown(), "email": person.email}
    try:
        data = PersonUpdate.model_validate(form.data_for(PersonUpdate))
        accounts.update_person(session, actor=me, person_id=person_id, data=data)
    except (ValidationError, ValidationFailed) as exc:
        return _person_form(request, session, FormState(values, field_errors(exc)), person_id)
    return see_other(f"/admin/people/{person_id}", flash="Changes saved.")


@router.post("/people/{person_id}/password", name="admin:person_password", response_class=HTMLResponse)
def person_password(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    person_id: PathId,
    password: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    person = people_service.get(session, person_id=person_id)
    try:
        auth_service.set_password(session, actor=me, person_id=person_id, password=password)
    except ValidationFailed as exc:
        errors = {"password": exc.errors.get("password", exc.message)}
        return _person_form(request, session, FormState(_as_stored(person), errors), person_id)
    return see_other(f"/admin/people/{person_id}", flash=f"New password set; {person.name}'s sessions ended.")


@router.get("/teams", name="admin:teams", response_class=HTMLResponse)
def teams(request: Request, session: SessionDep) -> Response:
    return _teams_page(request, session, errors={})


def _teams_page(
    request: Request, session: SessionDep, *, errors: dict[str, str], status_code: int = 200
) -> Response:
    context = {
        "departments": people_service.list_departments(session),
        "teams": people_service.list_teams(session),
        "sizes": people_service.team_sizes(session),
        "leads": people_service.leads(session),
        "errors": errors,
    }
    return render(request, "admin/teams.html", context, status_code=status_code)


def _saved_on_teams_page(
    request: Request,
    session: SessionDep,
    save: Callable[[], Department | Team],
    *,
    field_prefix: str,
    done: str,
) -> Response:
    """Create or rename a department or team. A refusal shows the teams page again with the errors
    beside the form it came from (`field_prefix`); success says `done` about the name."""
    try:
        saved = save()
    except ValidationFailed as exc:
        errors = {field_prefix + field: message for field, message in exc.errors.items()}
        return _teams_page(request, session, errors=errors, status_code=422)
    return see_other("/admin/teams", flash=done.format(name=saved.name))


TeamFormDep = Annotated[TeamForm, Form()]
LeadFormDep = Annotated[LeadForm, Form()]


@router.post("/departments", name="admin:department_create", response_class=HTMLResponse)
def department_create(
    request: Request, session: SessionDep, me: CurrentPerson, name: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    return _saved_on_teams_page(
        request,
        session,
        lambda: people_service.create_department(session, actor=me, name=name),
        field_prefix="department_",
        done="Department “{name}” created.",
    )


@router.post("/teams", name="admin:team_create", response_class=HTMLResponse)
def team_create(request: Request, session: SessionDep, me: CurrentPerson, form: TeamFormDep) -> Response:
    return _saved_on_teams_page(
        request,
        session,
        lambda: people_service.create_team(session, actor=me, name=form.name, department_id=form.department),
        field_prefix="team_",
        done="Team “{name}” created.",
    )


@router.post("/teams/{team_id}", name="admin:team_update", response_class=HTMLResponse)
def team_update(
    request: Request, session: SessionDep, me: CurrentPerson, team_id: PathId, form: TeamFormDep
) -> Response:
    return _saved_on_teams_page(
        request,
        session,
        lambda: people_service.rename_team(
            session, actor=me, team_id=team_id, name=form.name, department_id=form.department
        ),
        field_prefix=f"team{team_id}_",
        done="Team “{name}” saved.",
    )


@router.post("/teams/{team_id}/lead", name="admin:team_lead", response_class=HTMLResponse)
def team_lead(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    team_id: PathId,
    form: Annotated[LeadForm, Form()],
) -> Response:
    return _saved_on_teams_page(
        request,
        session,
        lambda: people_service.set_team_lead(
            session, actor=me, team_id=team_id, lead_email=form.lead_email or None
        ),
        field_prefix=f"team{team_id}_",
        done="The lead of “{name}” is saved.",
    )
