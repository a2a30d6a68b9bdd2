"""Admin pages for people, teams and departments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.auth import service as auth_service
from app.core.errors import ValidationFailed, field_errors
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PageNumber, PathId, parse_id
from app.flows import accounts
from app.people import service as people_service
from app.people.models import PersonCreate, PersonUpdate, Role
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/admin")


def _team_id(value: str) -> int | None:
    return parse_id(value)


@router.get("/people", name="admin:people", response_class=HTMLResponse)
def people(request: Request, session: SessionDep, q: str = "", page: PageNumber = 1) -> Response:
    total, rows = people_service.list_people(session, query=q[:100], page=page)
    return render(
        request,
        "admin/people.html",
        {"rows": rows, "total": total, "page": page, "pages": max((total + 19) // 20, 1), "q": q[:100]},
        block="results",
    )


def _person_form(
    request: Request,
    session: SessionDep,
    *,
    values: Mapping[str, object],
    errors: dict[str, str],
    person_id: int | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/person_form.html",
        {
            "values": values,
            "errors": errors,
            "person_id": person_id,
            "roles": list(Role),
            "teams": people_service.list_teams(session),
        },
        status_code=status_code,
    )


@router.get("/people/new", name="admin:person_new_form", response_class=HTMLResponse)
def person_new_form(request: Request, session: SessionDep) -> Response:
    return _person_form(request, session, values={"role": "employee"}, errors={})


@router.post("/people/new", name="admin:person_create", response_class=HTMLResponse)
def person_create(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    email: Annotated[str, Form(max_length=300)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=20)] = "employee",
    team_id: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    values = {"email": email, "name": name, "role": role, "team_id": _team_id(team_id)}
    try:
        data = PersonCreate(
            email=email, name=name, role=role, team_id=_team_id(team_id), password=password or None
        )
        person = people_service.create(session, actor=me, data=data)
    except (ValidationError, ValidationFailed) as exc:
        return _person_form(request, session, values=values, errors=field_errors(exc), status_code=422)
    return see_other(f"/admin/people/{person.id}", flash=f"{person.name} was added and can now sign in.")


@router.get("/people/{person_id}", name="admin:person_edit_form", response_class=HTMLResponse)
def person_edit_form(request: Request, session: SessionDep, person_id: PathId) -> Response:
    person = people_service.get(session, person_id=person_id)
    return _person_form(request, session, values=person.model_dump(), errors={}, person_id=person_id)


@router.post("/people/{person_id}", name="admin:person_update", response_class=HTMLResponse)
def person_update(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    person_id: PathId,
    name: Annotated[str, Form(max_length=300)] = "",
    handle: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=20)] = "employee",
    team_id: Annotated[str, Form(max_length=20)] = "",
    is_active: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    person = people_service.get(session, person_id=person_id)
    values = {
        **person.model_dump(),
        "name": name,
        "handle": handle,
        "role": role,
        "team_id": _team_id(team_id),
        "is_active": bool(is_active),
    }
    try:
        data = PersonUpdate(
            name=name, handle=handle, role=role, team_id=_team_id(team_id), is_active=bool(is_active)
        )
        accounts.update_person(session, actor=me, person_id=person_id, data=data)
    except (ValidationError, ValidationFailed) as exc:
        return _person_form(
            request, session, values=values, errors=field_errors(exc), person_id=person_id, status_code=422
        )
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
        return _person_form(
            request,
            session,
            values=person.model_dump(),
            person_id=person_id,
            errors={"password": exc.errors.get("password", exc.message)},
            status_code=422,
        )
    return see_other(f"/admin/people/{person_id}", flash=f"New password set; {person.name}'s sessions ended.")


@router.get("/teams", name="admin:teams", response_class=HTMLResponse)
def teams(request: Request, session: SessionDep) -> Response:
    return _teams_page(request, session, errors={})


def _teams_page(
    request: Request, session: SessionDep, *, errors: dict[str, str], status_code: int = 200
) -> Response:
    departments = people_service.list_departments(session)
    teams = people_service.list_teams(session)
    return render(
        request,
        "admin/teams.html",
        {
            "departments": departments,
            "teams": teams,
            "sizes": people_service.team_sizes(session),
            "errors": errors,
        },
        status_code=status_code,
    )


@router.post("/departments", name="admin:department_create", response_class=HTMLResponse)
def department_create(
    request: Request, session: SessionDep, me: CurrentPerson, name: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    try:
        department = people_service.create_department(session, actor=me, name=name)
    except ValidationFailed as exc:
        return _teams_page(
            request, session, errors={"department_" + k: v for k, v in exc.errors.items()}, status_code=422
        )
    return see_other("/admin/teams", flash=f"Department “{department.name}” created.")


@router.post("/teams", name="admin:team_create", response_class=HTMLResponse)
def team_create(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    name: Annotated[str, Form(max_length=300)] = "",
    department_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        team = people_service.create_team(
            session, actor=me, name=name, department_id=_team_id(department_id) or 0
        )
    except ValidationFailed as exc:
        return _teams_page(
            request, session, errors={"team_" + k: v for k, v in exc.errors.items()}, status_code=422
        )
    return see_other("/admin/teams", flash=f"Team “{team.name}” created.")


@router.post("/teams/{team_id}", name="admin:team_update", response_class=HTMLResponse)
def team_update(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    team_id: PathId,
    name: Annotated[str, Form(max_length=300)] = "",
    department_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        team = people_service.rename_team(
            session, actor=me, team_id=team_id, name=name, department_id=_team_id(department_id) or 0
        )
    except ValidationFailed as exc:
        return _teams_page(
            request,
            session,
            errors={f"team{team_id}_" + k: v for k, v in exc.errors.items()},
            status_code=422,
        )
    return see_other("/admin/teams", flash=f"Team “{team.name}” saved.")
