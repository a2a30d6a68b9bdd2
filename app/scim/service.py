"""SCIM provisioning (RFC 7644): the company's directory creates, changes and removes people and
teams. The rules, in the words the README uses:

- A User is a person. `userName` is their sign-in name, normally the e-mail address. The portal's
  e-mail address is the `emails` entry marked primary (else the work one, else the first), or the
  userName when no e-mail is sent; a User with neither is refused.
- The enterprise extension's `department` is created when the portal has none of that name (never
  matched on a guess); `manager` must name a User the directory has already sent.
- `active: false` deactivates the person: their sessions end and their API tokens are revoked at
  once. DELETE does the same and the directory no longer sees the person (404); their
  contributions stay, and anonymous ones stay anonymous. A later POST of the same e-mail brings
  them back.
- A Group is a team; a person is in one team, so adding them to a group moves them there. A group
  the directory creates sits in the department "New teams from the directory" until its first
  member with a department arrives (the team then moves to that member's department) or an admin
  moves it on /admin/teams. DELETE takes every member out and hides the team from the directory.
- Every change is audited with the provisioning token's name; every request runs in one
  transaction, so a refused request changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, PatchOp, SCIMException, ScimFilter
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
)
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.core import db
from app.core.credentials import new_token, token_digest
from app.core.models import aware, utcnow
from app.people import service as people_service
from app.people.models import Department, Person, Team
from app.people.schemas import PersonCreate
from app.scim.models import ScimToken
from app.scim.resources import (
    MAX_RESULTS,
    POLICY,
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    GroupMembership,
    Manager,
    Name,
    UserResource,
)

log = logging.getLogger("portal.scim")

HOLDING_DEPARTMENT = "New teams from the directory"
NO_EMAIL = "A person needs an e-mail address: send it in `emails`, or as a userName that is one."


class ScimError(Exception):
    """A request refused, said as RFC 7644 section 3.12 asks: status, scimType, detail."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def not_found(kind: str, resource_id: str) -> ScimError:
    return ScimError(404, f"There is no {kind} with id {resource_id!r}.")


# --- provisioning tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewScimToken:
    token: str  # printed once
    record: ScimToken


def create_token(session: Session, *, name: str) -> NewScimToken:
    name = name.strip() or "directory"
    if len(name) > 80:
        raise ValueError("Use at most 80 characters for the name.")
    token = "scim_" + new_token()
    record = ScimToken(name=name, token_hash=token_digest(token), prefix=token[:12])
    session.add(record)
    session.flush()
    audit_service.record(session, None, "scim_token.create", record, summary=name)
    db.commit(session)
    return NewScimToken(token=token, record=record)


def list_tokens(session: Session) -> list[ScimToken]:
    return list(session.exec(select(ScimToken).order_by(col(ScimToken.id))).all())


def revoke_token(session: Session, *, token_id: int) -> ScimToken:
    record = session.get(ScimToken, token_id)
    if record is None:
        raise LookupError(f"There is no provisioning token {token_id}.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        audit_service.record(session, None, "scim_token.revoke", record, summary=record.name)
        db.commit(session)
    return record


def token_holder(session: Session, *, token: str) -> ScimToken | None:
    """The provisioning token behind a bearer token, or None (unknown or revoked)."""
    if not token.startswith("scim_") or len(token) > 128:
        return None
    record = session.exec(select(ScimToken).where(ScimToken.token_hash == token_digest(token))).first()
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    if record.last_used_at is None or now - aware(record.last_used_at) > timedelta(minutes=5):
        record.last_used_at = now
        session.add(record)
        db.commit(session)
    return record


# --- reading people and teams as SCIM resources -------------------------------------------------


class Locations:
    """Where each resource lives, for `meta.location` and every `$ref`."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def user(self, person_id: int | None) -> str:
        return f"{self.base}/Users/{person_id}"

    def group(self, team_id: int | None) -> str:
        return f"{self.base}/Groups/{team_id}"


def _meta(kind: str, location: str, row: Person | Team) -> dict[str, Any]:
    created = aware(row.created_at)
    return {"resourceType": kind, "location": location, "created": created, "lastModified": created}


def user_resources(session: Session, people: list[Person], where: Locations) -> list[UserResource]:
    """People as SCIM Users, their teams read in one query for the whole page."""
    team_ids = {p.team_id for p in people if p.team_id}
    teams = (
        {t.id: t for t in session.exec(select(Team).where(col(Team.id).in_(team_ids))).all()}
        if team_ids
        else {}
    )
    return [_user_resource(p, teams.get(p.team_id) if p.team_id else None, where) for p in people]


def _user_resource(person: Person, team: Team | None, where: Locations) -> UserResource:
    said = person.directory or {}
    enterprise = EnterpriseUser(
        department=said.get("department"),
        manager=Manager(value=str(person.manager_id), ref=where.user(person.manager_id))
        if person.manager_id
        else None,
    )
    emails = (
        said.get("emails")
        if person.directory is not None
        else [{"value": person.email, "type": "work", "primary": True}]
    )
    resource = UserResource(
        id=str(person.id),
        external_id=person.external_id,
        meta=_meta("User", where.user(person.id), person),
        user_name=person.directory_user_name or person.email,
        name=Name.model_validate(said["name"]) if said.get("name") else None,
        display_name=person.name if person.directory is None or said.get("displayName") else None,
        emails=[Email.model_validate(e) for e in emails] if emails else None,
        # A directory that removed `active` reads it back absent; the person stays as they were.
        active=person.is_active if person.directory is None or said.get("active") is not None else None,
        groups=[GroupMembership(value=str(team.id), ref=where.group(team.id), display=team.name)]
        if team is not None and team.removed_from_directory_at is None
        else None,
    )
    if enterprise.department is not None or enterprise.manager is not None:
        resource[EnterpriseUser] = enterprise
    return resource


def group_resource(session: Session, team: Team, where: Locations) -> Group:
    member_ids = session.exec(
        select(Person.id).where(Person.team_id == team.id).order_by(col(Person.id))
    ).all()
    return Group(
        id=str(team.id),
        external_id=team.external_id,
        meta=_meta("Group", where.group(team.id), team),
        display_name=team.name,
        members=[GroupMember(value=str(i), ref=where.user(i), type="User") for i in member_ids] or None,
    )


def _person(session: Session, person_id: str) -> Person:
    person = session.get(Person, int(person_id)) if person_id.isdigit() and len(person_id) < 12 else None
    if person is None or person.removed_from_directory_at is not None:
        raise not_found("User", person_id)
    return person


def _team(session: Session, team_id: str) -> Team:
    team = session.get(Team, int(team_id)) if team_id.isdigit() and len(team_id) < 12 else None
    if team is None or team.removed_from_directory_at is not None:
        raise not_found("Group", team_id)
    return team


def get_user(session: Session, *, resource_id: str, where: Locations) -> UserResource:
    return user_resources(session, [_person(session, resource_id)], where)[0]


def get_group(session: Session, *, resource_id: str, where: Locations) -> Group:
    return group_resource(session, _team(session, resource_id), where)


# --- lists and filters ---------------------------------------------------------------------------


def _parse_filter(model: type, text: str) -> ScimFilter[Any]:
    try:
        return ScimFilter[model](text)  # type: ignore[valid-type]
    except (ValueError, SCIMException) as exc:
        raise ScimError(400, f"This filter cannot be read: {exc}", "invalidFilter") from None


def _equalities(node: FilterNode) -> list[tuple[str, Any]]:
    """The `attribute eq "value"` terms a filter requires (alone or joined by `and`): what the
    database can narrow by. The whole filter is still matched on what it returns."""
    if isinstance(node, Comparison) and node.op == CompareOperator.eq and node.attr_path.sub_attr is None:
        return [(node.attr_path.attr.lower(), node.value)]
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        return [term for child in node.terms for term in _equalities(child)]
    return []


_USER_COLUMNS = {"id": Person.id, "externalid": Person.external_id}
_GROUP_COLUMNS = {"id": Team.id, "externalid": Team.external_id, "displayname": Team.name}


def list_users(
    session: Session, *, filter_text: str | None, start: int, count: int, where: Locations
) -> tuple[int, list[UserResource]]:
    statement = select(Person).where(col(Person.removed_from_directory_at).is_(None))
    parsed = _parse_filter(UserResource, filter_text) if filter_text else None
    for attribute, value in _equalities(parsed.ast) if parsed else []:
        text = str(value)
        if attribute == "username":
            # userName is case-insensitive (RFC 7643); people the directory never sent answer
            # to their e-mail, so a directory can match the people the portal already has.
            statement = statement.where(
                or_(
                    func.lower(Person.directory_user_name) == text.lower(),
                    (col(Person.directory_user_name).is_(None)) & (Person.email == text.lower()),
                )
            )
        elif attribute == "id" and not text.isdigit():
            return 0, []
        elif attribute in _USER_COLUMNS:
            statement = statement.where(
                _USER_COLUMNS[attribute] == (int(text) if attribute == "id" else text)
            )
    return _page(
        session,
        statement.order_by(col(Person.id)),
        parsed,
        start,
        count,
        lambda rows: user_resources(session, rows, where),
    )


def list_groups(
    session: Session, *, filter_text: str | None, start: int, count: int, where: Locations
) -> tuple[int, list[Group]]:
    statement = select(Team).where(col(Team.removed_from_directory_at).is_(None))
    parsed = _parse_filter(Group, filter_text) if filter_text else None
    for attribute, value in _equalities(parsed.ast) if parsed else []:
        text = str(value)
        if attribute == "id" and not text.isdigit():
            return 0, []
        if attribute in _GROUP_COLUMNS:
            column = _GROUP_COLUMNS[attribute]
            if attribute == "displayname":
                statement = statement.where(func.lower(Team.name) == text.lower())
            else:
                statement = statement.where(column == (int(text) if attribute == "id" else text))
    return _page(
        session,
        statement.order_by(col(Team.id)),
        parsed,
        start,
        count,
        lambda rows: [group_resource(session, t, where) for t in rows],
    )


def _page(
    session: Session, statement: Any, parsed: ScimFilter[Any] | None, start: int, count: int, build: Any
) -> tuple[int, list[Any]]:
    """One page (startIndex is 1-based, RFC 7644 section 3.4.2.4) of what matches. When the
    database narrowed by every term, the count and page come from it; otherwise the remaining
    rows are matched one by one."""
    count = max(0, min(count, MAX_RESULTS))
    start = max(1, start)
    if parsed is None or _fully_narrowed(parsed.ast):
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = list(session.exec(statement.offset(start - 1).limit(count)).all()) if count else []
        return total, build(rows)
    matched: list[Any] = []
    for chunk in _chunks(session.exec(statement).all(), 500):
        matched.extend(r for r in build(chunk) if parsed.match(r))
    return len(matched), matched[start - 1 : start - 1 + count]


def _fully_narrowed(node: FilterNode) -> bool:
    if isinstance(node, Comparison):
        return (
            node.op == CompareOperator.eq
            and node.attr_path.sub_attr is None
            and node.attr_path.attr.lower() in {"id", "externalid", "username", "displayname"}
            and node.attr_path.uri is None
        )
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        return all(_fully_narrowed(term) for term in node.terms)
    return False


def _chunks(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- changing people -------------------------------------------------------------------------------


def parse_user(payload: dict[str, Any], *, replacing: bool = False) -> UserResource:
    context = Context.RESOURCE_REPLACEMENT_REQUEST if replacing else Context.RESOURCE_CREATION_REQUEST
    try:
        return UserResource.model_validate(_with_email(payload), scim_ctx=context, scim_policy=POLICY)
    except ValidationError as exc:
        raise ScimError(400, _first_error(exc), "invalidValue") from None


def parse_group(payload: dict[str, Any], *, replacing: bool = False) -> Group:
    context = Context.RESOURCE_REPLACEMENT_REQUEST if replacing else Context.RESOURCE_CREATION_REQUEST
    try:
        return Group.model_validate(payload, scim_ctx=context, scim_policy=POLICY)
    except ValidationError as exc:
        raise ScimError(400, _first_error(exc), "invalidValue") from None


def _with_email(payload: dict[str, Any]) -> dict[str, Any]:
    """A User sent without `emails` whose userName is an e-mail address has that address (the
    schema asks for `emails`; Entra leaves it out for people without a mailbox)."""
    if payload.get("emails"):
        return payload
    user_name = payload.get("userName")
    if isinstance(user_name, str) and "@" in user_name:
        return {**payload, "emails": [{"value": user_name, "primary": True}]}
    if user_name:
        raise ScimError(400, NO_EMAIL, "invalidValue")
    return payload


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))


def _email_of(resource: UserResource) -> str:
    emails = [e for e in resource.emails or [] if e.value]
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if (e.type or "").lower() == "work"), None)
        or (emails[0] if emails else None)
    )
    value = chosen.value if chosen else resource.user_name
    email = people_service.normalise_email(value or "")
    if not email or "@" not in email or " " in email or len(email) > 254:
        raise ScimError(400, NO_EMAIL, "invalidValue")
    return email


def _display_name(resource: UserResource, email: str, current: str | None) -> str:
    name = resource.name or Name()
    joined = " ".join(part for part in (name.given_name, name.family_name) if part)
    chosen = resource.display_name or name.formatted or joined or current or email.split("@", 1)[0]
    return chosen.strip()[:120] or email


def create_user(session: Session, *, token: ScimToken, resource: UserResource) -> int:
    """The new (or taken over, or brought back) person's id."""
    with _transaction(session):
        email = _email_of(resource)
        person = people_service.get_by_email(session, email=email)
        if person is not None and person.removed_from_directory_at is None and person.directory is not None:
            raise ScimError(409, f"A user with the e-mail {email} exists already.", "uniqueness")
        if person is None:
            try:
                data = PersonCreate(email=email, name=_display_name(resource, email, None))
            except ValidationError as exc:
                raise ScimError(400, _first_error(exc), "invalidValue") from None
            person = people_service.create(session, actor=None, data=data)
        # A person the portal had before the directory (imported, signed in) is taken over here.
        person.removed_from_directory_at = None
        _apply_user(session, token, person, resource, created=True)
    return person.id or 0


def replace_user(session: Session, *, token: ScimToken, resource_id: str, resource: UserResource) -> None:
    with _transaction(session):
        _apply_user(session, token, _person(session, resource_id), resource, created=False)


def patch_user(
    session: Session, *, token: ScimToken, resource_id: str, payload: dict[str, Any], where: Locations
) -> None:
    with _transaction(session):
        person = _person(session, resource_id)
        resource = user_resources(session, [person], where)[0]
        _patch(PatchOp[UserResource], _entra_manager(payload), resource)
        _apply_user(session, token, person, resource, created=False)


def delete_user(session: Session, *, token: ScimToken, resource_id: str) -> None:
    with _transaction(session):
        person = _person(session, resource_id)
        person.removed_from_directory_at = utcnow()
        _deactivate(session, token, person)
        person.is_active = False
        session.add(person)


def _apply_user(
    session: Session, token: ScimToken, person: Person, resource: UserResource, *, created: bool
) -> None:
    """Make the person what the directory says, in the request's transaction."""
    email = _email_of(resource)
    if email != person.email:
        other = people_service.get_by_email(session, email=email)
        if other is not None and other.id != person.id:
            raise ScimError(409, f"Another user has the e-mail {email}.", "uniqueness")
    user_name = (resource.user_name or "").strip()
    if not user_name or len(user_name) > 254:
        raise ScimError(400, "userName is required (at most 254 characters).", "invalidValue")
    taken = session.exec(
        select(Person.id).where(
            func.lower(Person.directory_user_name) == user_name.lower(),
            Person.id != person.id,
            col(Person.removed_from_directory_at).is_(None),
        )
    ).first()
    if taken is not None:
        raise ScimError(409, f"Another user has the userName {user_name}.", "uniqueness")
    if resource.external_id is not None and len(resource.external_id) > 255:
        raise ScimError(400, "externalId: at most 255 characters.", "invalidValue")
    enterprise = resource[EnterpriseUser] or EnterpriseUser()
    department = (enterprise.department or "").strip()
    if len(department) > 120:
        raise ScimError(400, "department: at most 120 characters.", "invalidValue")
    if department:
        people_service.get_or_create_department(session, name=department)
    person.manager_id = _manager_id(session, person, enterprise.manager)
    person.email = email
    person.directory_user_name = user_name
    person.external_id = resource.external_id
    person.name = _display_name(resource, email, person.name if not created else None)
    person.directory = {
        "name": resource.name.model_dump(scim_ctx=None, exclude_none=True) if resource.name else None,
        "displayName": resource.display_name,
        "emails": [e.model_dump(scim_ctx=None, exclude_none=True) for e in resource.emails or []] or None,
        "department": enterprise.department,
        "active": resource.active,
    }
    active = person.is_active if resource.active is None else resource.active
    if person.is_active and not active:
        _deactivate(session, token, person)
    elif active and not person.is_active:
        audit_service.record(
            session, None, "person.reactivate", person, summary=f"{person.name} ({_by(token)})"
        )
    person.is_active = active
    session.add(person)
    try:
        session.flush()
    except IntegrityError:
        raise ScimError(409, f"Another user has the e-mail {email}.", "uniqueness") from None
    if person.team_id and department:
        _place_team(session, token, person.team_id, department)
    action = "person.create" if created else "person.update"
    audit_service.record(session, None, f"scim.{action}", person, summary=f"{person.name} ({_by(token)})")


def _manager_id(session: Session, person: Person, manager: Manager | None) -> int | None:
    if manager is None or not manager.value:
        return None
    found = (
        session.get(Person, int(manager.value))
        if manager.value.isdigit() and len(manager.value) < 12
        else None
    )
    if found is None or found.removed_from_directory_at is not None:
        raise ScimError(
            400,
            f"manager: there is no user with id {manager.value!r}; send the manager first.",
            "invalidValue",
        )
    if found.id == person.id:
        raise ScimError(400, "manager: a person cannot be their own manager.", "invalidValue")
    return found.id


def _deactivate(session: Session, token: ScimToken, person: Person) -> None:
    """Sessions end and API tokens are revoked at once; contributions stay as they are."""
    auth_service.delete_sessions(session, person_id=person.id)
    auth_service.revoke_all_tokens(session, person_id=person.id)
    audit_service.record(session, None, "person.deactivate", person, summary=f"{person.name} ({_by(token)})")


def _entra_manager(payload: dict[str, Any]) -> dict[str, Any]:
    """Entra ID sets the manager with the id alone as the value ("value": "42"), where RFC 7643
    has a complex attribute: read it as {"value": "42"}. An empty value removes the manager."""
    for operation in payload.get("Operations") or []:
        if not isinstance(operation, dict):
            continue
        path = str(operation.get("path") or "")
        if path.lower().endswith("manager") and isinstance(operation.get("value"), str):
            value = operation["value"]
            if value:
                operation["value"] = {"value": value}
            else:
                operation["op"], operation["value"] = "remove", None
    return payload


def _patch(model: Any, payload: dict[str, Any], resource: Any) -> None:
    try:
        patch = model.model_validate(payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY)
        patch.patch(resource, scim_policy=POLICY)
    except ValidationError as exc:
        raise ScimError(400, _first_error(exc), "invalidValue") from None
    except SCIMException as exc:
        raise ScimError(400, str(exc), getattr(exc, "scim_type", None) or "invalidValue") from None


def _by(token: ScimToken) -> str:
    return f"SCIM: {token.name}"


@contextmanager
def _transaction(session: Session) -> Iterator[None]:
    """One request, one transaction: a refused request leaves nothing behind."""
    try:
        with db.one_transaction(session):
            yield
    except BaseException:
        session.rollback()
        raise


# --- changing teams --------------------------------------------------------------------------------


def create_group(session: Session, *, token: ScimToken, resource: Group) -> int:
    """The new (or brought back) team's id."""
    with _transaction(session):
        name = _group_name(resource)
        team = session.exec(select(Team).where(func.lower(Team.name) == name.lower())).first()
        if team is not None and team.removed_from_directory_at is None:
            raise ScimError(409, f"A group named {name!r} exists already.", "uniqueness")
        if team is None:
            holding = people_service.get_or_create_department(session, name=HOLDING_DEPARTMENT)
            assert holding.id is not None
            team = Team(name=name, department_id=holding.id)
            session.add(team)
            session.flush()
        team.removed_from_directory_at = None
        _apply_group(session, token, team, resource, created=True)
    return team.id or 0


def replace_group(session: Session, *, token: ScimToken, resource_id: str, resource: Group) -> None:
    with _transaction(session):
        _apply_group(session, token, _team(session, resource_id), resource, created=False)


def patch_group(
    session: Session, *, token: ScimToken, resource_id: str, payload: dict[str, Any], where: Locations
) -> None:
    with _transaction(session):
        team = _team(session, resource_id)
        resource = group_resource(session, team, where)
        _patch(PatchOp[Group], payload, resource)
        _apply_group(session, token, team, resource, created=False)


def delete_group(session: Session, *, token: ScimToken, resource_id: str) -> None:
    with _transaction(session):
        team = _team(session, resource_id)
        for person in session.exec(select(Person).where(Person.team_id == team.id)).all():
            person.team_id = None
            session.add(person)
        team.removed_from_directory_at = utcnow()
        session.add(team)
        audit_service.record(session, None, "scim.team.delete", team, summary=f"{team.name} ({_by(token)})")


def _group_name(resource: Group) -> str:
    name = (resource.display_name or "").strip()
    if not name or len(name) > 120:
        raise ScimError(400, "displayName is required (at most 120 characters).", "invalidValue")
    return name


def _apply_group(session: Session, token: ScimToken, team: Team, resource: Group, *, created: bool) -> None:
    name = _group_name(resource)
    if name != team.name:
        clash = session.exec(
            select(Team.id).where(func.lower(Team.name) == name.lower(), Team.id != team.id)
        ).first()
        if clash is not None:
            raise ScimError(409, f"Another team is named {name!r}.", "uniqueness")
        team.name = name
    if resource.external_id is not None and len(resource.external_id) > 255:
        raise ScimError(400, "externalId: at most 255 characters.", "invalidValue")
    team.external_id = resource.external_id
    session.add(team)
    wanted: set[int] = set()
    for member in resource.members or []:
        if (member.type or "User") != "User":
            raise ScimError(400, "members: a team holds people, not other groups.", "invalidValue")
        value = member.value or ""
        person = session.get(Person, int(value)) if value.isdigit() and len(value) < 12 else None
        if person is None or person.removed_from_directory_at is not None:
            raise ScimError(400, f"members: there is no user with id {value!r}.", "invalidValue")
        wanted.add(person.id or 0)
    current = session.exec(select(Person).where(Person.team_id == team.id)).all()
    for person in current:
        if person.id not in wanted:
            person.team_id = None
            session.add(person)
    joined = []
    for person_id in sorted(wanted):
        person = session.get(Person, person_id)
        if person is not None and person.team_id != team.id:
            person.team_id = team.id
            session.add(person)
            joined.append(person)
    session.flush()
    for person in joined:
        department = ((person.directory or {}).get("department") or "").strip()
        if department:
            _place_team(session, token, team.id or 0, department)
            break
    action = "scim.team.create" if created else "scim.team.update"
    audit_service.record(session, None, action, team, summary=f"{team.name} ({_by(token)})")


def _place_team(session: Session, token: ScimToken, team_id: int, department_name: str) -> None:
    """A team still in the holding department moves to the department its first member with one
    names. A team an admin placed is never moved by the directory."""
    team = session.get(Team, team_id)
    holding = session.exec(select(Department).where(Department.name == HOLDING_DEPARTMENT)).first()
    if team is None or holding is None or team.department_id != holding.id:
        return
    department = people_service.get_or_create_department(session, name=department_name)
    team.department_id = department.id or team.department_id
    session.add(team)
    audit_service.record(
        session, None, "scim.team.placed", team, summary=f"{team.name} → {department.name} ({_by(token)})"
    )
