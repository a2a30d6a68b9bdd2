"""The one place that reads htmx's request headers (architecture.md §4.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response


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


def see_other(url: str, *, flash: str | None = None) -> RedirectResponse:
    """After a change: 303 to the page to show next, with an optional one-time message."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie("il_flash", quote(flash[:200]), path="/", httponly=True, samesite="lax")
    return response


def fragment_or_redirect(
    request: Request, fragment: Callable[[], Response], url: str, *, flash: str | None = None
) -> Response:
    """After a change made from an htmx form: the updated fragment for htmx (built only then), or
    for a plain form post a 303 to `url` with a one-time message (every page works without JS)."""
    if get_htmx(request).wants_fragment:
        return fragment()
    return see_other(url, flash=flash)
