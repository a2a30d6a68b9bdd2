"""The API's OpenAPI description, as clients and schemathesis read it: only /api/ paths, and on
every operation the errors it can answer with, in the shape they have ({"detail": ...}), so a
client generated from it knows them and a conformance check finds no status it was not told of."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"title": "Detail", "description": "What went wrong, in words for people."}},
}
# The errors of every API operation (design.md: JSON {"detail": ...} with the right status).
ERRORS = {
    "400": "The request could not be read (a malformed body, a search query that cannot be parsed).",
    "401": "Missing, unknown, expired or revoked API token.",
    "403": "Your role or your token's scope does not allow this.",
    "404": "There is no such record (or it is not yours to see).",
    "409": "The record is not in a state that allows this (e.g. answered twice).",
    "413": "The body or the file is larger than the portal takes.",
    "415": "The file's content is not of a type the portal takes.",
    "429": "Too many writes in a short time; wait the seconds that Retry-After says.",
    "503": "The database is unavailable for a moment; nothing was saved. Retry after Retry-After.",
    "507": "The disk is full; nothing was saved.",
}


def build(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema["paths"] = {p: v for p, v in schema.get("paths", {}).items() if p.startswith("/api/")}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    error_ref = {"$ref": "#/components/schemas/Error"}
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": error_ref}}},
                )
            refused = responses.get("422")
            if refused is not None:
                # A field's own rule (pydantic's) or a service's (a date in the past): the same
                # list of {loc, msg, type}; an import's refusal adds its counts beside `detail`.
                content = refused.setdefault("content", {}).setdefault("application/json", {})
                shown = content.get("schema")
                content["schema"] = {"anyOf": [shown, error_ref]} if shown else error_ref
    return schema
