"""The list filters as request dependencies: the query parameters of the insight and proposal lists,
read in one place for the list pages, their exports and the export API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.types import PageNumber
from app.insights.service import ListFilters as InsightFilters
from app.proposals.service import ListFilters as ProposalFilters


def insight_filters(
    kind: str = "",
    tag: str = "",
    department: str = "",
    product_area: str = "",
    segment: str = "",
    sentiment: str = "",
    status: str = "",
    page: PageNumber = 1,
) -> InsightFilters:
    return InsightFilters.parse(
        kind=kind,
        tag=tag,
        department=department,
        product_area=product_area,
        segment=segment,
        sentiment=sentiment,
        status=status,
        page=page,
    )


def proposal_filters(
    status: str = "", department: str = "", tag: str = "", sort: str = "trending", page: PageNumber = 1
) -> ProposalFilters:
    return ProposalFilters.parse(status=status, department=department, tag=tag, sort=sort, page=page)


InsightFiltersDep = Annotated[InsightFilters, Depends(insight_filters)]
ProposalFiltersDep = Annotated[ProposalFilters, Depends(proposal_filters)]
