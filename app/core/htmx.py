"""The one place that reads htmx's request headers (architecture.md §4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse


@dataclass(frozen=True)
class Htmx:
    request: bool
    boosted: bool
    history_restore: bool
    target: str | None
    trigger: str | None

    @property
    def wants_fragment(self) -> bool:
        """A fragment for htmx's own requests; boosted navigation and history restores get pages."""
        return self.request and not self.boosted and not self.history_restore


def get_htmx(request: Request) -> Htmx:
    headers = request.headers
    return Htmx(
        request=headers.get("hx-request") == "true",
        boosted=headers.get("hx-boosted") == "true",
        history_restore=headers.get("hx-history-restore-request") == "true",
        target=headers.get("hx-target"),
        trigger=headers.get("hx-trigger"),
    )


HtmxDep = Annotated[Htmx, Depends(get_htmx)]


def see_other(url: str, *, flash: str | None = None) -> RedirectResponse:
    """After a change: 303 to the page to show next, with an optional one-time message."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie("il_flash", quote(flash[:200]), path="/", httponly=True, samesite="lax")
    return response
