"""Many feedback insights at once (the feedback import): the insight rules for each row's values, and
one writer that inserts them in the caller's transaction with bulk inserts (one INSERT per 1,000 rows,
not one ORM object per row: 18 s for 100,000 rows through the ORM, under 4 s here).

The writer owns what makes a row an insight: ids, tags, the search outbox row, the sentiment a score
gives, and the rows already in the portal (by the channel's reference, or by the same words on the
same day from the same channel) that are skipped rather than doubled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, cast, get_args

from pydantic import AfterValidator
from sqlalchemy import Table, func, insert, text
from sqlmodel import Session, col, select

from app.core import bulk, db
from app.core.models import utcnow
from app.insights.models import Channel, Insight, InsightTag, Kind, ScoreScale, Sentiment, Status, Tag
from app.insights.schemas import InsightFields
from app.people.models import Person
from app.search import outbox

BATCH = 1000
INSIGHT_TABLE: Table = Insight.__table__  # type: ignore[attr-defined]
TAG_TABLE: Table = Tag.__table__  # type: ignore[attr-defined]
INSIGHT_TAG_TABLE: Table = InsightTag.__table__  # type: ignore[attr-defined]
# An import this large changes the table enough that the query planner's statistics go stale
# (the lists then sort every row instead of reading the index they have).
STATISTICS_AFTER = 1000

# The insight columns filled per row; the rest are the same on every row of one write.
ROW_COLUMNS = (
    "id", "title", "quote", "body", "external_id", "product_area", "segment", "score", "score_scale",
    "sentiment", "received_at", "department_id", "content_key",
)  # fmt: skip


def _unchanged(value: str) -> str:
    return value


def _rule(name: str) -> tuple[int, Callable[[str], str]]:
    """The longest value and the text check of an insight field, as InsightFields declares them."""
    info = InsightFields.model_fields[name]
    metadata = list(info.metadata)
    for arg in get_args(info.annotation):  # `Line | None`: the checks sit on the Annotated member
        metadata += list(getattr(arg, "__metadata__", ()))
    limit: int = next(m.max_length for m in metadata if hasattr(m, "max_length"))
    checks = [m.func for m in metadata if isinstance(m, AfterValidator)]
    return limit, cast(Callable[[str], str], checks[0]) if checks else _unchanged


# The text fields a feedback row fills: each value's longest length and check (no control
# characters; a line has no line breaks), the same as for an insight made on the form or the API.
TEXT_RULES: dict[str, tuple[int, Callable[[str], str]]] = {
    name: _rule(name) for name in ("quote", "title", "body", "external_id", "product_area", "segment")
}
MAX_TAGS = InsightFields.model_fields["tags"].metadata[0].max_length


def sentiment_from_score(score: int, scale: ScoreScale) -> Sentiment:
    """Feedback imported with a score and no sentiment: low is negative, high is positive."""
    low, high = (2, 4) if scale == ScoreScale.rating else (6, 9)
    if score <= low:
        return Sentiment.negative
    return Sentiment.positive if score >= high else Sentiment.neutral


def content_key(channel: str, quote: str, received: dt.date | None) -> str:
    """What makes a row "the same feedback" when the file has no reference: the channel, the day it
    was received and the words (spacing and case aside). Kept in `insight.content_key`; the
    migration that added the column computes it the same way for earlier imports."""
    words = " ".join(quote.split()).casefold()
    day = received.isoformat() if received else ""
    return hashlib.sha1(f"{channel}\x1f{day}\x1f{words}".encode(), usedforsecurity=False).hexdigest()


class AlreadyThere:
    """Rows without a reference that are already in the portal: the same words on the same day
    from the same channel. Counted, not just looked up: if the portal holds a text twice and the
    file three times, one of the three is new."""

    def __init__(self, session: Session, channel: Channel) -> None:
        self.session, self.channel = session, channel
        self.left: dict[str, int] = {}

    def load(self, keys: Iterable[str]) -> None:
        unknown = sorted(set(keys) - set(self.left))
        if not unknown:
            return
        self.left.update(dict.fromkeys(unknown, 0))
        found = self.session.exec(
            select(Insight.content_key, func.count())
            .where(Insight.channel == self.channel, col(Insight.content_key).in_(unknown))
            .group_by(col(Insight.content_key))
        ).all()
        self.left.update({key: int(n) for key, n in found if key})

    def take(self, key: str) -> bool:
        """True (and one fewer left) when a row with this key is already there."""
        if self.left.get(key, 0) > 0:
            self.left[key] -= 1
            return True
        return False


def existing_references(session: Session, channel: Channel, references: list[str]) -> set[str]:
    """Which of these references of the channel are already in the portal."""
    if not references:
        return set()
    found = session.exec(
        select(Insight.external_id).where(
            Insight.channel == channel, col(Insight.external_id).in_(references)
        )
    ).all()
    return {r for r in found if r}


class FeedbackWriter:
    """Feedback rows (checked values: see ROW_COLUMNS, plus `tags`) written as insights of one
    channel, in the session's transaction, 1,000 at a time; `finish` writes the rest and says how
    many were written and how many were already there. The caller commits (or rolls back)."""

    def __init__(self, session: Session, *, author: Person, channel: Channel, scale: ScoreScale) -> None:
        assert author.id is not None
        self.session, self.channel, self.scale = session, channel, scale
        self.connection = session.connection()
        self.imported = self.skipped = 0
        self._batch: list[dict[str, Any]] = []
        self._tag_ids: dict[str, int] = {}
        self._already = AlreadyThere(session, channel)
        now = utcnow()
        self._now = now
        self._constants = {
            "kind": Kind.feedback,
            "status": Status.published,
            "channel": channel,
            "author_id": author.id,
            "created_at": now,
            "updated_at": now,
        }

    def add(self, values: dict[str, Any]) -> None:
        self._batch.append(values)
        if len(self._batch) >= BATCH:
            self._flush()

    def finish(self) -> tuple[int, int]:
        self._flush()
        return self.imported, self.skipped

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        existing = existing_references(
            self.session, self.channel, [v["external_id"] for v in batch if v["external_id"]]
        )
        self._already.load(v["content_key"] for v in batch if v["external_id"] is None)
        fresh = [v for v in batch if not self._already_there(v, existing)]
        self.skipped += len(batch) - len(fresh)
        if not fresh:
            return
        ids = self._reserve_ids(len(fresh))
        rows = [self._row(i, v) for i, v in zip(ids, fresh, strict=True)]
        bulk.insert_rows(self.connection, INSIGHT_TABLE, ROW_COLUMNS, rows, self._constants)
        self._link_tags([(i, v["tags"]) for i, v in zip(ids, fresh, strict=True)])
        outbox.enqueue_many(self.connection, "insight", ids, created_at=self._now)
        self.imported += len(ids)

    def _already_there(self, values: dict[str, Any], references: set[str]) -> bool:
        """By its reference, or, without one, by its words, day and channel."""
        if values["external_id"]:
            return values["external_id"] in references
        return self._already.take(values["content_key"])

    def _row(self, id_: int, v: dict[str, Any]) -> tuple[Any, ...]:
        """Plain values in ROW_COLUMNS order: no per-row ORM or type processing (app/core/bulk.py)."""
        score, sentiment = v["score"], v["sentiment"]
        if sentiment is None and score is not None:
            sentiment = sentiment_from_score(score, self.scale)
        received = v["received_at"]
        return (
            id_, v["title"], v["quote"], v["body"], v["external_id"], v["product_area"], v["segment"],
            score, self.scale.value if score is not None else None, sentiment.value if sentiment else None,
            bulk.bound(INSIGHT_TABLE, "received_at", received, self.connection) if received else None,
            v["department_id"], v["content_key"],
        )  # fmt: skip

    def _reserve_ids(self, count: int) -> list[int]:
        """Ids for `count` new insights. SQLite: the write lock (BEGIN IMMEDIATE) is ours, so the
        next ids are simply above the largest; PostgreSQL: taken from the table's own sequence."""
        if self.connection.dialect.name == "postgresql":
            rows = self.connection.execute(
                text("SELECT nextval(pg_get_serial_sequence('insight', 'id')) FROM generate_series(1, :n)"),
                {"n": count},
            )
            return [int(r[0]) for r in rows]
        largest = self.connection.execute(text("SELECT coalesce(max(id), 0) FROM insight")).scalar_one()
        return list(range(int(largest) + 1, int(largest) + 1 + count))

    def _link_tags(self, rows: list[tuple[int, list[str]]]) -> None:
        tag_ids = self._tag_ids
        names = {name for _, tags in rows for name in tags} - set(tag_ids)
        if names:
            for id_, name in self.session.exec(
                select(Tag.id, Tag.name).where(col(Tag.name).in_(names))
            ).all():
                tag_ids[name] = id_ or 0
            missing = sorted(names - set(tag_ids))
            if missing:
                self.connection.execute(insert(TAG_TABLE), [{"name": n} for n in missing])
                for id_, name in self.session.exec(
                    select(Tag.id, Tag.name).where(col(Tag.name).in_(missing))
                ).all():
                    tag_ids[name] = id_ or 0
        links = [(i, tag_ids[name]) for i, tags in rows for name in tags]
        bulk.insert_rows(self.connection, INSIGHT_TAG_TABLE, ("insight_id", "tag_id"), links)


def after_commit(session: Session, imported: int) -> None:
    """After a large write: fresh planner statistics for the insight table."""
    if imported >= STATISTICS_AFTER:
        db.refresh_statistics(session, INSIGHT_TABLE.name)
