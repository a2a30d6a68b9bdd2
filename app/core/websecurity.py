"""Web security plumbing: client address, cookies, CSRF tokens, security headers, body limit."""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import uuid
from functools import lru_cache
from hashlib import sha256
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings

SESSION_COOKIE_SECURE = "__Host-il_session"
SESSION_COOKIE_PLAIN = "il_session"
CSRF_SEED_COOKIE = "il_csrf"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@lru_cache(maxsize=4)
def content_security_policy(auth_mode: str, issuer: str) -> str:
    """CSP, with the company's OpenID Connect provider as the one other place a form may lead:
    signing out sends the browser on to the provider's own sign-out (browsers hold a form's
    redirects to form-action)."""
    if auth_mode != "oidc" or not issuer:
        return CSP
    parts = urlsplit(issuer)
    return CSP + f" {parts.scheme}://{parts.netloc}"


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_trusted_proxy(peer: str) -> bool:
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(peer_ip in net for net in get_settings().trusted_proxy_networks)


class TrustedProxyMiddleware:
    """Decides once, from the socket's own peer address, whether a request came through one of
    PORTAL_TRUSTED_PROXIES; only then are X-Forwarded-For, X-Forwarded-Proto and the SSO identity
    header believed. We do this ourselves instead of uvicorn's proxy_headers: that rewrites the
    peer to the X-Forwarded-For address before the app sees it, so a request through the proxy
    (which always adds X-Forwarded-For) looked untrusted, and header SSO signed nobody in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client") or ("", 0)
            trusted = _is_trusted_proxy(client[0])
            scope.setdefault("state", {})["via_trusted_proxy"] = trusted
            if trusted:
                proto = dict(scope.get("headers", [])).get(b"x-forwarded-proto", b"").split(b",")[0].strip()
                if proto in (b"http", b"https"):
                    scope["scheme"] = proto.decode()
        await self.app(scope, receive, send)


def via_trusted_proxy(request: Request) -> bool:
    decided = request.scope.get("state", {}).get("via_trusted_proxy")
    if decided is None:  # a request that did not pass the middleware (a unit test, a sub-app)
        return _is_trusted_proxy(request.client.host if request.client else "")
    return bool(decided)


def client_ip(request: Request) -> str:
    """The peer address; X-Forwarded-For is believed only from a trusted proxy (ASVS 4.1.3)."""
    peer = request.client.host if request.client else "0.0.0.0"
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer[:64]
    if via_trusted_proxy(request):
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return str(peer_ip)


def cookie_is_secure(request: Request) -> bool:
    mode = get_settings().cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def session_cookie_name(request: Request) -> str:
    return SESSION_COOKIE_SECURE if cookie_is_secure(request) else SESSION_COOKIE_PLAIN


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE_SECURE) or request.cookies.get(SESSION_COOKIE_PLAIN) or ""


def _csrf_seed(request: Request) -> str:
    """What the CSRF token is bound to: the session, or before sign-in a random browser cookie."""
    seed = session_token(request) or request.cookies.get(CSRF_SEED_COOKIE, "")
    if not seed:
        seed = getattr(request.state, "new_csrf_seed", "") or secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"csrf|" + _csrf_seed(request).encode(), sha256).hexdigest()


def csrf_token_valid(request: Request, supplied: str) -> bool:
    seed = session_token(request) or request.cookies.get(CSRF_SEED_COOKIE, "")
    if not seed or not supplied:
        return False
    key = get_settings().resolved_secret_key().encode()
    expected = hmac.new(key, b"csrf|" + seed.encode(), sha256).hexdigest()
    return hmac.compare_digest(expected, supplied)


def same_origin(request: Request) -> bool:
    """Browsers say where a request comes from; refuse anything that is not this site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    host = request.headers.get("host", "")
    return origin in (f"{request.url.scheme}://{host}", f"http://{host}", f"https://{host}")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, a request id, and the CSRF seed cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}

                def add(name: str, value: str) -> None:
                    if name.encode() not in names:
                        headers.append((name.encode(), value.encode()))

                add("x-content-type-options", "nosniff")
                add("referrer-policy", "same-origin")
                add("x-frame-options", "DENY")
                settings = get_settings()
                add(
                    "content-security-policy",
                    content_security_policy(settings.auth_mode, settings.oidc_issuer),
                )
                add("cross-origin-opener-policy", "same-origin")
                add("permissions-policy", "camera=(), microphone=(), geolocation=()")
                add("x-request-id", request_id)
                add("cache-control", "public, max-age=3600" if is_static else "no-store")
                seed = scope.get("state", {}).get("new_csrf_seed")
                if seed:
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    headers.append(
                        (
                            b"set-cookie",
                            f"{CSRF_SEED_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Lax{secure}".encode(),
                        )
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Feedback imports take larger files (PORTAL_MAX_IMPORT_MB) than attachments (PORTAL_MAX_UPLOAD_MB).
IMPORT_PATHS = ("/imports/", "/api/v1/imports/")


def is_import_path(path: str) -> bool:
    return path == "/imports" or path.startswith(IMPORT_PATHS)


# The largest JSON body any API call needs (a journey map of many stages, a persona with its
# quotes) is a few hundred KB; 2 MB leaves room and keeps a 20 MB JSON out of the parser.
JSON_BODY_LIMIT = 2 * 1024 * 1024


class BodyLimitMiddleware:
    """Refuses request bodies over the limit while they arrive (413), whether or not they say their
    length up front; neither uvicorn nor Starlette limits the total body (security.md finding 4)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        headers = dict(scope.get("headers", []))
        if headers.get(b"content-type", b"").split(b";")[0].strip().endswith(b"json"):
            limit = JSON_BODY_LIMIT  # no file rides in JSON: the upload limit is far too generous
        else:
            is_import = is_import_path(scope["path"])
            upload = settings.max_import_bytes if is_import else settings.max_upload_bytes
            limit = upload + 256 * 1024  # room for the other form fields
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(scope, send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(scope["path"])
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _send_413(scope, send)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body arrives. An HTTPException, so FastAPI's body parsing passes it on as
    413 instead of turning it into "400 error parsing the body" (a chunked upload has no length)."""

    def __init__(self, path: str) -> None:
        super().__init__(413, too_large_message(path))


def too_large_message(path: str = "") -> str:
    settings = get_settings()
    limit = settings.max_import_mb if is_import_path(path) else settings.max_upload_mb
    return f"The upload is too large: at most {limit} MB is accepted."


async def _send_413(scope: Scope, send: Send) -> None:
    message = too_large_message(scope["path"])
    body: bytes
    if scope["path"].startswith("/api/"):
        body, ctype = json.dumps({"detail": message}).encode(), b"application/json"
    else:
        body = f"<!doctype html><title>Upload too large</title><p>{message}</p>".encode()
        ctype = b"text/html; charset=utf-8"
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", ctype),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def safe_next(value: str | None) -> str:
    """Only a path on this site; never //host, \\host or a scheme (security.md C5)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\n" in value:
        return "/"
    return value
