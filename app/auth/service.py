"""Signing in and out, server-side sessions, login throttling and personal API tokens."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.models import ApiToken, LoginFailure, TokenScope, UserSession
from app.core import db
from app.core.access import owns_or_admin
from app.core.config import get_settings
from app.core.credentials import (
    check_password_policy,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from app.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from app.core.models import aware, utcnow
from app.people import permissions as people_permissions
from app.people import service as people_service
from app.people.models import Person, Role

log = logging.getLogger("portal.auth")

GENERIC_LOGIN_ERROR = "That e-mail and password do not match an active account."
SSO_ONLY = (
    "This portal signs people in through your company's single sign-on, not with a password. "
    "Open it through the company address."
)


def passwords_in_use() -> bool:
    """Passwords sign people in only in local mode: with SSO at the proxy, a password form beside
    it would be a way round the company's sign-in (its MFA, its leaver process). The one exception
    is the break-glass admin (PORTAL_BREAK_GLASS_EMAIL), for when the company's sign-in is down."""
    return get_settings().auth_mode == "local"


def break_glass_account() -> str:
    """The one admin who may sign in with a password in an SSO mode; "" when none is named."""
    settings = get_settings()
    return people_service.normalise_email(settings.break_glass_email) if settings.auth_mode != "local" else ""


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie; never stored
    person: Person


def _check_throttle(session: Session, *, ip: str, account: str) -> None:
    settings = get_settings()
    now = utcnow()
    limits = [
        (LoginFailure.ip == ip, timedelta(minutes=1), settings.login_max_per_ip_per_minute),
        (LoginFailure.ip == ip, timedelta(hours=1), settings.login_max_per_ip_per_hour),
        (
            LoginFailure.account == account,
            timedelta(minutes=settings.login_account_window_minutes),
            settings.login_max_per_account,
        ),
    ]
    for condition, window, limit in limits:
        since = now - window
        count, oldest = session.exec(
            select(func.count(), func.min(LoginFailure.created_at)).where(
                condition, col(LoginFailure.created_at) > since
            )
        ).one()
        if count >= limit:
            retry = int((aware(oldest) + window - now).total_seconds()) + 1 if oldest else 60
            log.warning("login throttled", extra={"event": "login.throttled", "ip": ip})
            raise RateLimited(max(retry, 1))


def sign_in(session: Session, *, email: str, password: str, ip: str) -> NewSession:
    """Check the password and open a session. Every failure gives the same message."""
    account = people_service.normalise_email(email)[:254]
    break_glass = break_glass_account()
    if not passwords_in_use() and not (break_glass and account == break_glass):
        raise PermissionDenied(SSO_ONLY)
    _check_throttle(session, ip=ip, account=account)
    person = people_service.get_by_email(session, email=account)
    ok = verify_password(password, person.password_hash if person else None)
    if break_glass and person is not None and person.role != Role.admin:
        ok = False  # break glass is for an admin only
    if person is None or not ok or not person.is_active:
        session.add(LoginFailure(ip=ip[:64], account=account))
        db.commit(session)
        log.info("login failed", extra={"event": "login.failed", "ip": ip})
        raise ValidationFailed({"email": GENERIC_LOGIN_ERROR}, GENERIC_LOGIN_ERROR)
    result = open_session(session, person=person)
    log.info("login ok", extra={"event": "login.ok", "ip": ip, "actor_id": person.id})
    return result


def open_session(session: Session, *, person: Person) -> NewSession:
    """A fresh random session token for every sign-in (ASVS 7.2.4)."""
    token = new_token()
    assert person.id is not None
    session.add(UserSession(token_hash=token_digest(token), person_id=person.id))
    _prune_expired(session)
    db.commit(session)
    return NewSession(token=token, person=person)


def _prune_expired(session: Session) -> None:
    settings = get_settings()
    cutoff = utcnow() - timedelta(hours=settings.session_absolute_hours)
    for row in session.exec(select(UserSession).where(col(UserSession.created_at) < cutoff).limit(100)).all():
        session.delete(row)
    old_failures = utcnow() - timedelta(days=1)
    for failure in session.exec(
        select(LoginFailure).where(col(LoginFailure.created_at) < old_failures).limit(500)
    ).all():
        session.delete(failure)


def person_for_session(session: Session, *, token: str) -> Person | None:
    """The active person behind a session cookie, or None when expired, ended or deactivated."""
    if not token or len(token) > 128:
        return None
    # One statement for the session and its person: every page of a signed-in person runs it.
    found = session.exec(
        select(UserSession, Person)
        .join(Person, col(Person.id) == UserSession.person_id)
        .where(UserSession.token_hash == token_digest(token))
    ).first()
    if found is None:
        return None
    row, person = found
    settings = get_settings()
    now = utcnow()
    expired = now - aware(row.last_seen_at) > timedelta(minutes=settings.session_idle_minutes) or now - aware(
        row.created_at
    ) > timedelta(hours=settings.session_absolute_hours)
    if expired or not person.is_active:
        session.delete(row)
        _commit_quietly(session)
        return None
    if now - aware(row.last_seen_at) > timedelta(minutes=1):
        row.last_seen_at = now
        session.add(row)
        _commit_quietly(session)
    return person


def _commit_quietly(session: Session) -> None:
    """Commit the bookkeeping a read does (a session touched or removed, a token's last use):
    losing it to a busy database is harmless, so it never fails the request."""
    try:
        db.commit(session)
    except OperationalError:
        session.rollback()


def sign_out(session: Session, *, token: str) -> None:
    row = session.exec(select(UserSession).where(UserSession.token_hash == token_digest(token))).first()
    if row is not None:
        session.delete(row)
        db.commit(session)


def set_password(session: Session, *, actor: Person, person_id: int, password: str) -> None:
    """An admin sets someone's password (or the person their own); all their sessions end."""
    person = people_service.get(session, person_id=person_id)
    if actor.id != person.id:
        people_permissions.check(actor, "people.manage")
    check_password_policy(password, email=person.email)
    person.password_hash = hash_password(password)
    session.add(person)
    delete_sessions(session, person_id=person.id)
    audit_service.record(session, actor, "person.password_set", person, summary=person.name)
    db.commit(session)


def change_own_password(
    session: Session, *, person: Person, current_password: str, new_password: str
) -> None:
    """A person changes their own password, proving the current one; all their sessions end."""
    if not passwords_in_use():
        raise PermissionDenied(SSO_ONLY)
    if not verify_password(current_password, person.password_hash):
        raise ValidationFailed({"current_password": "That is not your current password."})
    assert person.id is not None
    try:
        set_password(session, actor=person, person_id=person.id, password=new_password)
    except ValidationFailed as exc:
        raise ValidationFailed({"new_password": exc.errors.get("password", exc.message)}) from None


def delete_sessions(session: Session, *, person_id: int | None) -> int:
    """Ends every session of a person, in the caller's transaction (no commit)."""
    rows = session.exec(select(UserSession).where(UserSession.person_id == person_id)).all()
    for row in rows:
        session.delete(row)
    return len(rows)


def end_all_sessions(session: Session, *, actor: Person, person_id: int) -> int:
    person = people_service.get(session, person_id=person_id)
    if not owns_or_admin(actor, person.id):
        raise PermissionDenied()
    ended = delete_sessions(session, person_id=person.id)
    audit_service.record(session, actor, "person.sessions_end", person, summary=person.name)
    db.commit(session)
    return ended


def person_from_proxy_header(
    session: Session, *, email: str, name: str | None, department: str = "", team: str = ""
) -> Person | None:
    """Header sign-in (SSO in front): known people by e-mail; unknown ones become employees. With the
    optional department and team headers, a person who has no team yet is placed in the one named
    (created when missing); later moves are an admin's."""
    email = people_service.normalise_email(email)
    if not email or "@" not in email or len(email) > 254:
        return None
    person = people_service.get_by_email(session, email=email)
    if person is None or (person.team_id is None and team.strip()):
        display = (name or email.split("@", 1)[0]).strip()[:120] or email
        person = people_service.from_directory(
            session,
            email=email,
            name=person.name if person else display,
            department=department,
            team=team,
            role=person.role if person else Role.employee,
            source="header",
        )
    return person if person.is_active else None


# --- API tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once
    record: ApiToken


MAX_TOKEN_DAYS = 365


def create_token(
    session: Session,
    *,
    actor: Person,
    owner: Person,
    name: str = "",
    scope: TokenScope = TokenScope.admin,
    days: int | None = None,
) -> NewToken:
    """A new token for `owner`. It lasts `days` (PORTAL_API_TOKEN_DAYS unless chosen, at most a
    year) and may do what `scope` allows within what its person may do."""
    if not owns_or_admin(actor, owner.id):
        raise PermissionDenied()
    name = name.strip() or "API token"
    errors: dict[str, str] = {}
    if len(name) > 80:
        errors["name"] = "Use at most 80 characters."
    lifetime = get_settings().api_token_days if days is None else days
    if not 1 <= lifetime <= MAX_TOKEN_DAYS:
        errors["days"] = f"Choose between 1 and {MAX_TOKEN_DAYS} days."
    ValidationFailed.unless_empty(errors)
    assert owner.id is not None
    # Counted under the owner's row lock, so parallel requests cannot pass the cap together.
    session.exec(select(Person.id).where(Person.id == owner.id).with_for_update(key_share=True))
    cap = get_settings().api_tokens_per_person
    if len(active_tokens(session, owner_id=owner.id)) >= cap:
        full = f"You hold {cap} active tokens, the most one person may."
        raise ValidationFailed({"name": f"{full} Revoke one you no longer use first."})
    token = new_token()
    record = ApiToken(
        person_id=owner.id,
        name=name,
        token_hash=token_digest(token),
        prefix=token[:8],
        scope=TokenScope(scope),
        expires_at=utcnow() + timedelta(days=lifetime),
    )
    session.add(record)
    session.flush()
    audit_service.record(
        session,
        actor,
        "token.create",
        record,
        summary=f"{name} for {owner.email} ({record.scope}, {lifetime} days)",
    )
    db.commit(session)
    return NewToken(token=token, record=record)


def is_usable(record: ApiToken, now: datetime | None = None) -> bool:
    """Not revoked and not expired."""
    now = now or utcnow()
    return record.revoked_at is None and (record.expires_at is None or aware(record.expires_at) > now)


def active_tokens(session: Session, *, owner_id: int) -> list[ApiToken]:
    rows = session.exec(select(ApiToken).where(ApiToken.person_id == owner_id)).all()
    return [r for r in rows if is_usable(r)]


def revoke_all_tokens(session: Session, *, person_id: int | None) -> int:
    """Revokes every token of a person, in the caller's transaction (no commit): a deactivated
    person's tokens stay revoked when they are reactivated."""
    rows = session.exec(
        select(ApiToken).where(ApiToken.person_id == person_id, col(ApiToken.revoked_at).is_(None))
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def list_tokens(session: Session, *, owner: Person) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.person_id == owner.id).order_by(col(ApiToken.id).desc())
        ).all()
    )


def revoke_token(session: Session, *, actor: Person, token_id: int) -> ApiToken:
    record = session.get(ApiToken, token_id)
    # Another person's token answers 404, not 403, so token ids cannot be probed.
    if record is None or not owns_or_admin(actor, record.person_id):
        raise NotFound("There is no such token.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        audit_service.record(session, actor, "token.revoke", record, summary=record.name)
        db.commit(session)
    return record


def person_for_token(session: Session, *, token: str) -> Person | None:
    holder = holder_of_token(session, token=token)
    return holder.person if holder else None


@dataclass(frozen=True)
class TokenHolder:
    person: Person
    scope: TokenScope


def holder_of_token(session: Session, *, token: str) -> TokenHolder | None:
    """Who a bearer token speaks for, and with which scope; None when it is unknown, revoked,
    expired, or its person is no longer active."""
    if not token or len(token) > 128:
        return None
    record = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    now = utcnow()
    if record is None or not is_usable(record, now):
        return None
    person = session.get(Person, record.person_id)
    if person is None or not person.is_active:
        return None
    if record.last_used_at is None or now - aware(record.last_used_at) > timedelta(minutes=5):
        record.last_used_at = now
        session.add(record)
        _commit_quietly(session)
    return TokenHolder(person=person, scope=TokenScope(record.scope))
