"""GET /api/v1/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from app.core.errors import DomainError
from app.insights.models import Kind
from app.search import service as search_service
from app.search.schemas import SearchFilters, SearchHitRead, SearchResponse
from app.search.types import MAX_QUERY_LENGTH
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1", tags=["search"])


# The kinds a hit can have: the five insight kinds, proposals and comments (anything else is 422).
KIND_PATTERN = "^(|" + "|".join([*(k.value for k in Kind), "proposal", "comment"]) + ")$"


class ApiSearchFilters(SearchFilters):
    """The API refuses a kind it does not know (422); the search page ignores one."""

    kind: str = Field(default="", pattern=KIND_PATTERN)


class BadQuery(DomainError, status=400):
    """The query could not be read (an unbalanced quote or bracket)."""


class Unavailable(DomainError, status=503):
    """The index is missing or damaged; everything else still works."""


@router.get("/search", name="api:search", response_model=SearchResponse)
def search(
    session: SessionDep,
    me: CurrentPerson,
    filters: Annotated[ApiSearchFilters, Query()],
    q: Annotated[str, Query(max_length=MAX_QUERY_LENGTH)] = "",
    sort: Annotated[str, Query(pattern="^(relevance|newest|support)$")] = "relevance",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
) -> SearchResponse:
    try:
        result = search_service.search(
            session, actor=me, text=q, filters=filters.chosen(), sort=sort, page=page
        )
    except search_service.QueryError as exc:
        raise BadQuery(str(exc)) from exc
    except search_service.SearchUnavailable as exc:
        raise Unavailable("Search is temporarily unavailable.") from exc
    return SearchResponse(
        total=result.total,
        page=result.page,
        suggestion=result.suggestion,
        facets=result.facets,
        hits=[
            SearchHitRead(type=h.type, id=h.id, kind=h.kind, title=h.title, snippet=h.snippet, url=h.url)
            for h in result.hits
        ],
    )
