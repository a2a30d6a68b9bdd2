"""Grouping feedback into themes: a pure function of the texts, no database, no network.

TF-IDF over words, then mini-batch k-means (cosine); the fifth of feedback farthest from its
theme's centre is left out of every theme. Each theme is labelled with the phrase that best tells
its members from everyone else's (class-based TF-IDF, as BERTopic does) among the phrases most
of its members use, so a label is in the members' own words. Everything is seeded and the input
is taken in id order: the same feedback gives the same themes. scikit-learn ships everything;
nothing is downloaded.

Why this and not NMF, LSA or a language model: measured on the shared customer reviews (`make
bench`, tests/bench/themes_bench.py), NMF, LSA and two-word phrases agreed less with the reviews'
own classes than plain TF-IDF + k-means, and a language model would have to be downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

SEED = 2026
MIN_FEEDBACK = 20  # fewer than this is read, not grouped
MIN_THEME = 5  # a theme holds at least this many pieces of feedback
# Words too common in feedback to tell anything apart, beside English stop words.
FEEDBACK_WORDS = frozenset(
    {"just", "really", "like", "love", "would", "get", "got", "one", "also", "im", "ive", "dont", "didnt",
     "doesnt", "isnt", "wasnt", "cant", "ve"}
)  # fmt: skip
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | FEEDBACK_WORDS)
TOKENS = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of two letters or more, no digits


@dataclass(frozen=True)
class Doc:
    id: int
    text: str


@dataclass
class Found:
    label: str
    terms: list[str]
    members: list[tuple[int, float]]  # (feedback id, closeness to the theme's centre), closest first

    @property
    def size(self) -> int:
        return len(self.members)


def theme_count(n: int) -> int:
    """About one theme per 20 pieces of feedback, between 2 and 40: enough to separate the
    pain points in a large library, few enough that each theme is worth a look."""
    return max(2, min(40, n // 20))


def find_themes(docs: Sequence[Doc], *, k: int | None = None, cover: float = 0.8) -> list[Found]:
    """Themes among `docs`, largest first. `cover` is the share of feedback kept in a theme: the
    rest, farthest from every centre, belongs to none (a theme of everything is no theme)."""
    docs = sorted((d for d in docs if d.text.strip()), key=lambda d: d.id)
    if len(docs) < MIN_FEEDBACK:
        return []
    texts = [d.text for d in docs]
    # Single words weighted by TF-IDF: measured on the shared reviews, phrases and heavier word
    # lists split the feedback less like its own product classes (tests/bench/themes_bench.py).
    try:
        matrix = TfidfVectorizer(
            stop_words="english", sublinear_tf=True, min_df=2, max_df=0.5, dtype=np.float32
        ).fit_transform(texts)
    except ValueError:  # no word left that two pieces share and most do not: nothing to group by
        return []
    if matrix.shape[1] < 3:
        return []
    k = min(k or theme_count(len(docs)), len(docs) // MIN_THEME)
    assigned, centres = _cluster(matrix, k)
    similarity = matrix @ centres.T  # cosine: rows and centres both have length 1
    closeness = np.asarray(similarity[np.arange(len(docs)), assigned]).ravel()
    kept = closeness >= np.quantile(closeness, 1 - cover) if cover < 1 else np.ones(len(docs), dtype=bool)
    labels = _labels(texts, assigned, kept, k)
    found = []
    for theme in range(k):
        rows = np.flatnonzero((assigned == theme) & kept)
        if len(rows) < MIN_THEME:
            continue
        order = rows[np.argsort(-closeness[rows], kind="stable")]
        label, terms = labels[theme]
        members = [(docs[i].id, round(float(closeness[i]), 4)) for i in order]
        found.append(Found(label=label, terms=terms, members=members))
    found.sort(key=lambda f: (-f.size, f.label))
    return found


def _cluster(matrix: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mini-batch k-means (three starts, the best kept), seeded. A run in which one of four or
    more themes takes more than half of everything has found nothing: the next seed is tried (up
    to three; if all do, the first is kept)."""
    first: tuple[np.ndarray, np.ndarray] | None = None
    for attempt in range(3):
        kmeans = MiniBatchKMeans(n_clusters=k, random_state=SEED + attempt, batch_size=4096, n_init=3)
        assigned = kmeans.fit_predict(matrix)
        found = (assigned, normalize(kmeans.cluster_centers_).astype(np.float32))
        first = first or found
        if k < 4 or np.bincount(assigned, minlength=k).max() <= len(assigned) / 2:
            return found
    assert first is not None
    return first


def _labels(
    texts: list[str], assigned: np.ndarray, kept: np.ndarray, k: int
) -> dict[int, tuple[str, list[str]]]:
    """Class-based TF-IDF over each theme's members: the terms a theme uses much more than the
    rest. The label is the best-scoring phrase (or word) that most of the theme's members use."""
    counter = CountVectorizer(
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.5,
        stop_words=STOP_WORDS,
        token_pattern=TOKENS,
        preprocessor=_plain,
        binary=True,
    )
    rows = np.flatnonzero(kept)
    try:
        presence = counter.fit_transform([texts[i] for i in rows]).tocsr()
    except ValueError:  # too few shared words to label by: each theme is called by its best term
        return {theme: ("other", []) for theme in range(k)}
    vocabulary = counter.get_feature_names_out()
    themes = assigned[rows]
    total = np.asarray(presence.sum(axis=0)).ravel().astype(np.float64)
    out: dict[int, tuple[str, list[str]]] = {}
    for theme in range(k):
        members = np.flatnonzero(themes == theme)
        if len(members) == 0:
            out[theme] = ("", [])
            continue
        share = np.asarray(presence[members].sum(axis=0)).ravel() / len(members)  # of members using it
        rest = (total - share * len(members)) / max(1, len(rows) - len(members))
        score = share * np.log1p(share / (rest + 1e-4))
        top = np.argsort(-score, kind="stable")[:40]
        # "dress dress" is a title and a review run together, not a phrase anyone wrote.
        terms = [str(vocabulary[i]) for i in top if score[i] > 0 and not _repeats(str(vocabulary[i]))][:10]
        label = _label(terms, {str(vocabulary[i]): float(share[i]) for i in top})
        out[theme] = (label, terms)
    return out


def _label(terms: list[str], share: dict[str, float]) -> str:
    """The best-scoring two-word phrase that a quarter of the members use, else the best word that
    a third use: words the customers wrote, not a summary of ours."""
    phrase = next((t for t in terms if " " in t and share.get(t, 0.0) >= 0.25), None)
    word = next((t for t in terms if share.get(t, 0.0) >= 1 / 3), None)
    return phrase or word or (terms[0] if terms else "other")


def agreement_share(found: Found, texts: dict[int, str]) -> float:
    """The share of a theme's members that contain every word of its label (the label relevance
    measure of the benchmark)."""
    words = set(words_of(found.label))
    if not found.members or not words:
        return 0.0
    hits = sum(1 for fid, _c in found.members if words <= set(words_of(texts.get(fid, ""))))
    return hits / len(found.members)


def _repeats(term: str) -> bool:
    words = term.split()
    return len(words) != len(set(words))


def _plain(text: str) -> str:
    """Lower case without apostrophes: "didn't" is one word ("didnt", a stop word), not "didn"."""
    return re.sub(r"['’]", "", text.lower())


def words_of(text: str) -> list[str]:
    """The words of a text as the labels see them (lower case, letters only)."""
    return re.findall(TOKENS, _plain(text))
