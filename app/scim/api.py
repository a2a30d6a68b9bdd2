"""/scim/v2: the SCIM 2.0 service provider (RFC 7644), an application of its own mounted in the
portal. Its requests carry a provisioning token, never a cookie, so the portal's CSRF check and
access table do not apply; every answer, errors included, is SCIM JSON (application/scim+json).
Routes touch the database, so they are plain `def` (the house rule)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from scim2_models import Context, Error, ListResponse, ResourceType, ResponseParameters, Schema, SearchRequest
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.config import get_settings
from app.core.errors import DomainError
from app.scim import resources
from app.scim import service as scim_service
from app.scim.models import ScimToken
from app.scim.service import Locations, ScimError
from app.web.deps import get_session

log = logging.getLogger("portal.scim")

MEDIA_TYPE = "application/scim+json"
PREFIX = "/scim/v2"

SessionDep = Annotated[Session, Depends(get_session)]


def scim_json(payload: dict[str, Any], status: int = 200, location: str | None = None) -> JSONResponse:
    headers = {"Location": location} if location else None
    return JSONResponse(payload, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def error_response(status: int, detail: str, scim_type: str | None = None) -> JSONResponse:
    error = Error(status=status, detail=detail, scim_type=scim_type)
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if status == 401 else None
    return JSONResponse(error.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def locations(request: Request) -> Locations:
    return Locations(get_settings().base_url.rstrip("/") + PREFIX)


WhereDep = Annotated[Locations, Depends(locations)]


def provisioner(request: Request, session: SessionDep) -> ScimToken:
    """The provisioning token the request carries; anything else is 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    holder = scim_service.token_holder(session, token=token.strip()) if scheme.lower() == "bearer" else None
    if holder is None:
        raise ScimError(401, "A provisioning token from `portal scim-token create` is needed.")
    return holder


TokenDep = Annotated[ScimToken, Depends(provisioner)]


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (application/scim+json or application/json)."""
    try:
        payload = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return payload


BodyDep = Annotated[dict[str, Any], Depends(json_body)]


def _parameters(attributes: str | None, excluded: str | None) -> ResponseParameters[Any] | None:
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters(
            attributes=[a.strip() for a in attributes.split(",") if a.strip()] if attributes else None,
            excluded_attributes=[a.strip() for a in excluded.split(",") if a.strip()] if excluded else None,
        )
    except (ValidationError, ValueError) as exc:
        raise ScimError(400, f"attributes: {exc}", "invalidValue") from None


def _dump(resource: Any, parameters: ResponseParameters[Any] | None = None) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters)


def _list(
    model: Any, total: int, items: list[Any], start: int, parameters: ResponseParameters[Any] | None
) -> JSONResponse:
    page = ListResponse[model](
        total_results=total, start_index=max(1, start), items_per_page=len(items), resources=items
    )
    return scim_json(page.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=parameters))


Attributes = Annotated[str | None, Query(alias="attributes", max_length=2000)]
Excluded = Annotated[str | None, Query(alias="excludedAttributes", max_length=2000)]
FilterText = Annotated[str | None, Query(alias="filter", max_length=2000)]
StartIndex = Annotated[int, Query(alias="startIndex", ge=-(2**31), le=2**31)]
Count = Annotated[int, Query(alias="count", ge=-(2**31), le=2**31)]


def _search_request(body: dict[str, Any]) -> SearchRequest:
    try:
        return SearchRequest.model_validate(body, scim_ctx=Context.SEARCH_REQUEST)
    except ValidationError as exc:
        raise ScimError(400, scim_service._first_error(exc), "invalidValue") from None


@dataclass(frozen=True)
class Endpoint:
    """One resource type's endpoint (/Users, /Groups) and the service functions behind it."""

    path: str
    model: Any
    parse: Callable[..., Any]
    find: Callable[..., tuple[int, list[Any]]]
    get: Callable[..., Any]
    create: Callable[..., int]
    replace: Callable[..., None]
    patch: Callable[..., None]
    delete: Callable[..., None]


ENDPOINTS = (
    Endpoint(
        "/Users",
        resources.UserResource,
        scim_service.parse_user,
        scim_service.list_users,
        scim_service.get_user,
        scim_service.create_user,
        scim_service.replace_user,
        scim_service.patch_user,
        scim_service.delete_user,
    ),
    Endpoint(
        "/Groups",
        resources.Group,
        scim_service.parse_group,
        scim_service.list_groups,
        scim_service.get_group,
        scim_service.create_group,
        scim_service.replace_group,
        scim_service.patch_group,
        scim_service.delete_group,
    ),
)


def _add_resource_routes(app: FastAPI, e: Endpoint) -> None:
    """The seven routes of a resource type (RFC 7644 section 3): list, search, create, read,
    replace, patch, delete."""

    def answer(session: Session, resource_id: str, where: Locations, status: int = 200) -> JSONResponse:
        found = e.get(session, resource_id=resource_id, where=where)
        return scim_json(
            _dump(found), status, f"{where.base}{e.path}/{resource_id}" if status == 201 else None
        )

    @app.get(e.path)
    def find(
        session: SessionDep,
        token: TokenDep,
        where: WhereDep,
        filter_text: FilterText = None,
        start: StartIndex = 1,
        count: Count = resources.MAX_RESULTS,
        attributes: Attributes = None,
        excluded: Excluded = None,
    ) -> JSONResponse:
        parameters = _parameters(attributes, excluded)
        total, found = e.find(session, filter_text=filter_text, start=start, count=count, where=where)
        return _list(e.model, total, found, start, parameters)

    @app.post(f"{e.path}/.search")
    def search(session: SessionDep, token: TokenDep, where: WhereDep, body: BodyDep) -> JSONResponse:
        asked = _search_request(body)
        start = asked.start_index or 1
        count = resources.MAX_RESULTS if asked.count is None else asked.count
        text = str(asked.filter) if asked.filter else None
        total, found = e.find(session, filter_text=text, start=start, count=count, where=where)
        return _list(e.model, total, found, start, asked)

    @app.post(e.path)
    def create(session: SessionDep, token: TokenDep, where: WhereDep, body: BodyDep) -> JSONResponse:
        created = e.create(session, token=token, resource=e.parse(body))
        return answer(session, str(created), where, 201)

    @app.get(e.path + "/{resource_id}")
    def read(
        resource_id: str,
        session: SessionDep,
        token: TokenDep,
        where: WhereDep,
        attributes: Attributes = None,
        excluded: Excluded = None,
    ) -> JSONResponse:
        found = e.get(session, resource_id=resource_id, where=where)
        return scim_json(_dump(found, _parameters(attributes, excluded)))

    @app.put(e.path + "/{resource_id}")
    def replace(
        resource_id: str, session: SessionDep, token: TokenDep, where: WhereDep, body: BodyDep
    ) -> JSONResponse:
        e.replace(session, token=token, resource_id=resource_id, resource=e.parse(body, replacing=True))
        return answer(session, resource_id, where)

    @app.patch(e.path + "/{resource_id}")
    def patch(
        resource_id: str, session: SessionDep, token: TokenDep, where: WhereDep, body: BodyDep
    ) -> JSONResponse:
        e.patch(session, token=token, resource_id=resource_id, payload=body, where=where)
        return answer(session, resource_id, where)

    @app.delete(e.path + "/{resource_id}", status_code=204)
    def delete(resource_id: str, session: SessionDep, token: TokenDep) -> Response:
        e.delete(session, token=token, resource_id=resource_id)
        return Response(status_code=204)


def create_scim_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(ScimError)
    async def scim_error(request: Request, exc: ScimError) -> Response:
        return error_response(exc.status, exc.detail, exc.scim_type)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return error_response(exc.status_code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
        return error_response(exc.status_code, detail)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body"))
        return error_response(400, f"{where}: {first.get('msg', 'invalid')}", "invalidValue")

    # --- discovery (RFC 7644 section 4): readable with a provisioning token ---

    @app.get("/ServiceProviderConfig")
    def service_provider_config(token: TokenDep, where: WhereDep) -> JSONResponse:
        return scim_json(_dump(resources.service_provider_config(where.base)))

    @app.get("/ResourceTypes")
    def resource_types(token: TokenDep, where: WhereDep) -> JSONResponse:
        found = resources.resource_types(where.base)
        return _list(ResourceType, len(found), found, 1, None)

    @app.get("/ResourceTypes/{name}")
    def resource_type(name: str, token: TokenDep, where: WhereDep) -> JSONResponse:
        for found in resources.resource_types(where.base):
            if found.id == name:
                return scim_json(_dump(found))
        raise ScimError(404, f"There is no resource type {name!r}.")

    @app.get("/Schemas")
    def schemas(token: TokenDep, where: WhereDep) -> JSONResponse:
        found = resources.schemas(where.base)
        return _list(Schema, len(found), found, 1, None)

    @app.get("/Schemas/{schema_id}")
    def schema(schema_id: str, token: TokenDep, where: WhereDep) -> JSONResponse:
        for found in resources.schemas(where.base):
            if found.id == schema_id:
                return scim_json(_dump(found))
        raise ScimError(404, f"There is no schema {schema_id!r}.")

    @app.post("/.search")
    def search_everything(token: TokenDep) -> JSONResponse:
        raise ScimError(501, "Search Users and Groups each at their own /.search.")

    for endpoint in ENDPOINTS:
        _add_resource_routes(app, endpoint)
    return app
