"""Feedback import: check every row of a file, then write them all in one transaction, or none.

One orchestrator, `import_file`, for the API, the command line and the import jobs of the web page.
The file is read once: the check pass converts each row with the insight rules
(app/insights/bulk.py), counts what would be imported, skipped and refused, and keeps the checked
rows in a file beside the upload; the write (only when no row was refused) hands those rows to the
insights' bulk writer in one transaction.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.audit import service as audit_service
from app.core import db
from app.core.errors import ValidationFailed
from app.core.types import check_line, check_text
from app.imports import reader
from app.insights import bulk as insight_bulk
from app.insights import permissions as insight_permissions
from app.insights.models import Channel, ScoreScale, Sentiment
from app.insights.tags import parse_tags
from app.limits import service as write_limits
from app.people.models import Department, Person

BATCH = insight_bulk.BATCH
ERRORS_KEPT = 1000

# field -> (label, longest value). The insight's own text fields take the insight's limits and
# checks (insight_bulk.TEXT_RULES); the rest are read and converted here. `quote` is the one field
# every import needs.
FIELDS: dict[str, tuple[str, int]] = {
    "quote": ("Customer's words", insight_bulk.TEXT_RULES["quote"][0]),  # narratives run long: kept whole
    "title": ("Title", insight_bulk.TEXT_RULES["title"][0]),
    "body": ("Notes", insight_bulk.TEXT_RULES["body"][0]),
    "external_id": ("Reference (answer or ticket id)", insight_bulk.TEXT_RULES["external_id"][0]),
    "score": ("Score (rating 1-5 or NPS 0-10)", 10),
    "sentiment": ("Sentiment", 10),
    "received_at": ("Date received", 40),
    "product_area": ("Product area", insight_bulk.TEXT_RULES["product_area"][0]),
    "segment": ("Customer segment", insight_bulk.TEXT_RULES["segment"][0]),
    "department": ("Department", 120),
    "tags": ("Tags (comma separated)", 2000),
}
DERIVED_TITLE_LENGTH = 80
# Each insight text field's own check, and a department's name is one line too; the other fields are
# plain text until converted.
_CHECKS = {name: check for name, (_limit, check) in insight_bulk.TEXT_RULES.items()}
_CHECKS["department"] = check_line


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
    path: Path,
    mapping: dict[str, str],
    *,
    channel: Channel,
    skip_empty: bool = False,
    file_name: str = "",
    table: reader.Table | None = None,
) -> Plan:
    """Checks the mapping against the file's columns (the file itself is read in `check`). `table`:
    the file's format and header when already read (an import job keeps them from the upload)."""
    table = table or reader.inspect(path)
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
            raw[name] = _CHECKS.get(name, check_text)(value)
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
    if len(values["tags"]) > insight_bulk.MAX_TAGS:
        raise ValueError(f"more than {insight_bulk.MAX_TAGS} tags")
    values["content_key"] = insight_bulk.content_key(
        plan.channel.value, values["quote"], values["received_at"]
    )
    return values


def _rows(plan: Plan, departments: dict[str, int]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(row number, values or None, error message) for each row of the file."""
    for number, cells in reader.rows(plan.path, plan.table):
        try:
            yield number, _convert(plan, cells, departments), ""
        except ValueError as exc:
            yield number, None, str(exc)


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
    already = insight_bulk.AlreadyThere(session, plan.channel)
    scores_beyond_rating = False

    def flush_pending() -> None:
        outcome.skipped_duplicates += len(insight_bulk.existing_references(session, plan.channel, pending))
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
    try:
        writer = insight_bulk.FeedbackWriter(session, author=actor, channel=plan.channel, scale=scale)
        for values in _kept_rows(checked):
            writer.add(values)
        imported, skipped = writer.finish()
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
    insight_bulk.after_commit(session, imported)
    return imported, skipped


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
