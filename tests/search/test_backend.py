"""The Whoosh backend on its own: query syntax, language handling, facets, bounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.search.engines import ENGINES
from app.search.types import QueryError, SearchBackend, SearchDoc, SearchQuery
from tests.databases import postgres_search_backend

DOCS = [
    (
        "Late delivery of the sofa",
        "The deliveries were late and the café was closed",
        ["late-delivery"],
        "feedback",
    ),
    ("Payment failed twice", "Charged twice for one order", ["payment"], "feedback"),
    ("Delivery window too wide", "A four hour window is not a time slot", ["delivery-window"], "pain_point"),
    ("配送が遅い", "荷物の配送が三日遅れました", ["late-delivery"], "feedback"),
    ("تأخر التوصيل", "وصل الطلب متأخرا جدا", [], "feedback"),
    ("Window seat in store", "A lovely reading corner by the window", ["stores"], "success_story"),
]


# Every engine in app/search/engines answers the same tests.
@pytest.fixture(scope="module", params=["whoosh", "tantivy", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchBackend]:
    """Every backend answers the same tests: Whoosh in a folder, PostgreSQL in a scratch database."""
    docs = [
        SearchDoc(
            doc_id=f"insight:{n}",
            type="insight",
            entity_id=n,
            kind=kind,
            title=title,
            body=body,
            tags=tags,
            department="Logistics" if n % 2 else "Finance",
            sentiment="negative",
            status="archived" if n == 5 else "published",
            created=n,
        )
        for n, (title, body, tags, kind) in enumerate(DOCS)
    ]
    if ENGINES[request.param].folder is not None:  # an index folder under the data folder
        index = ENGINES[request.param].open(Path(tmp_path_factory.mktemp("data")))
        with index.indexer_lock() as mine:
            assert mine
            index.rebuild(docs)
        yield index
        return
    with postgres_search_backend(tmp_path_factory.mktemp("pg")) as pg:
        pg.rebuild(docs)
        yield pg


def ids(backend: SearchBackend, text: str, **extra: object) -> list[int]:
    result = backend.search(SearchQuery(text=text, published_only=False, **extra))  # type: ignore[arg-type]
    return sorted(h.entity_id for h in result.hits)


def test_words_are_anded_and_stemmed(backend: SearchBackend) -> None:
    assert ids(backend, "delivery") == [0, 2, 3]  # 3 through its tag late-delivery
    assert ids(backend, "deliveries late") == [0, 3]
    assert ids(backend, "deliveries sofa") == [0]


def test_phrase_needs_the_words_in_order(backend: SearchBackend) -> None:
    assert ids(backend, '"delivery window"') == [2]
    assert ids(backend, '"window delivery"') == []


def test_or_exclude_and_prefix(backend: SearchBackend) -> None:
    assert ids(backend, "payment OR sofa") == [0, 1]
    assert ids(backend, "window -delivery") == [5]
    assert ids(backend, "deliv*") == [0, 2, 3]


def test_accents_fold_both_ways(backend: SearchBackend) -> None:
    assert ids(backend, "cafe") == [0] and ids(backend, "CAFÉ") == [0]


def test_chinese_and_arabic_words_are_found(backend: SearchBackend) -> None:
    assert ids(backend, "配送") == [3]
    assert ids(backend, "متأخرا") == [4]


def test_title_outranks_body(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(text="window", published_only=False))
    assert [h.entity_id for h in result.hits][:2] in ([2, 5], [5, 2])


def test_facets_count_every_hit_and_filters_combine(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(text="", published_only=False))
    assert result.total == 6
    assert result.facets["kind"] == {"feedback": 4, "pain_point": 1, "success_story": 1}
    assert result.facets["tag"]["late-delivery"] == 2
    filtered = backend.search(
        SearchQuery(text="", filters={"tag": "late-delivery", "department": "Finance"}, published_only=False)
    )
    assert sorted(h.entity_id for h in filtered.hits) == [0]


def test_published_only_hides_archived_documents(backend: SearchBackend) -> None:
    assert 5 not in [h.entity_id for h in backend.search(SearchQuery(text="window")).hits]


def test_misspelt_word_gets_a_suggestion(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(text="dellivery", published_only=False))
    assert result.total == 0 and result.suggestion == "delivery"


@pytest.mark.parametrize("text", ["a*", "b* OR c*", "x" * 201])
def test_unbounded_queries_get_a_clear_message(backend: SearchBackend, text: str) -> None:
    with pytest.raises(QueryError):
        backend.search(SearchQuery(text=text))


@given(
    st.text(max_size=120)
    | st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "*",
                "-",
                "OR",
                "AND",
                "NOT",
                "title:",
                "~",
                "^2",
                "[",
                "]",
                "{",
                "}",
                "a",
                "delivery",
                " ",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_any_query_gives_results_or_a_query_error(backend: SearchBackend, text: str) -> None:
    try:
        result = backend.search(SearchQuery(text=text, published_only=False))
    except QueryError:
        return
    assert result.total >= 0


def test_only_the_whoosh_engine_and_our_search_language_import_whoosh() -> None:
    app_dir = Path(__file__).resolve().parents[2] / "app"
    importers = sorted(
        str(path.relative_to(app_dir))
        for path in app_dir.rglob("*.py")
        if any(
            line.lstrip().startswith(("import whoosh", "from whoosh"))
            for line in path.read_text().splitlines()
        )
    )
    assert importers == ["search/engines/whoosh.py", "search/language.py"]


def test_the_shared_analysis_gives_the_whoosh_index_words_on_review_texts() -> None:
    """Other engines index `analysed` and `plain_words`; they must be the Whoosh analyzers' words."""
    from app.search.language import analysed, plain_words
    from app.search.language import text_analyzer as _text_analyzer
    from app.search.language import word_analyzer as _word_analyzer
    from tests.reviews import review_rows

    texts = [row[4] for row in review_rows(800)[1:]]
    texts += [
        "Café DÉJÀ vu",
        "配送が遅い",
        "تأخر التوصيل",
        "e.g. U.S.A. 3.5 stars",
        "",
        "I didn't get it — it's the 3rd time!!! Won't order again :(",
        "Size 10-12 fits; the 'petite' one doesn't. 5'8\" & 140lbs, co-worker's tip",
        "Delivery@home? www.example.test/track #123 — 50% off, £20/€25 🙂",
    ]
    stems, words = _text_analyzer(), _word_analyzer()
    for text in texts:
        assert analysed(text) == " ".join(t.text for t in stems(text)), text
        assert plain_words(text) == " ".join(t.text for t in words(text)), text


def test_highlighting_finds_folded_words_at_their_places_in_the_original_text() -> None:
    from app.search.language import find_matches

    text = "CAFÉ closed; the Deliveries were late"
    spans = find_matches(text, {"cafe", "deliveri"}, set())
    assert [text[a:b] for a, b in spans] == ["CAFÉ", "Deliveries"]
    grown = "İstanbul café"  # lowercasing İ makes two characters: words are folded one by one
    assert [grown[a:b] for a, b in find_matches(grown, {"cafe"}, set())] == ["café"]
