"""User Markdown to safe HTML: the one place in the code that marks HTML as safe.

markdown-it-py renders with raw HTML turned off, then nh3 (ammonia) keeps only an allow-list of
tags and attributes, and links only to http(s), mailto and relative addresses (security.md C3).
Everything else, including htmx attributes and event handlers, is dropped."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_SOURCE = 100_000  # longer input is cut before rendering, so rendering time stays bounded

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


# A comment or a short body is rendered once per process, not on every view of its page (a
# detail page with its comments rendered each of them every time). Only texts up to CACHED_UP_TO
# characters are kept, CACHE_SIZE of them, so the cache stays under about 25 MB at worst.
CACHED_UP_TO = 10_000
CACHE_SIZE = 1024


def render(source: str | None) -> Markup:
    if not source:
        return Markup("")
    clean = _cached_clean(source) if len(source) <= CACHED_UP_TO else _clean(source)
    return Markup(clean)  # noqa: S704  sanitised in _clean; the only Markup() of user text


def _clean(source: str) -> str:
    html = _md.render(source[:MAX_SOURCE])
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_cached_clean = lru_cache(maxsize=CACHE_SIZE)(_clean)


# The HTML of a record's Markdown is stored with the record (its `rendered` column: insights,
# proposals, official responses, comments), made when the record is written (app/core/db.py), so a
# page shows it without rendering. This number is stored with it: a change to the rules above (tags,
# attributes, link schemes) must raise it, and HTML stored under another number is then rendered
# again from the source when shown, until the record is next written.
RENDERED_VERSION = 1


def rendered(record: Any, fields: Iterable[str]) -> str:
    """What a record stores in `rendered`: the HTML of each Markdown field and the version, as
    JSON text (text, not a JSON column: a list loads it with its rows and never parses it)."""
    stored: dict[str, Any] = {"v": RENDERED_VERSION}
    for field in fields:
        source = getattr(record, field) or ""
        stored[field] = _clean(source) if source else ""
    return json.dumps(stored, ensure_ascii=False)


def _stored(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def is_current(text: str | None) -> bool:
    return bool(text) and _stored(text or "").get("v") == RENDERED_VERSION


def render_field(record: Any, field: str) -> Markup:
    """A record's Markdown field as safe HTML: the stored HTML when it is of this version, else
    rendered now (rows written by the importer's bulk SQL store none)."""
    text = getattr(record, "rendered", None)
    stored = _stored(text) if text else {}
    if stored.get("v") == RENDERED_VERSION and field in stored:
        return Markup(stored[field])  # noqa: S704  sanitised by _clean when stored
    return render(getattr(record, field))


def plain_excerpt(source: str | None, length: int = 220) -> str:
    """A short plain-text preview (tags removed), for lists and cards."""
    if not source:
        return ""
    text = html.unescape(nh3.clean(_md.render(source[: length * 4]), tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`#>~|]+|^\s*[-+]\s+|^\s*\d+\.\s+", re.MULTILINE)


def strip_markup(source: str | None, length: int = 4000) -> str:
    """Markdown reduced to its words without rendering it (cheap; for search snippets, which are
    escaped when shown)."""
    if not source:
        return ""
    text = _MARKUP.sub(lambda m: m.group(1) or " ", source[:length])
    return " ".join(text.split())
