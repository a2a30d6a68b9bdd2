"""Feedback import: check every row of a file, then write them all in one transaction, or none.

Two passes over the streamed file keep memory bounded: the first checks each row and counts what
would be imported, skipped and refused; the second (only when no row was refused) writes the rows
in batches with bulk inserts: one INSERT per 1,000 rows, not one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import bulk, db
from app.core.errors import ValidationFailed
from app.core.models import utcnow
from app.core.types import check_line, check_text
from app.imports import reader
from app.insights import permissions as insight_permissions
from app.insights.models import Channel, Insight, InsightTag, Kind, ScoreScale, Sentiment, Status, Tag
from app.insights.tags import parse_tags
from app.limits import service as write_limits
from app.people.models import Department, Person
from app.search.models import SearchOutbox

BATCH = 1000
INSIGHT_TABLE: Table = Insight.__table__  # type: ignore[attr-defined]
TAG_TABLE: Table = Tag.__table__  # type: ignore[attr-defined]
INSIGHT_TAG_TABLE: Table = InsightTag.__table__  # type: ignore[attr-defined]
OUTBOX_TABLE: Table = SearchOutbox.__table__  # type: ignore[attr-defined]
ERRORS_KEPT = 1000

# field -> (label, maximum length); `quote` is the one field every import needs.
FIELDS: dict[str, tuple[str, int]] = {
    "quote": ("Customer's words", 50_000),  # complaint narratives run long: kept whole
    "title": ("Title", 200),
    "body": ("Notes", 50_000),
    "external_id": ("Reference (answer or ticket id)", 120),
    "score": ("Score (rating 1-5 or NPS 0-10)", 10),
    "sentiment": ("Sentiment", 10),
    "received_at": ("Date received", 40),
    "product_area": ("Product area", 80),
    "segment": ("Customer segment", 80),
    "department": ("Department", 120),
    "tags": ("Tags (comma separated)", 2000),
}
LINE_FIELDS = {"title", "external_id", "product_area", "segment", "department"}
DERIVED_TITLE_LENGTH = 80


@dataclass
class Outcome:
    rows_read: int = 0
    imported: int = 0
    skipped_duplicates: int = 0
    skipped_empty: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    score_scale: ScoreScale | None = None
    dry_run: bool = False
    writing: bool = False  # every row is checked and fine; the write has begun

    def refuse(self, row: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"row": row, "message": message})


class ImportRejected(ValidationFailed):
    """Some rows are bad (listed in `outcome.errors`); nothing was imported."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        shown = "; ".join(f"row {e['row']}: {e['message']}" for e in outcome.errors[:5])
        more = outcome.error_count - min(outcome.error_count, 5)
        super().__init__(
            {
                "file": f"Nothing was imported: {outcome.error_count} rows need fixing. {shown}"
                + (f" (and {more} more)" if more else "")
            }
        )


@dataclass(frozen=True)
class Plan:
    """A mapping resolved against the file: which column index feeds which field."""

    path: Path
    table: reader.Table
    index: dict[str, int]
    channel: Channel
    skip_empty: bool
    file_name: str = ""  # the name the person's file had (an upload is stored under another)

    @property
    def name(self) -> str:
        return self.file_name or self.path.name


Progress = Callable[[Outcome], None]


def plan(
    path: Path, mapping: dict[str, str], *, channel: Channel, skip_empty: bool = False, file_name: str = ""
) -> Plan:
    """Checks the mapping against the file's columns (the file itself is read in `check`)."""
    table = reader.inspect(path)
    errors: dict[str, str] = {}
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        errors["mapping"] = f"Unknown fields: {', '.join(unknown)} (known: {', '.join(FIELDS)})."
    index: dict[str, int] = {}
    for name, column in mapping.items():
        if name not in FIELDS or not column:
            continue
        if column not in table.columns:
            errors[name] = f"The file has no column “{column}” (columns: {', '.join(table.columns)})."
        else:
            index[name] = table.columns.index(column)
    if "quote" not in index and "quote" not in errors:
        errors["quote"] = "Choose the column that holds the customer's words."
    ValidationFailed.unless_empty(errors)
    return Plan(path, table, index, channel, skip_empty, file_name)


def _departments(session: Session) -> dict[str, int]:
    return {
        name.casefold(): id_
        for id_, name in session.exec(select(Department.id, Department.name)).all()
        if id_
    }


def _parse_score(raw: str) -> int:
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        raise ValueError(f"score “{raw}” is not a number") from None
    if not number.is_integer() or not 0 <= number <= 10:
        raise ValueError(f"score {raw} must be a whole number from 0 to 10")
    return int(number)


def _parse_date(raw: str) -> dt.date:
    text = raw.strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for pattern in ("%d.%m.%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"date “{raw}” is not a date like 2026-03-31")


def _derived_title(quote: str) -> str:
    first = " ".join(quote.split())
    if len(first) <= DERIVED_TITLE_LENGTH:
        return first
    cut = first[:DERIVED_TITLE_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"


def _convert(plan: Plan, cells: list[str], departments: dict[str, int]) -> dict[str, Any] | None:
    """The insight values for one row; None when it has no customer's words. Raises ValueError."""
    raw = {name: (cells[i] if i < len(cells) else "") for name, i in plan.index.items()}
    for name, value in raw.items():
        limit = FIELDS[name][1]
        if len(value) > limit:
            raise ValueError(f"{FIELDS[name][0].lower()} is longer than {limit} characters")
        try:
            raw[name] = check_line(value) if name in LINE_FIELDS else check_text(value)
        except ValueError as exc:
            raise ValueError(f"{FIELDS[name][0].lower()} {exc}") from None
    if not raw["quote"]:
        return None
    values: dict[str, Any] = {
        "quote": raw["quote"],
        "title": raw.get("title") or _derived_title(raw["quote"]),
        "body": raw.get("body", ""),
        "external_id": raw.get("external_id") or None,
        "product_area": raw.get("product_area", ""),
        "segment": raw.get("segment", ""),
        "score": _parse_score(raw["score"]) if raw.get("score") else None,
        "sentiment": None,
        "received_at": _parse_date(raw["received_at"]) if raw.get("received_at") else None,
        "department_id": None,
        "tags": parse_tags(raw["tags"].replace(";", ",")) if raw.get("tags") else [],
    }
    if raw.get("sentiment"):
        try:
            values["sentiment"] = Sentiment(raw["sentiment"].casefold())
        except ValueError:
            raise ValueError(f"sentiment “{raw['sentiment']}” is not negative, neutral or positive") from None
    if raw.get("department"):
        department_id = departments.get(raw["department"].casefold())
        if department_id is None:
            raise ValueError(f"there is no department called “{raw['department']}”")
        values["department_id"] = department_id
    if len(values["tags"]) > 20:
        raise ValueError("more than 20 tags")
    values["content_key"] = content_key(plan.channel.value, values["quote"], values["received_at"])
    return values


def _sentiment_from_score(score: int, scale: ScoreScale) -> Sentiment:
    low, high = (2, 4) if scale == ScoreScale.rating else (6, 9)
    if score <= low:
        return Sentiment.negative
    return Sentiment.positive if score >= high else Sentiment.neutral


def _rows(plan: Plan, departments: dict[str, int]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(row number, values or None, error message) for each row of the file."""
    for number, cells in reader.rows(plan.path, plan.table):
        try:
            yield number, _convert(plan, cells, departments), ""
        except ValueError as exc:
            yield number, None, str(exc)


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


def _is_there(values: dict[str, Any], references: set[str], already: AlreadyThere) -> bool:
    """Whether a checked row is in the portal already: by its reference, or, without one, by its
    words, day and channel."""
    if values["external_id"]:
        return values["external_id"] in references
    return already.take(values["content_key"])


def _existing_references(session: Session, channel: Channel, references: list[str]) -> set[str]:
    if not references:
        return set()
    found = session.exec(
        select(Insight.external_id).where(
            Insight.channel == channel, col(Insight.external_id).in_(references)
        )
    ).all()
    return {r for r in found if r}


def check(
    session: Session,
    *,
    actor: Person,
    plan: Plan,
    progress: Progress | None = None,
    keep: Path | None = None,
) -> Outcome:
    """Reads and checks every row; writes nothing. The outcome says what an import would do.
    With `keep`, the checked rows are also kept in that file for `write` (so the import does not
    read and convert the file a second time: 1 s of 2.5 s for 100,000 rows)."""
    insight_permissions.check(actor, "create")
    kept: list[dict[str, Any]] = []
    spill = keep.open("wb") if keep is not None else None

    def keep_batch() -> None:
        if spill is not None and kept:
            pickle.dump(kept, spill, protocol=pickle.HIGHEST_PROTOCOL)
        kept.clear()

    departments = _departments(session)
    outcome = Outcome(dry_run=True)
    first_seen: dict[str, int] = {}
    pending: list[str] = []
    unreferenced: list[str] = []
    already = AlreadyThere(session, plan.channel)
    scores_beyond_rating = False

    def flush_pending() -> None:
        outcome.skipped_duplicates += len(_existing_references(session, plan.channel, pending))
        pending.clear()
        already.load(unreferenced)
        outcome.skipped_duplicates += sum(already.take(key) for key in unreferenced)
        unreferenced.clear()

    for number, values, error in _rows(plan, departments):
        outcome.rows_read += 1
        if error:
            outcome.refuse(number, error)
        elif values is None:
            if plan.skip_empty:
                outcome.skipped_empty += 1
            else:
                outcome.refuse(number, "the customer's words are empty")
        else:
            if values["score"] is not None and not 1 <= values["score"] <= 5:
                scores_beyond_rating = True
            reference = values["external_id"]
            if reference and reference in first_seen:
                outcome.refuse(number, f"reference “{reference}” is also on row {first_seen[reference]}")
            elif reference:
                first_seen[reference] = number
                pending.append(reference)
            else:
                unreferenced.append(values["content_key"])
            if len(pending) + len(unreferenced) >= BATCH:
                flush_pending()
            if spill is not None and not outcome.error_count:
                kept.append(values)
                if len(kept) >= BATCH:
                    keep_batch()
        if progress is not None and outcome.rows_read % BATCH == 0:
            progress(outcome)
    flush_pending()
    keep_batch()
    if spill is not None:
        spill.close()
    outcome.score_scale = ScoreScale.nps if scores_beyond_rating else ScoreScale.rating
    if outcome.rows_read == 0:
        raise ValidationFailed({"file": "The file has a header row but no rows of feedback."})
    return outcome


# The insight columns an import fills per row; the rest are the same on every row (`write`).
ROW_COLUMNS = (
    "id", "title", "quote", "body", "external_id", "product_area", "segment", "score", "score_scale",
    "sentiment", "received_at", "department_id", "content_key",
)  # fmt: skip


def _kept_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        while True:
            try:
                yield from pickle.load(f)  # our own file, written by `check` moments ago
            except EOFError:
                return


def write(
    session: Session, *, actor: Person, plan: Plan, scale: ScoreScale, checked: Path
) -> tuple[int, int]:
    """Writes the rows `check` kept in `checked` that are not yet in the portal, in this session's
    one transaction, and commits. Returns (imported, skipped as already there).
    Call only after `check` found no bad row."""
    insight_permissions.check(actor, "create")
    assert actor.id is not None
    connection = session.connection()
    tag_ids: dict[str, int] = {}
    imported = skipped = 0
    now = utcnow()
    constants = {
        "kind": Kind.feedback,
        "status": Status.published,
        "channel": plan.channel,
        "author_id": actor.id,
        "created_at": now,
        "updated_at": now,
    }
    outbox_constants = {"entity_type": "insight", "op": "upsert", "created_at": now, "attempts": 0}
    batch: list[dict[str, Any]] = []
    already = AlreadyThere(session, plan.channel)

    def flush() -> None:
        nonlocal imported, skipped
        if not batch:
            return
        existing = _existing_references(
            session, plan.channel, [v["external_id"] for v in batch if v["external_id"]]
        )
        already.load(v["content_key"] for v in batch if v["external_id"] is None)
        fresh = [v for v in batch if not _is_there(v, existing, already)]
        skipped += len(batch) - len(fresh)
        batch.clear()
        if not fresh:
            return
        ids = _reserve_ids(session, len(fresh))
        rows = []
        for id_, v in zip(ids, fresh, strict=True):
            score, sentiment = v["score"], v["sentiment"]
            if sentiment is None and score is not None:
                sentiment = _sentiment_from_score(score, scale)
            received = v["received_at"]
            rows.append(
                (
                    id_, v["title"], v["quote"], v["body"], v["external_id"], v["product_area"],
                    v["segment"], score, scale.value if score is not None else None,
                    sentiment.value if sentiment else None,
                    bulk.bound(INSIGHT_TABLE, "received_at", received, connection) if received else None,
                    v["department_id"], v["content_key"],
                )
            )  # fmt: skip
        # Explicit ids and plain tuples: one executemany, no RETURNING, no per-row ORM or type
        # processing (18 s for 100,000 rows through the ORM; 4 s through Core; see app/core/bulk.py).
        bulk.insert_rows(connection, INSIGHT_TABLE, ROW_COLUMNS, rows, constants)
        _link_tags(session, [(i, v["tags"]) for i, v in zip(ids, fresh, strict=True)], tag_ids)
        bulk.insert_rows(connection, OUTBOX_TABLE, ("entity_id",), [(i,) for i in ids], outbox_constants)
        imported += len(ids)

    try:
        for values in _kept_rows(checked):
            batch.append(values)
            if len(batch) >= BATCH:
                flush()
        flush()
        # Counted in this same transaction, at its end: the count takes the person's row lock, which
        # is then held for the commit only, not for the whole write.
        write_limits.check(session, person=actor, action="upload")
        audit_service.record(
            session,
            actor,
            "import",
            entity_type="insight",
            summary=f"Imported {imported} {plan.channel.value} feedback from {plan.name}; "
            f"{skipped} already there",
            details={"imported": imported, "skipped_duplicates": skipped, "channel": plan.channel.value},
        )
        db.commit(session)
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed(
            {
                "file": "Another import added some of these rows meanwhile; nothing was imported. "
                "Import the file again: the rows already there will be skipped."
            }
        ) from exc
    except BaseException:
        session.rollback()
        raise
    if imported >= STATISTICS_AFTER:
        db.refresh_statistics(session, INSIGHT_TABLE.name)
    return imported, skipped


# An import this large changes the table enough that the query planner's statistics go stale
# (the lists then sort every row instead of reading the index they have).
STATISTICS_AFTER = 1000


def _reserve_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new insights. SQLite: the write lock (BEGIN IMMEDIATE) is ours, so the next
    ids are simply above the largest; PostgreSQL: taken from the table's own sequence."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('insight', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        )
        return [int(r[0]) for r in rows]
    largest = connection.execute(text("SELECT coalesce(max(id), 0) FROM insight")).scalar_one()
    return list(range(int(largest) + 1, int(largest) + 1 + count))


def _link_tags(session: Session, rows: list[tuple[int, list[str]]], tag_ids: dict[str, int]) -> None:
    names = {name for _, tags in rows for name in tags} - set(tag_ids)
    if names:
        for id_, name in session.exec(select(Tag.id, Tag.name).where(col(Tag.name).in_(names))).all():
            tag_ids[name] = id_ or 0
        missing = sorted(names - set(tag_ids))
        if missing:
            session.connection().execute(insert(TAG_TABLE), [{"name": n} for n in missing])
            for id_, name in session.exec(select(Tag.id, Tag.name).where(col(Tag.name).in_(missing))).all():
                tag_ids[name] = id_ or 0
    links = [(i, tag_ids[name]) for i, tags in rows for name in tags]
    bulk.insert_rows(session.connection(), INSIGHT_TAG_TABLE, ("insight_id", "tag_id"), links)


def import_file(
    session: Session,
    *,
    actor: Person,
    plan: Plan,
    dry_run: bool = False,
    progress: Progress | None = None,
    reading: Session | None = None,
) -> Outcome:
    """Check, then (unless a dry run) write. Raises ImportRejected when any row is bad. `progress`
    hears of every 1,000 rows checked, and once more when the write begins (`writing`).
    With `reading` (a read session) the check pass reads there: on SQLite a dry run of 150,000 rows
    otherwise held the write lock for 13 s, and every other write meanwhile failed."""
    checked = checked_rows_path(plan)
    reader = reading or session
    try:
        outcome = check(reader, actor=actor, plan=plan, progress=progress, keep=None if dry_run else checked)
        if reader is not session:
            reader.rollback()  # the read ends here, before any write begins
        if outcome.error_count:
            raise ImportRejected(outcome)
        outcome.imported = outcome.rows_read - outcome.skipped_empty - outcome.skipped_duplicates
        if dry_run:
            return outcome
        outcome.writing = True
        if progress is not None:
            progress(outcome)
        outcome.dry_run = False
        session.rollback()  # end the checking read before the write transaction begins
        outcome.imported, outcome.skipped_duplicates = write(
            session, actor=actor, plan=plan, scale=outcome.score_scale or ScoreScale.rating, checked=checked
        )
        return outcome
    finally:
        checked.unlink(missing_ok=True)


def checked_rows_path(plan: Plan) -> Path:
    """Where `check` keeps the checked rows of a file for `write`: beside the file, removed after."""
    return plan.path.with_name(plan.path.name + ".checked")
