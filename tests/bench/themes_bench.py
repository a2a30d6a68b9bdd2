"""`make bench` (themes part): the quality and the speed of the themes, on the shared reviews.

Quality, on the 22,641 reviews with words (each review's title and text, as feedback): agreement
with the reviews' own product classes (normalised mutual information) of the themes, against a
plain TF-IDF + k-means baseline with the same number of groups computed in the same run (on all
reviews, and on exactly the reviews the themes hold); coverage (the share of feedback in a theme);
label relevance (a label is relevant when at least half of its theme's feedback contains every
word of it).
Speed: `portal themes refresh` in its own process over `--rows` pieces of published feedback (the
reviews repeated, as the import benchmark does) in a scratch SQLite database: the time, and the
process's peak memory.
Run: python -m tests.bench.themes_bench --rows 100000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.bench.search_bench import load_reviews, say

TARGET_SECONDS = 60.0


def quality() -> None:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from app.themes import engine

    reviews = load_reviews()
    docs = [engine.Doc(id=n, text=f"{r['Title']}. {r['Review Text'].strip()}") for n, r in enumerate(reviews)]
    truth = {n: r["Class Name"] or "(none)" for n, r in enumerate(reviews)}
    began = time.perf_counter()
    found = engine.find_themes(docs)
    ours_seconds = time.perf_counter() - began
    theme_of = {fid: t for t, f in enumerate(found) for fid, _c in f.members}
    k = engine.theme_count(len(docs))
    began = time.perf_counter()
    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(
        d.text for d in docs
    )
    baseline = dict(
        zip(
            (d.id for d in docs),
            KMeans(n_clusters=k, random_state=0, n_init=1).fit_predict(matrix),
            strict=True,
        )
    )
    base_seconds = time.perf_counter() - began
    ids = [d.id for d in docs]
    held = [i for i in ids if i in theme_of]
    texts = {d.id: d.text for d in docs}
    shares = [engine.agreement_share(f, texts) for f in found]
    ours_held = nmi([truth[i] for i in held], [theme_of[i] for i in held])
    base_held = nmi([truth[i] for i in held], [baseline[i] for i in held])
    base_all = nmi([truth[i] for i in ids], [baseline[i] for i in ids])
    relevant = sum(s >= 0.5 for s in shares)
    say(f"Themes quality on {len(docs):,} reviews ({k} groups):")
    say(f"  agreement with the product classes (NMI), themes, on the feedback they hold: {ours_held:.3f}")
    say(f"  baseline TF-IDF + k-means, on the same feedback:                              {base_held:.3f}")
    say(f"  baseline, on all feedback:                                                    {base_all:.3f}")
    say(f"  coverage: {len(held) / len(ids):.1%} of feedback in {len(found)} themes")
    say(f"  label relevance: {relevant} of {len(found)} labels used by at least half their theme")
    say(f"  time: themes {ours_seconds:.1f} s, baseline {base_seconds:.1f} s")
    for f, share in list(zip(found, shares, strict=True))[:12]:
        say(f"    {f.size:6,}  {f.label!r:28} {share:.0%}  {', '.join(f.terms[:5])}")


def speed(rows: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="themes-bench-"))
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": f"sqlite:///{workdir / 'portal.db'}",
        "PORTAL_DATA_DIR": str(workdir / "data"),
    }
    subprocess.run(
        [sys.executable, "-c", f"from tests.bench.themes_bench import fill; fill({rows})"],
        env=env,
        check=True,
    )
    # The command in a process of its own, which reports its own peak memory when done.
    measure = (
        "import resource, sys; from app.cli import cli\n"
        "try:\n    cli(['themes', 'refresh'])\n"
        "except SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)"
    )
    began = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", measure], env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - began
    peak_mb = int(run.stderr.strip().splitlines()[-1])
    say(f"Themes over {rows:,} pieces of feedback: `portal themes refresh` {seconds:.1f} s in all")
    say(f"  (target {TARGET_SECONDS:.0f} s), peak memory {peak_mb:,} MB; it says: {run.stdout.strip()}")


def fill(rows: int) -> None:
    """(In a child process with the scratch PORTAL_* settings.) `rows` published feedback, the
    reviews repeated, received over the last 120 days."""
    from app import registry  # noqa: F401
    from app.core import migrate
    from app.core.db import new_session
    from app.insights.models import Channel, Insight, Kind, Sentiment, Status
    from app.people import service as people_service
    from app.people.schemas import PersonCreate

    migrate.upgrade()
    reviews = load_reviews()
    today = date.today()
    with new_session() as session:
        author = people_service.create(
            session, actor=None, data=PersonCreate(email="bench@example.test", name="Bench CX")
        )
        now = datetime.now(UTC)
        for start in range(0, rows, 10_000):
            for n in range(start, min(rows, start + 10_000)):
                review = reviews[n % len(reviews)]
                rating = int(review["Rating"] or 3)
                session.add(
                    Insight(
                        kind=Kind.feedback,
                        status=Status.published,
                        title=(review["Title"] or "Customer review")[:200],
                        quote=review["Review Text"].strip(),
                        channel=Channel.review,
                        sentiment=Sentiment.negative
                        if rating <= 2
                        else (Sentiment.positive if rating >= 4 else Sentiment.neutral),
                        received_at=today - timedelta(days=n % 120),
                        author_id=author.id or 0,
                        created_at=now,
                        updated_at=now,
                    )
                )
            session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    quality()
    speed(args.rows)


if __name__ == "__main__":
    main()
