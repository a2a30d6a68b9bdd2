"""Company sign-in with OpenID Connect (PORTAL_AUTH_MODE=oidc): the authorization code flow with PKCE.

- `begin` makes the provider's authorization address with a fresh `state`, `nonce` and PKCE
  verifier, and a short-lived cookie that carries them, signed with the portal's secret key: only
  the browser that started a sign-in can finish it.
- `finish` checks the callback's `state` against that cookie, trades the code (once: the provider
  refuses a code used twice) for tokens with the verifier, and checks the ID token: its signature
  against the provider's published keys, issuer, audience, expiry and nonce (joserfc, the JOSE
  library of Authlib's author; PKCE from Authlib). Then the person is created or kept in step with
  the claims (department, team, role through the group map) in one transaction.

Any failure raises `SignInFailed` (the callback was not good: nobody is signed in) or
`ProviderUnavailable` (the provider did not answer as it should); the pages say so in words.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session

from app.core.config import get_settings
from app.core.errors import DomainError
from app.people import service as people_service
from app.people.models import Person, Role

TIMEOUT = 5.0  # seconds for each call to the provider
FLOW_SECONDS = 600  # a sign-in started more than 10 minutes ago cannot be finished
COOKIE = "il_oidc"
LEEWAY = 60  # seconds of clock difference allowed on the ID token's times


class ProviderUnavailable(DomainError, status=503):
    """The provider is down, unreachable or misconfigured."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "The company sign-in is not available right now: "
            f"{detail}. Try again in a few minutes; if it lasts, tell your portal administrator."
        )


class SignInFailed(DomainError, status=400):
    """The callback does not finish a sign-in this browser started."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"The sign-in did not complete: {detail}. Nobody was signed in. Start again.")


@dataclass(frozen=True)
class Provider:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


_discovered: dict[str, tuple[float, Provider]] = {}


def provider() -> Provider:
    """The provider's endpoints from its discovery document (kept for an hour)."""
    issuer = get_settings().oidc_issuer.rstrip("/")
    cached = _discovered.get(issuer)
    if cached and time.monotonic() - cached[0] < 3600:
        return cached[1]
    document = _get_json(f"{issuer}/.well-known/openid-configuration", "its discovery document")
    try:
        found = Provider(
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            end_session_endpoint=document.get("end_session_endpoint"),
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"its discovery document has no {exc.args[0]}") from None
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable("its discovery document names another issuer")
    _discovered[issuer] = (time.monotonic(), found)
    return found


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError):
        raise ProviderUnavailable(f"the provider did not send {what}") from None
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"the provider did not send {what}")
    return body


# --- starting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Begun:
    url: str  # where to send the browser
    cookie: str  # the signed state of this sign-in, for the callback


def begin(next_path: str) -> Begun:
    settings = get_settings()
    endpoints = provider()
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": settings.oidc_redirect_uri,
            "scope": settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "next": next_path, "at": int(time.time())}
    separator = "&" if "?" in endpoints.authorization_endpoint else "?"
    return Begun(url=f"{endpoints.authorization_endpoint}{separator}{query}", cookie=_sign(flow))


def _sign(flow: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(flow, separators=(",", ":")).encode()).decode()
    return f"{body}.{_mac(body)}"


def _mac(body: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"oidc|" + body.encode(), hashlib.sha256).hexdigest()


def _unsign(cookie: str) -> dict[str, Any]:
    body, _, mac = cookie.rpartition(".")
    if not body or not hmac.compare_digest(_mac(body), mac):
        raise SignInFailed("this browser did not start it (open the portal and sign in again)")
    try:
        flow = json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        raise SignInFailed("this browser did not start it (open the portal and sign in again)") from None
    if not isinstance(flow, dict) or time.time() - int(flow.get("at", 0)) > FLOW_SECONDS:
        raise SignInFailed("it took longer than 10 minutes")
    return flow


# --- finishing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    person: Person
    next_path: str


def finish(session: Session, *, cookie: str, state: str, code: str, error: str = "") -> Finished:
    if error:
        raise SignInFailed(f"the provider answered “{error[:80]}”")
    flow = _unsign(cookie)
    if not state or not hmac.compare_digest(str(flow["state"]), state):
        raise SignInFailed("the answer does not belong to this sign-in")
    if not code:
        raise SignInFailed("the provider sent no code")
    tokens = _trade(code, str(flow["verifier"]))
    claims = _checked_claims(str(tokens.get("id_token", "")), nonce=str(flow["nonce"]))
    person = _person_for(session, claims)
    return Finished(person=person, next_path=str(flow.get("next") or "/"))


def _trade(code: str, verifier: str) -> dict[str, Any]:
    settings = get_settings()
    try:
        response = httpx.post(
            provider().token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": settings.oidc_redirect_uri,
                "code_verifier": verifier,
            },
            auth=(settings.oidc_client_id, settings.oidc_client_secret),
            timeout=TIMEOUT,
        )
    except httpx.HTTPError:
        raise ProviderUnavailable("the provider did not answer when asked for the sign-in's tokens") from None
    if response.status_code in (400, 401):  # a code used before, expired, or not ours
        raise SignInFailed("the provider refused the sign-in's code (it may have been used already)")
    if response.status_code != 200:
        raise ProviderUnavailable(f"the provider answered {response.status_code} when asked for tokens")
    try:
        tokens = response.json()
    except ValueError:
        raise ProviderUnavailable("the provider's tokens could not be read") from None
    if not isinstance(tokens, dict) or not tokens.get("id_token"):
        raise SignInFailed("the provider sent no ID token")
    return tokens


def _checked_claims(id_token: str, *, nonce: str) -> dict[str, Any]:
    settings = get_settings()
    keys = KeySet.import_key_set(_get_json(provider().jwks_uri, "its signing keys"))  # type: ignore[arg-type]
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "PS256"])
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": settings.oidc_issuer.rstrip("/")},
            aud={"essential": True, "value": settings.oidc_client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SignInFailed(
            f"the provider's ID token did not pass its checks ({type(exc).__name__})"
        ) from None
    return dict(token.claims)


def _claim_text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name) if name else None
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if isinstance(value, str | int) else ""


def role_for(claims: dict[str, Any]) -> Role:
    """The highest role among the person's mapped groups; an employee when none is mapped."""
    settings = get_settings()
    groups = claims.get(settings.oidc_role_claim, [])
    groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    mapped = {Role(role) for group, role in settings.oidc_role_pairs().items() if group in groups}
    return max(mapped, key=people_service.ROLE_ORDER.index, default=Role.employee)


def _person_for(session: Session, claims: dict[str, Any]) -> Person:
    settings = get_settings()
    email = _claim_text(claims, "email")
    if "@" not in email:
        raise SignInFailed("the provider did not say the person's e-mail address (ask for the email scope)")
    person = people_service.from_directory(
        session,
        email=email,
        name=_claim_text(claims, "name") or email.split("@", 1)[0],
        department=_claim_text(claims, settings.oidc_department_claim),
        team=_claim_text(claims, settings.oidc_team_claim),
        role=role_for(claims),
        source="oidc",
    )
    if not person.is_active:
        raise SignInFailed("this account is deactivated in the portal")
    return person


def sign_out_url(after: str) -> str | None:
    """The provider's sign-out address, when it offers one (RP-initiated logout), coming back to
    `after`."""
    try:
        endpoint = provider().end_session_endpoint
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = {"client_id": get_settings().oidc_client_id, "post_logout_redirect_uri": after}
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(query)}"
