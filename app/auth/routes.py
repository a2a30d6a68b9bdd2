"""Sign in, sign out, and a person's own page (profile, API tokens, password, sessions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import oidc
from app.auth import service as auth_service
from app.auth.models import TokenScope
from app.core.config import get_settings
from app.core.errors import PermissionDenied, RateLimited, ValidationFailed
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PathId
from app.core.websecurity import (
    SESSION_COOKIE_PLAIN,
    SESSION_COOKIE_SECURE,
    client_ip,
    cookie_is_secure,
    safe_next,
    session_cookie_name,
    session_token,
)
from app.flows import pages
from app.notifications import digest as digest_service
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/login", name="auth:login_form", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", local: str = "", signed_out: str = "") -> Response:
    if getattr(request.state, "person", None) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    if get_settings().auth_mode == "oidc" and not local:
        return _company_sign_in(request, safe_next(next), signed_out=bool(signed_out))
    context = {"next": safe_next(next), "errors": {}, "email": "", "sso_only": auth_service.SSO_ONLY}
    if auth_service.passwords_in_use() or (local and auth_service.break_glass_account()):
        context["sso_only"] = ""
    return render(request, "auth/login.html", context)


@router.post("/login", name="auth:login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        result = auth_service.sign_in(session, email=email, password=password, ip=client_ip(request))
    except PermissionDenied as exc:
        context = {"next": safe_next(next), "errors": {}, "email": "", "sso_only": exc.message}
        return render(request, "auth/login.html", context, status_code=403)
    except ValidationFailed as exc:
        return render(
            request,
            "auth/login.html",
            {"next": safe_next(next), "errors": exc.errors, "email": email},
            status_code=422,
        )
    except RateLimited as exc:
        return render(
            request,
            "auth/login.html",
            {
                "next": safe_next(next),
                "email": email,
                "errors": {"email": f"Too many failed attempts. Try again in {exc.retry_after} seconds."},
            },
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return _signed_in(request, see_other(safe_next(next)), result.token)


def _signed_in(request: Request, response: Response, token: str) -> Response:
    """The response, carrying the new session's cookie."""
    response.set_cookie(
        session_cookie_name(request),
        token,
        max_age=get_settings().session_absolute_hours * 3600,
        path="/",
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="lax",
    )
    return response


def _company_sign_in(request: Request, next_path: str, *, signed_out: bool) -> Response:
    """PORTAL_AUTH_MODE=oidc: off to the company's provider, or a page that says why not. After a
    sign-out, a page with the way back in (sending the browser straight back would sign it in again)."""
    if signed_out:
        return render(request, "auth/company_sign_in.html", {"signed_out": True, "problem": ""})
    try:
        begun = oidc.begin(next_path)
    except oidc.ProviderUnavailable as exc:
        context = {"signed_out": False, "problem": exc.message}
        return render(request, "auth/company_sign_in.html", context, status_code=exc.status_code)
    response = RedirectResponse(begun.url, status_code=303)
    # Lax: the provider sends the browser back with a top-level GET, which carries it.
    response.set_cookie(
        oidc.COOKIE,
        begun.cookie,
        max_age=oidc.FLOW_SECONDS,
        path="/auth/oidc",
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/auth/oidc/callback", name="auth:oidc_callback", response_class=HTMLResponse)
def oidc_callback(
    request: Request, session: SessionDep, code: str = "", state: str = "", error: str = ""
) -> Response:
    """The provider sends the browser back here with a code; a sign-in this browser started ends."""
    flow = request.cookies.get(oidc.COOKIE, "")
    try:
        finished = oidc.finish(session, cookie=flow, state=state[:200], code=code[:2000], error=error[:200])
    except (oidc.SignInFailed, oidc.ProviderUnavailable, ValidationFailed) as exc:
        if isinstance(exc, ValidationFailed):  # the directory's team clashes with the portal's
            message = "The sign-in did not complete: " + "; ".join(exc.errors.values())
        else:
            message = exc.message
        context = {"signed_out": False, "problem": message}
        response = render(request, "auth/company_sign_in.html", context, status_code=exc.status_code)
        response.delete_cookie(oidc.COOKIE, path="/auth/oidc")
        return response
    new = auth_service.open_session(session, person=finished.person)
    response = _signed_in(request, see_other(safe_next(finished.next_path)), new.token)
    response.delete_cookie(oidc.COOKIE, path="/auth/oidc")  # a sign-in is finished once
    return response


@router.post("/logout", name="auth:logout")
def logout(request: Request, session: SessionDep) -> Response:
    auth_service.sign_out(session, token=session_token(request))
    response: Response = see_other("/login", flash="You are signed out.")
    if get_settings().auth_mode == "oidc":
        after = get_settings().base_url.rstrip("/") + "/login?signed_out=1"
        response = RedirectResponse(oidc.sign_out_url(after) or "/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE_SECURE, path="/", secure=True, httponly=True, samesite="lax")
    response.delete_cookie(SESSION_COOKIE_PLAIN, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", name="me:profile", response_class=HTMLResponse)
def profile(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return _profile(request, session, me)


def _profile(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    *,
    new_token: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    block: str | None = None,
) -> Response:
    context = {**pages.profile(session, me), "new_token": new_token, "errors": errors or {}}
    return render(request, "auth/me.html", context, block=block, status_code=status_code)


@router.post("/me/tokens", name="me:create_token", response_class=HTMLResponse)
def create_token(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    name: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[TokenScope, Form()] = TokenScope.write,
    days: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        created = auth_service.create_token(session, actor=me, owner=me, name=name, scope=scope, days=days)
    except ValidationFailed as exc:
        return _profile(request, session, me, errors=exc.errors, status_code=422, block="tokens")
    # Shown once, right here; never again.
    return _profile(request, session, me, new_token=created.token, block="tokens")


@router.post("/me/tokens/{token_id}/revoke", name="me:revoke_token")
def revoke_token(session: SessionDep, me: CurrentPerson, token_id: PathId) -> Response:
    record = auth_service.revoke_token(session, actor=me, token_id=token_id)
    return see_other("/me#tokens", flash=f"Token “{record.name}” revoked.")


@router.post("/me/password", name="me:change_password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    current_password: Annotated[str, Form(max_length=4096)] = "",
    new_password: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    try:
        auth_service.change_own_password(
            session, person=me, current_password=current_password, new_password=new_password
        )
    except ValidationFailed as exc:
        return _profile(request, session, me, errors=exc.errors, status_code=422)
    # Changing the password ended every session, this one included: sign in again.
    return see_other("/login", flash="Password changed. Please sign in with your new password.")


@router.post("/me/digest", name="me:digest")
def set_digest(
    session: SessionDep, me: CurrentPerson, digest: Annotated[str, Form(max_length=10)] = "off"
) -> Response:
    digest_service.set_preference(session, person=me, digest=digest)
    words = {
        "off": "No e-mail.",
        "instant": "You get each notification by e-mail within a minute.",
        "daily": "You get a daily e-mail digest.",
        "weekly": "You get a weekly e-mail digest.",
    }
    return see_other("/me", flash=words[digest])


@router.post("/me/sessions/end", name="me:end_sessions")
def end_sessions(session: SessionDep, me: CurrentPerson) -> Response:
    assert me.id is not None
    auth_service.end_all_sessions(session, actor=me, person_id=me.id)
    return see_other("/login", flash="You are signed out everywhere.")
