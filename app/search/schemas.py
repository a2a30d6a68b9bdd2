"""What a search asks for (the facets it is narrowed to) and what the search API answers."""

from __future__ import annotations

from pydantic import BaseModel

from app.core.types import FacetFilter


class SearchFilters(BaseModel):
    """The facets a search is narrowed to, named as in the query string of the search page and of
    GET /api/v1/search (FACET_FIELDS); an empty value is no filter."""

    kind: FacetFilter = ""
    department: FacetFilter = ""
    product_area: FacetFilter = ""
    tag: FacetFilter = ""
    sentiment: FacetFilter = ""
    status: FacetFilter = ""

    def chosen(self) -> dict[str, str]:
        return {name: value for name, value in self.model_dump().items() if value}


class SearchHitRead(BaseModel):
    type: str
    id: int
    kind: str
    title: str
    snippet: str
    url: str


class SearchResponse(BaseModel):
    total: int
    page: int
    hits: list[SearchHitRead]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
