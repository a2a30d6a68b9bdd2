"""User Markdown to safe HTML: the one place in the code that marks HTML as safe.

markdown-it-py renders with raw HTML turned off, then nh3 (ammonia) keeps only an allow-list of
tags and attributes, and links only to http(s), mailto and relative addresses (security.md C3).
Everything else, including htmx attributes and event handlers, is dropped."""

from __future__ import annotations

import html
import re
from functools import lru_cache

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
