"""The list filters as request dependencies: the query parameters of the insight and proposal lists,
read in one place (each ListFilters, a query model) for the list pages, their exports and the export API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.insights.schemas import ListFilters as InsightFilters
from app.proposals.schemas import ListFilters as ProposalFilters

InsightFiltersDep = Annotated[InsightFilters, Query()]
ProposalFiltersDep = Annotated[ProposalFilters, Query()]
