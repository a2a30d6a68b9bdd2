"""Our search language: how text becomes index words, and what a person may type in the search box.

This is Insight Loop's own query language (words are ANDed; "phrases"; OR, AND, NOT; -exclude;
prefix*; (groups); nothing that names a field), built on Whoosh's analyzers and query parser.
Every engine uses it: Whoosh indexes with these analyzers; tantivy and PostgreSQL index the words
`analysed` and `plain_words` give and run the tree `parse_tree` gives, so stemming, accent folding,
CJK characters, phrases, highlighting and "did you mean" agree whatever the engine.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from whoosh import query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import TEXT, Schema
from whoosh.lang.porter import stem as porter_stem
from whoosh.qparser import (
    GroupPlugin,
    OperatorsPlugin,
    PhrasePlugin,
    PlusMinusPlugin,
    PrefixPlugin,
    QueryParser,
    WhitespacePlugin,
)
from whoosh.support.charset import accent_map

from app.search.types import MAX_QUERY_LENGTH, QueryError, QueryNode

MIN_PREFIX = 2

# How a record's document is laid out in an engine's one text field. Field boosts title > tags >
# body, in one field: the title goes in 3 times, the tags twice. (Three fields ORed per word made
# scoring 3-4x slower; see README "Search".) A token that nobody types separates the parts, so a
# "phrase" never runs from the end of one part into the next.
TITLE_REPEAT, TAGS_REPEAT = 3, 2
PART_BREAK = " zqxpartbreak "
# The facets with one value per document (tags have several).
SINGLE_VALUED = ("kind", "department", "product_area", "sentiment", "status")

# CJK scripts have no spaces between words: each character becomes a token, so a Chinese word is
# found as the sequence of its characters. Every other script is split on word characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN_PATTERN = rf"[{_CJK}]|(?:(?![{_CJK}])\w)+(?:\.(?:(?![{_CJK}])\w)+)*"
TOKEN_RE = re.compile(TOKEN_PATTERN)
_stem = lru_cache(maxsize=50_000)(porter_stem)


def text_analyzer() -> Any:
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=1)
        | StemFilter(cachesize=50_000)
    )


def word_analyzer() -> Any:
    """Unstemmed words, for spelling suggestions."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


# --- what may be typed ------------------------------------------------------------------------------
# Words (AND), "phrases", OR / AND / NOT, -exclude, prefix*, (groups). No field: syntax, no ranges, no
# fuzzy or regex terms: nothing that reaches fields we did not choose.
_parser = QueryParser(
    "text",
    Schema(text=TEXT(analyzer=text_analyzer())),
    plugins=[
        WhitespacePlugin(),
        PhrasePlugin(),
        GroupPlugin(),
        OperatorsPlugin(),
        PlusMinusPlugin(),
        PrefixPlugin(),
    ],
)
_parser_lock = threading.Lock()  # one parse at a time: the parser keeps state while it parses


def parse(text: str) -> Any:
    """The text as a Whoosh query on the field `text`; QueryError in words a person understands."""
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"Search for at most {MAX_QUERY_LENGTH} characters.")
    if not text.strip():
        return wq.Every()
    cleaned = re.sub(r"[\\:^~{}\[\]<>=]", " ", text)
    try:
        with _parser_lock:
            parsed = _parser.parse(cleaned)
    except Exception as exc:  # noqa: BLE001  the parser raises many kinds of errors
        raise QueryError("This search could not be understood. Try plain words.") from exc
    for node in parsed.leaves() if hasattr(parsed, "leaves") else [parsed]:
        if isinstance(node, wq.Prefix) and len(node.text) < MIN_PREFIX:
            raise QueryError(f"Type at least {MIN_PREFIX} letters before *.")
    if isinstance(parsed, wq.Prefix) and len(parsed.text) < MIN_PREFIX:
        raise QueryError(f"Type at least {MIN_PREFIX} letters before *.")
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        return wq.Every()
    return without_andnot(parsed)


def split_negations(node: Any) -> tuple[Any, list[Any]]:
    """`a b -c -d` -> (a AND b, [c, d]); the excluded parts become a mask of documents."""
    if isinstance(node, wq.Not):
        return wq.Every(), [node.query]
    if not isinstance(node, wq.And):
        return node, []
    positive = [child for child in node.subqueries if not isinstance(child, wq.Not)]
    negated = [child.query for child in node.subqueries if isinstance(child, wq.Not)]
    if not positive:
        return wq.Every(), negated
    return (positive[0] if len(positive) == 1 else wq.And(positive)), negated


def without_andnot(node: Any) -> Any:
    """whoosh-reloaded 2.7.5's AndNot matcher lets excluded documents through (`window -delivery`
    still found "Delivery window"; tests/search/test_backend.py); And + Not excludes them."""
    if isinstance(node, wq.AndNot):
        return wq.And([without_andnot(node.a), wq.Not(without_andnot(node.b))])
    return node if node.is_leaf() else node.apply(without_andnot)


def query_words(parsed: Any) -> tuple[set[str], set[str]]:
    terms: set[str] = set()
    prefixes: set[str] = set()
    leaves = parsed.leaves() if hasattr(parsed, "leaves") and not parsed.is_leaf() else [parsed]
    for node in leaves:
        if isinstance(node, wq.Prefix):
            prefixes.add(node.text)
        elif isinstance(node, wq.Term):
            terms.add(node.text if isinstance(node.text, str) else node.text.decode())
        elif isinstance(node, wq.Phrase):
            terms.update(node.words)
    # Excluded words are not highlighted.
    for node in parsed.children() if hasattr(parsed, "children") else []:
        if isinstance(node, wq.Not):
            for leaf in node.leaves() if not node.is_leaf() else [node]:
                if isinstance(leaf, wq.Term):
                    terms.discard(leaf.text)
    return terms, prefixes


def suggest_words(
    text: str, *, known: Callable[[str], bool], closest: Callable[[str], str | None]
) -> str | None:
    """'Did you mean', for every engine: each word of 3+ letters the index does not know is replaced
    by the closest word it knows (each engine says what it knows and what is closest)."""
    changed = False
    out = []
    for word in re.findall(r'"[^"]*"|\S+', text):
        plain = word.lower().translate(accent_map)
        if not re.fullmatch(r"\w{3,}", plain) or word in ("OR", "AND", "NOT") or known(plain):
            out.append(word)
            continue
        candidate = closest(plain)
        if candidate and candidate != plain:
            out.append(candidate)
            changed = True
        else:
            out.append(word)
    return " ".join(out) if changed else None


# --- the same words for every engine --------------------------------------------------------------

_STOP_WORDS = StopFilter().stops


def analysed(text: str) -> str:
    """The text's index words, by spaces: the steps of `text_analyzer` (tokens, lowercase, accents
    folded, stop words dropped, Porter stems), done directly: the same words (a test compares them
    on real reviews) at three times the speed of Whoosh's token pipeline, which rebuilds pay for."""
    words = []
    for token in TOKEN_RE.findall(text):
        word = token.lower().translate(accent_map)
        if word and word not in _STOP_WORDS:
            words.append(_stem(word))
    return " ".join(words)


@dataclass
class ParsedTree:
    positive: QueryNode | None  # None: every document
    excluded: list[QueryNode]
    terms: set[str]
    prefixes: set[str]


def parse_tree(text: str) -> ParsedTree:
    """Our query syntax (words AND, "phrases", OR, -exclude, prefix*) parsed and analysed exactly as
    for the Whoosh index; QueryError as there."""
    parsed = parse(text)
    terms, prefixes = query_words(parsed)
    if isinstance(parsed, wq.Every):
        return ParsedTree(None, [], set(), set())
    positive, negated = split_negations(parsed)
    return ParsedTree(
        None if isinstance(positive, wq.Every) else _node(positive),
        [_node(n) for n in negated],
        terms,
        prefixes,
    )


def _node(query: Any) -> QueryNode:
    if isinstance(query, wq.Term):
        return ("term", _word(query.text))
    if isinstance(query, wq.Prefix):
        return ("prefix", _word(query.text))
    if isinstance(query, wq.Phrase):
        return ("phrase", [_word(w) for w in query.words])
    if isinstance(query, wq.Not):
        return ("not", _node(query.query))
    if isinstance(query, wq.And | wq.Or):
        return ("and" if isinstance(query, wq.And) else "or", [_node(child) for child in query.subqueries])
    raise QueryError("This search could not be understood. Try plain words.")


def _word(text: Any) -> str:
    return text if isinstance(text, str) else text.decode()


def find_matches(text: str, terms: set[str], prefixes: set[str]) -> list[tuple[int, int]]:
    """Where in `text` the query's words occur, as the index would see them (for snippets).
    Only words that could match are stemmed, which keeps highlighting 20 hits cheap."""
    if not terms and not prefixes:
        return []
    heads = {term[:3] for term in terms}
    starts = tuple(prefixes)
    # Fold the whole text once (one C call) rather than word by word; folding keeps every
    # character's place, unless lowercasing grows a letter (Turkish İ), where words are folded
    # one at a time instead.
    folded = text.lower().translate(accent_map)
    same_places = len(folded) == len(text)
    spans = []
    for match in TOKEN_RE.finditer(folded if same_places else text):
        word = match.group() if same_places else match.group().lower().translate(accent_map)
        if (
            word in terms
            or (starts and word.startswith(starts))
            or (word[:3] in heads and _stem(word) in terms)
        ):
            spans.append((match.start(), match.end()))
    return spans


def plain_words(text: str) -> str:
    """The unstemmed words of a text (lowercased, accents folded: `word_analyzer`), for spelling."""
    return " ".join(word for t in TOKEN_RE.findall(text) if (word := t.lower().translate(accent_map)))
