"""Jinja2 with blocks as fragments (jinja2-fragments), autoescape always on, and `render()`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import Response
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app.core import access, markdown
from app.core.config import get_settings
from app.core.htmx import get_htmx
from app.core.models import aware
from app.core.websecurity import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
# Starlette's default escapes only .html/.htm/.xml names; escape everything (security.md finding 5).
templates.env.autoescape = True
# Templates ship with the release: no stat() of every template and include on every page (26 per
# insight list) to see whether it changed on disk.
templates.env.auto_reload = False


def _has_route(request: Request, name: str) -> bool:
    return name in request.app.state.route_names


def _can_reach(request: Request, route_name: str) -> bool:
    person = getattr(request.state, "person", None)
    return _has_route(request, route_name) and access.allows(
        access.rule_for(route_name), person.role if person else None
    )


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return aware(value).strftime("%-d %b %Y, %H:%M UTC")


def _day(value: datetime | None) -> str:
    return aware(value).strftime("%-d %b %Y") if value else ""


def _csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token(request))


templates.env.globals.update(
    site_name=lambda: get_settings().site_name,
    csrf_token=csrf_token,
    csrf_input=_csrf_input,
    can_reach=_can_reach,
    has_route=_has_route,
    markdown_of=markdown.render_field,
)


def _zip_label(values: Any) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ")) for v in values]


def _stage_options(rows: Any) -> list[tuple[int, str]]:
    return [(stage.id, f"{journey.title} › {stage.position + 1}. {stage.name}") for stage, journey in rows]


def _dept_options(departments: Any) -> list[tuple[int, str]]:
    return [(d.id, d.name) for d in departments]


templates.env.filters.update(
    when=_when,
    day=_day,
    markdown=markdown.render,
    excerpt=markdown.plain_excerpt,
    label=lambda v: str(getattr(v, "value", v) or "").replace("_", " "),
    zip_label=_zip_label,
    stage_options=_stage_options,
    dept_options=_dept_options,
)
# The form, pagination and empty-state macros are globals, so blocks rendered alone as htmx
# fragments can use them too (a block does not run its template's top-level imports).
_macros = templates.env.get_template("macros.html").module
templates.env.globals.update(
    {
        name: getattr(_macros, name)
        for name in ("field", "textarea", "choice", "pagination", "empty", "data_table", "confirm")
    }
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only `block` of it when htmx asked for a fragment."""
    ctx: dict[str, Any] = {"request": request, "me": getattr(request.state, "person", None)}
    ctx.update(context or {})
    flash = request.cookies.get("il_flash")
    if flash and "flash" not in ctx:
        ctx["flash"] = unquote(flash)[:200]
    use_block = block if block and get_htmx(request).wants_fragment else None
    ctx["fragment"] = use_block is not None  # a block sent alone may update others out of band
    response = templates.TemplateResponse(
        request, template, ctx, status_code=status_code, headers=headers, block_name=use_block
    )
    response.headers["Vary"] = "HX-Request"
    if flash:
        response.delete_cookie("il_flash", path="/")
    return response
