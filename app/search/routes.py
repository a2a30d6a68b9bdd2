"""The search page and the header's search-as-you-type."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.core.forms import checked
from app.core.templating import render
from app.core.types import PageNumber
from app.insights.models import Kind
from app.search import service as search_service
from app.search.schemas import SearchFilters
from app.search.types import FACET_FIELDS
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()

FACET_TITLES = {
    "kind": "Kind",
    "department": "Department",
    "product_area": "Product area",
    "tag": "Tag",
    "sentiment": "Sentiment",
    "status": "Status",
}
KIND_NAMES = {k.value: k.label for k in Kind} | {"proposal": "Proposal", "comment": "Comment"}


def _url(q: str, filters: dict[str, str], current_sort: str, **change: str | None) -> str:
    """A search address with the same query, filters and sort, but for the `change`s."""
    params: dict[str, str] = {"q": q, **filters}
    if current_sort != "relevance":
        params["sort"] = current_sort
    for key, value in change.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "/search?" + urlencode(
        {k: v for k, v in params.items() if v and not (k == "sort" and v == "relevance")}
    )


@router.get("/search", name="search:page", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    facets: Annotated[SearchFilters, Query()],
    q: str = "",
    sort: str = "relevance",
    page: PageNumber = 1,
    exact: str = "",
) -> Response:
    filters = facets.chosen()
    context: dict[str, Any] = {
        "q": q,
        "filters": filters,
        "sort": sort,
        "error": "",
        "result": None,
        "facet_titles": FACET_TITLES,
        "kind_names": KIND_NAMES,
        "url": _url,
        "facet_fields": FACET_FIELDS,
    }
    if q.strip() or filters:
        try:
            context["result"] = search_service.search(
                session,
                actor=me,
                text=q[:1000],
                filters=filters,
                sort=sort,
                page=max(1, min(page, 500)),
                use_suggestion=not checked(exact),
            )
        except search_service.QueryError as exc:
            context["error"] = str(exc)
        except search_service.SearchUnavailable:
            context["error"] = (
                "Search is temporarily unavailable. Everything else works; please try again in a few minutes."
            )
    return render(request, "search/index.html", context, block="results")


@router.get("/search/suggest", name="search:suggest", response_class=HTMLResponse)
def suggest(request: Request, session: SessionDep, me: CurrentPerson, q: str = "") -> Response:
    try:
        groups = search_service.header_suggestions(session, actor=me, text=q[:200])
    except (search_service.QueryError, search_service.SearchUnavailable):
        groups = {}
    return render(request, "search/_suggest.html", {"groups": groups, "q": q, "kind_names": KIND_NAMES})
