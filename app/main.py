"""The application: middleware, routers, error pages, static files."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import (
    __version__,
    registry,  # noqa: F401  (every table, and every searchable record handed to search)
)
from app.audit import routes as audit_routes
from app.auth import routes as auth_routes
from app.comments import api as comment_api
from app.comments import routes as comment_routes
from app.core import logging as portal_logging
from app.core.admission import ReadAdmissionMiddleware
from app.core.config import get_settings
from app.core.errors import DomainError, NotAuthenticated, RateLimited, ValidationFailed
from app.core.htmx import get_htmx
from app.core.templating import render
from app.core.websecurity import BodyLimitMiddleware, SecurityHeadersMiddleware, TrustedProxyMiddleware
from app.dashboard import routes as dashboard_routes
from app.exports import routes as export_routes
from app.imports import api as import_api
from app.imports import routes as import_routes
from app.imports.worker import ImportRunner
from app.insights import api as insight_api
from app.insights import routes as insight_routes
from app.integrations import api as integration_api
from app.integrations import routes as integration_routes
from app.notifications import follow_routes
from app.notifications import routes as notification_routes
from app.people import api as people_api
from app.people import routes as people_routes
from app.proposals import api as proposal_api
from app.proposals import review_routes
from app.proposals import routes as proposal_routes
from app.pulse import api as pulse_api
from app.pulse import routes as pulse_routes
from app.scim import api as scim_api
from app.search import api as search_api
from app.search import routes as search_routes
from app.search.drainer import Drainer
from app.themes import api as theme_api
from app.themes import routes as theme_routes
from app.web import health, home, openapi
from app.web.deps import gate, is_api, readable_person, verify_csrf

log = logging.getLogger("portal.errors")
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def _settle_memory() -> None:
    """What the process made while starting (modules, templates, the ORM's mappings: about 150,000
    objects) lives as long as the process. gc.freeze() takes it out of the collector's view, so a
    full collection during a request scans only what requests made: profiled on /insights at
    100,000 insights, full collections over those startup objects cost 2-3 ms a page on average
    and 30-60 ms to the page that met one. A page makes a few thousand short-lived objects, so
    the young generation is collected after 5,000 allocations instead of 700."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 10)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    settings.resolved_secret_key()  # fail at start, not on the first request
    portal_logging.configure(settings.log_level)
    drainer = Drainer() if settings.index_drainer else None
    runner = ImportRunner() if settings.import_runner else None
    for thread in (drainer, runner):
        if thread is not None:
            thread.start()
    _settle_memory()
    yield
    for thread in (drainer, runner):
        if thread is not None:
            thread.stop()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Insight Loop API",
        version=__version__,
        description=(
            "The JSON API of Insight Loop. Authenticate with `Authorization: Bearer <personal API token>`."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # schema served below, behind sign-in
        lifespan=lifespan,
        dependencies=[Depends(verify_csrf), Depends(gate)],
    )
    app.add_middleware(ReadAdmissionMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(TrustedProxyMiddleware)  # outermost: it sees the socket's own peer
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # SCIM provisioning: an application of its own, with its own token, errors and media type.
    scim_app = scim_api.create_scim_app()
    scim_app.dependency_overrides = app.dependency_overrides  # one set of overrides (the tests')
    app.mount(scim_api.PREFIX, scim_app, name="scim")

    routers = [
        health.router,
        auth_routes.router,
        home.router,
        people_routes.router,
        integration_routes.router,
        audit_routes.router,
        insight_routes.router,
        search_routes.router,
        proposal_routes.router,
        review_routes.router,
        dashboard_routes.router,
        import_routes.router,
        export_routes.router,
        comment_routes.router,
        pulse_routes.router,
        theme_routes.router,
        notification_routes.router,
        follow_routes.router,
        people_api.router,
        integration_api.router,
        insight_api.router,
        import_api.router,
        export_routes.api_router,
        search_api.router,
        proposal_api.router,
        comment_api.router,
        pulse_api.router,
        theme_api.router,
    ]
    for router in routers:
        app.include_router(router)

    @app.get("/openapi.json", name="openapi:schema", include_in_schema=False)
    def openapi_schema() -> JSONResponse:
        if app.openapi_schema is None:
            app.openapi_schema = openapi.build(app)
        return JSONResponse(app.openapi_schema)

    # Every route the portal serves, for the navigation and the authorisation matrix test.
    # (FastAPI 0.165 keeps included routers nested, so app.routes no longer lists them flat.)
    app.state.route_list = [
        route for router in routers for route in router.routes if isinstance(route, APIRoute)
    ] + [route for route in app.router.routes if isinstance(route, APIRoute)]
    # Asked several times by every page's navigation: a set, not a walk over every route.
    app.state.route_names = frozenset(route.name for route in app.state.route_list)

    _install_error_handlers(app)
    return app


_last_logged: dict[str, float] = {}


def _log_once_a_minute(message: str, *, event: str, **extra: Any) -> None:
    now = time.monotonic()
    if now - _last_logged.get(event, -3600.0) >= 60:
        _last_logged[event] = now
        log.error(message, extra={"event": event, **extra})


def _json_error(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _error_page(
    request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    readable_person(request)
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": title,
            "message": message,
            "request_id": request.scope.get("state", {}).get("request_id", ""),
        },
        status_code=status,
        headers=headers,
    )


_TITLES = {
    400: "That request did not work",
    401: "Please sign in",
    403: "Not for your role",
    404: "Page not found",
    405: "Not allowed here",
    409: "Already there",
    413: "Too large",
    415: "Unsupported file type",
    422: "Please check your input",
    429: "Slow down a little",
    507: "No room left",
    503: "Temporarily unavailable",
    500: "Something went wrong",
}


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (a 405 must say them, RFC 9110): the GET and the
    POST of one path are often two routes, and Starlette's own Allow names only the first."""
    methods: set[str] = set()
    for route in request.app.state.route_list:
        if route.path_regex.match(request.url.path):
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if is_api(request):
            if isinstance(exc, ValidationFailed):
                detail: Any = [
                    {"loc": ["body", field], "msg": msg, "type": "value_error"}
                    for field, msg in exc.errors.items()
                ]
                return _json_error(422, detail)
            if isinstance(exc, NotAuthenticated):
                return _json_error(401, "Missing or invalid API token.", {"WWW-Authenticate": "Bearer"})
            return _json_error(exc.status_code, exc.message, headers)
        if isinstance(exc, NotAuthenticated):
            target = "/login?next=" + quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            if get_htmx(request).request:
                return Response(status_code=200, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        return _error_page(
            request, exc.status_code, _TITLES.get(exc.status_code, "Error"), exc.message, headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        if is_api(request):
            detail = exc.detail if exc.status_code != 404 else "Not found."
            return _json_error(exc.status_code, detail, headers)
        message = {
            404: "There is nothing at this address. It may have moved, or the link may be mistyped.",
            405: "This address does not accept that kind of request.",
        }.get(exc.status_code, str(exc.detail))
        return _error_page(request, exc.status_code, _TITLES.get(exc.status_code, "Error"), message, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if is_api(request):
            return _json_error(422, errors)
        message = "Some of what was sent is not valid: " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'input'}: {e['msg']}" for e in errors
        )
        return _error_page(request, 422, _TITLES[422], message)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A value the database cannot store: ids and texts are checked at the edge (bounded ids,
        # no control characters); this is the safety net for anything that slips past.
        message = "A value in the request cannot be stored: a number out of range or a character not allowed."
        if is_api(request):
            return _json_error(422, message)
        return _error_page(request, 422, _TITLES[422], message)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        # Disk full, database locked for too long, PostgreSQL restarting: say so and let the client
        # retry; nothing was committed. Logged at most once a minute, so a full disk is no log storm.
        _log_once_a_minute(
            "database unavailable",
            event="db.unavailable",
            reason=str(getattr(exc, "orig", exc)).splitlines()[0][:200],
        )
        headers = {"Retry-After": "30"}
        message = "The database is not available right now. Nothing was saved; please try again shortly."
        if is_api(request):
            return _json_error(503, message, headers)
        return _error_page(request, 503, "Temporarily unavailable", message, headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        request_id = request.scope.get("state", {}).get("request_id", "")
        log.error(
            "unhandled error",
            exc_info=exc,
            extra={"event": "error.500", "path": request.url.path, "request_id": request_id},
        )
        if is_api(request):
            return _json_error(500, f"Internal error. Quote request id {request_id} when reporting it.")
        return HTMLResponse(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
            "<link rel=stylesheet href=/static/css/app.css><main class=container>"
            "<h1>Something went wrong</h1><p>We could not finish this request. Please try again. "
            f"If it keeps happening, tell your portal admin the request id <code>{request_id}</code>.</p>"
            "<p><a href=/>Go to the home page</a></p>"
            "</main></html>",
            status_code=500,
        )


app = create_app()
