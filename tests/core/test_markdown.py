"""User Markdown renders without raw HTML and through an allow-list (security.md C3)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.markdown import plain_excerpt, render


def test_markdown_formats_text_and_keeps_safe_links() -> None:
    html = str(render("**bold** and [docs](https://intranet.example/docs) and [page](/insights/2)"))
    assert "<strong>bold</strong>" in html
    assert 'href="https://intranet.example/docs"' in html and 'href="/insights/2"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_raw_html_is_shown_as_text() -> None:
    html = str(render('<script>alert(1)</script><img src=x onerror="alert(1)"><b hx-get="/x">b</b>'))
    assert "<script" not in html and "<img" not in html and "<b " not in html
    assert "&lt;script&gt;" in html


def test_dangerous_link_schemes_are_dropped() -> None:
    for scheme in ("javascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<b>x</b>"):
        assert "href" not in str(render(f"[x]({scheme})"))


def test_excerpt_is_plain_text() -> None:
    assert plain_excerpt("# Title\n\nSome **bold** & <b>more</b>", 200) == "Title Some bold & <b>more</b>"


_TAG = re.compile(r"<(/?)(\w+)([^>]*)>")


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
    | st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "script",
                "onerror=",
                "javascript:",
                "[",
                "](",
                ")",
                '"',
                "'",
                "<a href=",
                "img",
                " ",
                "\n",
                "*",
                "`",
            ]
        ),
        max_size=60,
    ).map("".join)
)
def test_rendered_markdown_never_contains_active_content(source: str) -> None:
    html = str(render(source))
    for _closing, tag, attrs in _TAG.findall(html):
        assert tag.lower() not in {"script", "img", "iframe", "style", "svg", "object"}
        assert re.search(r"\son\w+\s*=", attrs) is None
        href = re.search(r'href="([^"]*)"', attrs)
        if href:
            assert not href.group(1).strip().lower().startswith(("javascript:", "vbscript:", "data:"))


def test_strip_markup_keeps_the_words() -> None:
    from app.core.markdown import strip_markup

    text = "# Title\n\n- **bold** item\n1. [link text](https://x.example) and `code`"
    assert strip_markup(text) == "Title bold item link text and code"


def test_a_text_is_rendered_once_and_then_served_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core import markdown

    calls: list[str] = []
    original = markdown._md.render

    def counting(text: str) -> str:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(markdown._md, "render", counting)
    markdown._cached_clean.cache_clear()
    text = "A **cached** comment <script>alert(1)</script>"
    first, second = markdown.render(text), markdown.render(text)
    assert first == second and "<strong>cached</strong>" in first and "<script>" not in first
    assert len(calls) == 1
    long_text = "x" * (markdown.CACHED_UP_TO + 1)
    markdown.render(long_text)
    markdown.render(long_text)
    assert len(calls) == 3  # long texts are not kept
