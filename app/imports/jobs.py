"""Import jobs: a file uploaded on the web, mapped on a page, then checked and imported in the
background while the page shows how far it got.

The runner (`app/imports/worker.py`) claims one queued job at a time with a conditional UPDATE, so
several processes may run it. Pass 1 (check) reads on a read session and commits its counters in
short write transactions every 1,000 rows; pass 2 (write) is one transaction for the whole file, as
in the API and the command line: all rows or none.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select, update

from app.core import db
from app.core.access import owns_or_admin
from app.core.config import get_settings
from app.core.db import owns_transaction
from app.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    StorageFull,
    ValidationFailed,
    is_disk_full,
)
from app.core.models import aware, utcnow
from app.imports import reader
from app.imports import service as import_service
from app.imports.models import ImportJob, JobStatus
from app.insights import permissions as insight_permissions
from app.insights.models import Channel
from app.people.models import Person

log = logging.getLogger("portal.imports")

CHUNK = 1024 * 1024
MIN_FREE_AFTER_UPLOAD = 200 * 1024 * 1024
# A job whose counters have not moved for this long lost its process (a restart, a crash).
STALE_AFTER = timedelta(minutes=15)
# Uploaded files wait this long to be mapped or imported; then the file is removed.
KEEP_FILES_FOR = timedelta(days=7)
LIST_LIMIT = 50

# Column names that usually hold a field, in the exports CX teams work with (survey tools,
# help desks, review sites); the first column whose name matches is suggested on the mapping page.
GUESSES: dict[str, tuple[str, ...]] = {
    "quote": (
        "review text",
        "comment",
        "comments",
        "feedback",
        "verbatim",
        "answer",
        "response",
        "message",
        "text",
        "review",
        "description",
        "body",
    ),
    "title": ("title", "subject", "summary", "headline"),
    "external_id": ("response id", "ticket id", "review id", "answer id", "id", "reference", "ticket"),
    "score": ("rating", "score", "nps", "stars", "csat"),
    "sentiment": ("sentiment",),
    "received_at": ("date", "received", "submitted", "created", "created at", "date submitted"),
    "product_area": ("product area", "product", "category", "class name"),
    "segment": ("segment", "customer segment", "plan", "tier"),
    "department": ("department",),
    "tags": ("tags", "labels", "topics"),
}


def folder() -> Path:
    path = get_settings().data_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(job: ImportJob) -> Path:
    return folder() / job.stored_name


def _check_may_import(actor: Person) -> None:
    insight_permissions.check(actor, "create")


@owns_transaction
def upload(session: Session, *, actor: Person, file_name: str, source: BinaryIO) -> ImportJob:
    """Keeps the file, reads its header, and opens a job waiting for its mapping."""
    _check_may_import(actor)
    assert actor.id is not None
    target = folder()
    if shutil.disk_usage(target).free < MIN_FREE_AFTER_UPLOAD:
        raise StorageFull()
    stored_name = f"{secrets.token_hex(16)}.upload"
    path = target / stored_name
    try:
        with path.open("wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        table = reader.inspect(path)
        total = reader.count_rows(path, table)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job = ImportJob(
        created_by_id=actor.id,
        file_name=Path(file_name or "upload").name[:255],
        stored_name=stored_name,
        file_format=table.file_format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=table.columns,
        rows_total=total,
        mapping=guess_mapping(table.columns),
    )
    session.add(job)
    db.commit(session)
    session.refresh(job)
    return job


def guess_mapping(columns: list[str]) -> dict[str, str]:
    by_name = {c.casefold(): c for c in columns}
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for field, names in GUESSES.items():
        for name in names:
            column = by_name.get(name)
            if column and column not in taken:
                mapping[field] = column
                taken.add(column)
                break
    return mapping


def table_of(job: ImportJob) -> reader.Table:
    return reader.Table(job.file_format, job.encoding, job.delimiter, list(job.columns))


def preview(job: ImportJob) -> list[list[str]]:
    if not stored_path(job).exists():
        return []
    return reader.preview(stored_path(job), table_of(job))


def get(session: Session, *, actor: Person, job_id: int) -> ImportJob:
    """CX staff see every import (they share the work); others none."""
    _check_may_import(actor)
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("There is no such import.")
    return job


def list_jobs(session: Session, *, actor: Person) -> list[ImportJob]:
    _check_may_import(actor)
    query = select(ImportJob).order_by(col(ImportJob.created_at).desc(), col(ImportJob.id).desc())
    return list(session.exec(query.limit(LIST_LIMIT)).all())


def uploaders(session: Session) -> dict[int, str]:
    """The names of the people who uploaded the listed files."""
    found = session.exec(
        select(Person.id, Person.name).where(col(Person.id).in_(select(ImportJob.created_by_id).distinct()))
    ).all()
    return {id_: name for id_, name in found if id_}


def can_start(job: ImportJob) -> bool:
    """A job can be (re)started while its file is here: after upload, a dry run or a refused check."""
    if job.status == JobStatus.mapping or job.status == JobStatus.failed and not job.imported:
        return stored_path(job).exists()
    return job.status == JobStatus.done and job.dry_run and stored_path(job).exists()


@dataclass(frozen=True)
class StartRequest:
    mapping: dict[str, str]
    channel: Channel
    skip_empty: bool
    dry_run: bool


@owns_transaction
def start(session: Session, *, actor: Person, job_id: int, request: StartRequest) -> ImportJob:
    """Checks the mapping against the file and queues the job. The person who uploaded the file
    (or an admin) starts it."""
    job = get(session, actor=actor, job_id=job_id)
    if not owns_or_admin(actor, job.created_by_id):
        raise PermissionDenied("Only the person who uploaded this file can start its import.")
    if not can_start(job):
        raise ValidationFailed({"file": "This import has already run; upload the file again to repeat it."})
    mapping = {k: v for k, v in request.mapping.items() if v}
    import_service.plan(
        stored_path(job), mapping, channel=request.channel, skip_empty=request.skip_empty, table=table_of(job)
    )
    job.mapping = mapping
    job.channel = request.channel.value
    job.skip_empty = request.skip_empty
    job.dry_run = request.dry_run
    job.status = JobStatus.queued
    job.rows_read = job.imported = job.skipped_duplicates = job.skipped_empty = job.error_count = 0
    job.errors = []
    job.message = ""
    job.finished_at = None
    job.updated_at = utcnow()
    session.add(job)
    db.commit(session)
    return job


def queued_count(session: Session) -> int:
    """Jobs waiting for a runner (for /healthz)."""
    return session.exec(
        select(func.count()).select_from(ImportJob).where(ImportJob.status == JobStatus.queued)
    ).one()


def claim_next(session: Session) -> int | None:
    """Takes the oldest queued job for this process; None when there is none (or another took it)."""
    job_id = session.exec(
        select(ImportJob.id).where(ImportJob.status == JobStatus.queued).order_by(col(ImportJob.id))
    ).first()
    if job_id is None:
        session.rollback()
        return None
    claimed = session.exec(
        update(ImportJob)
        .where(col(ImportJob.id) == job_id, col(ImportJob.status) == JobStatus.queued)
        .values(status=JobStatus.checking, updated_at=utcnow())
    )
    db.commit(session)
    return job_id if claimed.rowcount == 1 else None


SAVE_ATTEMPTS = 8  # waits of 0.5, 1, 2, 4, 8, 10, 10 s between them (plus each try's busy timeout)


def _save(writer: Session, job_id: int, **values: object) -> None:
    """Saves the job's state in a short transaction of its own, retried: another import's write
    may hold the SQLite write lock for longer than the busy timeout, and no job may be left
    "checking" with no word of what happened (3 jobs started together left 2 stuck so before)."""
    for attempt in range(SAVE_ATTEMPTS):
        try:
            _write_state(writer, job_id, values)
            return
        except OperationalError:
            writer.rollback()
            if attempt == SAVE_ATTEMPTS - 1:
                raise
            time.sleep(min(0.5 * 2**attempt, 10))


def _save_progress(writer: Session, job_id: int, outcome: import_service.Outcome) -> None:
    """The counters while checking: skipped when the write lock is busy, as the next save comes
    1,000 rows later."""
    try:
        _write_state(writer, job_id, _counters(outcome))
    except OperationalError:
        writer.rollback()


def _write_state(writer: Session, job_id: int, values: dict[str, object]) -> None:
    writer.exec(update(ImportJob).where(col(ImportJob.id) == job_id).values(updated_at=utcnow(), **values))
    db.commit(writer)


def _counters(outcome: import_service.Outcome) -> dict[str, object]:
    return {
        "rows_read": outcome.rows_read,
        "skipped_duplicates": outcome.skipped_duplicates,
        "skipped_empty": outcome.skipped_empty,
        "error_count": outcome.error_count,
    }


def process(job_id: int, *, reader_session: Session, writer: Session) -> None:
    """Runs one claimed job to its end (done or failed); never raises for a bad file. The import
    itself is `import_service.import_file`, as for the API and the command line; the job saves its
    counters as the check goes, and its state when the write begins and ends."""
    job = writer.get(ImportJob, job_id)
    assert job is not None
    try:
        actor = writer.get(Person, job.created_by_id)
        if actor is None or not actor.is_active:
            raise PermissionDenied("The person who started this import can no longer import.")
        plan = import_service.plan(
            stored_path(job),
            dict(job.mapping),
            channel=Channel(job.channel),
            skip_empty=job.skip_empty,
            file_name=job.file_name,
            table=table_of(job),  # read at upload: the file is not opened again for its header
        )

        def progress(outcome: import_service.Outcome) -> None:
            if outcome.writing:  # every row is checked and fine: the one write transaction begins
                _save(
                    writer,
                    job_id,
                    **_counters(outcome),
                    imported=outcome.imported,
                    status=JobStatus.importing,
                )
            else:
                _save_progress(writer, job_id, outcome)

        try:
            outcome = import_service.import_file(
                writer, actor=actor, plan=plan, dry_run=job.dry_run, progress=progress, reading=reader_session
            )
        except import_service.ImportRejected as rejected:
            _save(
                writer,
                job_id,
                **_counters(rejected.outcome),
                errors=rejected.outcome.errors,
                status=JobStatus.failed,
                finished_at=utcnow(),
                message=f"{rejected.outcome.error_count} rows need fixing; nothing was imported.",
            )
            return
        if job.dry_run:
            _save(
                writer,
                job_id,
                **_counters(outcome),
                imported=outcome.imported,
                status=JobStatus.done,
                finished_at=utcnow(),
                message="Dry run: every row is fine; nothing was imported yet.",
            )
            return
        _save(
            writer,
            job_id,
            imported=outcome.imported,
            skipped_duplicates=outcome.skipped_duplicates,
            status=JobStatus.done,
            finished_at=utcnow(),
            message="",
        )
        stored_path(job).unlink(missing_ok=True)
    except DomainError as exc:
        _fail(writer, job_id, exc.message)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        _fail(writer, job_id, StorageFull().message)
    except Exception:
        # The job id only: the file holds customers' words, which stay out of the log.
        log.exception("import job failed", extra={"event": "import.failed", "job_id": job_id})
        _fail(
            writer,
            job_id,
            "Something went wrong while importing; nothing was imported. Try again, "
            "or ask an administrator to look at the log.",
        )


def _fail(writer: Session, job_id: int, message: str) -> None:
    writer.rollback()
    _save(writer, job_id, status=JobStatus.failed, finished_at=utcnow(), imported=0, message=message[:1000])


def tidy(session: Session) -> None:
    """Requeues jobs whose process stopped, and removes files left waiting for a week."""
    now = utcnow()
    stale = session.exec(
        select(ImportJob).where(col(ImportJob.status).in_([JobStatus.checking, JobStatus.importing]))
    ).all()
    for job in stale:
        if aware(job.updated_at) < now - STALE_AFTER:
            job.status, job.updated_at = JobStatus.queued, now
            session.add(job)
    waiting = session.exec(
        select(ImportJob).where(
            col(ImportJob.status).in_([JobStatus.mapping, JobStatus.done, JobStatus.failed])
        )
    ).all()
    for job in waiting:
        if aware(job.updated_at) < now - KEEP_FILES_FOR and stored_path(job).exists():
            stored_path(job).unlink(missing_ok=True)
            if job.status == JobStatus.mapping:
                job.status, job.message = JobStatus.failed, "The file waited a week without an import."
                job.updated_at = now
                session.add(job)
    db.commit(session)
