"""Request dependencies: the database session, who is asking, and the gates every request passes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.auth import service as auth_service
from app.auth.models import TokenScope
from app.core import access
from app.core.access import AUDITED_READS
from app.core.config import get_settings
from app.core.db import SAFE_METHODS, get_engine, get_read_engine, new_read_session
from app.core.errors import NotAuthenticated, PermissionDenied
from app.core.websecurity import (
    UNSAFE_METHODS,
    client_ip,
    csrf_token_valid,
    same_origin,
    session_token,
    via_trusted_proxy,
)
from app.people.models import Person

log = logging.getLogger("portal.access")


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. The services commit; whatever a failed request left uncommitted is
    rolled back when the session closes, which happens as soon as an error leaves the route. (Closing
    rolls back without expiring the loaded objects, so the error page can still show who is signed
    in; `rollback()` would expire them.) GET requests read on the deferred engine, except the audited
    ones."""
    route_name = getattr(request.scope.get("route"), "name", "")
    reads_only = request.method in SAFE_METHODS and route_name not in AUDITED_READS
    engine = get_read_engine() if reads_only else get_engine()
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        close_quietly(session)


def close_quietly(session: Session) -> None:
    """Close a request's session; when the database went away meanwhile (a PostgreSQL restart
    ends every connection), the rollback that closing does fails: the connection is then thrown
    away instead. This runs after the answer has started, where an error would cut the
    connection without a response (F15 saw a dropped request in about 4 runs of 10)."""
    try:
        session.close()
    except DBAPIError:
        log.warning("session closed on a lost connection", extra={"event": "db.lost_on_close"})
        session.invalidate()


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session() -> Iterator[Session]:
    """A second session, for a request that writes a little and reads a lot (an audited export,
    an import's check pass): the long read goes here, where on SQLite it never holds the write
    lock. Closed after the response is sent, so a streamed download can read from it to the end."""
    session = new_read_session()
    try:
        yield session
    finally:
        close_quietly(session)


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _identify(request: Request, session: Session) -> Person | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        holder = auth_service.holder_of_token(session, token=token.strip())
        if holder is None:
            return None
        request.state.token_scope = holder.scope
        return holder.person
    if is_api(request):
        # The API takes personal tokens only; a session cookie alone never works there (security.md D3).
        return None
    settings = get_settings()
    if settings.auth_mode == "header":
        email = request.headers.get(settings.auth_header.lower())
        if email and via_trusted_proxy(request):

            def header(name: str) -> str:
                return request.headers.get(name.lower(), "")[:120] if name else ""

            return auth_service.person_from_proxy_header(
                session,
                email=email,
                name=request.headers.get(settings.auth_name_header.lower()),
                department=header(settings.auth_department_header),
                team=header(settings.auth_team_header),
            )
    return auth_service.person_for_session(session, token=session_token(request))


async def verify_csrf(request: Request) -> None:
    """Cookie-authenticated writes need the CSRF token (form field or X-CSRF-Token) and our origin."""
    if request.method not in UNSAFE_METHODS or is_api(request):
        return
    supplied = request.headers.get("x-csrf-token", "")
    if not supplied:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            supplied = value if isinstance(value, str) else ""
    if not same_origin(request) or not csrf_token_valid(request, supplied):
        log.warning("csrf refused", extra={"event": "csrf.refused", "path": request.url.path})
        raise PermissionDenied(
            "This form has expired or came from another site. Reload the page and try again."
        )


def readable_person(request: Request) -> None:
    """Make the signed-in person readable for an error page. A service that refuses rolls its
    transaction back (`owns_transaction`), which expires every loaded object, and by the time the
    error page renders, the request's session is closed: reading the person's name in the header
    would then fail (a 500 instead of the refusal's own 403/409/429). Load them again, on a short
    session of their own, only when that happened."""
    person: Person | None = getattr(request.state, "person", None)
    if person is None:
        return
    state = sa_inspect(person)
    if not state.expired_attributes or state.identity is None:
        return
    with Session(get_read_engine(), expire_on_commit=False) as session:
        request.state.person = session.get(Person, state.identity[0])


def gate(request: Request, session: SessionDep) -> None:
    """Finds who is asking and checks the route against the access table (deny by default)."""
    person = _identify(request, session)
    request.state.person = person
    route = request.scope.get("route")
    rule = access.rule_for(getattr(route, "name", None))
    if access.allows(rule, person.role if person else None):
        _check_token_scope(request, rule)
        return
    if person is None and rule is not None:
        raise NotAuthenticated()
    log.warning(
        "access denied",
        extra={
            "event": "authz.denied",
            "path": request.url.path,
            "actor_id": person.id if person else None,
            "ip": client_ip(request),
        },
    )
    raise PermissionDenied()


def _check_token_scope(request: Request, rule: access.Rule | None) -> None:
    """A token does what its scope allows, within what its person may do."""
    scope = getattr(request.state, "token_scope", None)
    if scope is None or scope == TokenScope.admin:
        return
    if scope == TokenScope.read and request.method not in SAFE_METHODS:
        raise PermissionDenied(
            "This token may only read. Create a token with the write scope to change things."
        )
    if rule == access.ADMINS:
        raise PermissionDenied("Administration needs a token with the admin scope.")


async def current_person(request: Request) -> Person:
    # async on purpose: no database here, so no trip through the threadpool.
    person: Person | None = getattr(request.state, "person", None)
    if person is None:
        raise NotAuthenticated()
    return person


async def form_data(request: Request) -> FormData:
    """The submitted form, read once (async), for sync routes with many or repeated fields."""
    return await request.form()


CurrentPerson = Annotated[Person, Depends(current_person)]
FormDep = Annotated[FormData, Depends(form_data)]
