"""Import jobs: upload, map, check or import in the background, and the pages that show it."""

from __future__ import annotations

import errno
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.core.errors import PermissionDenied, ValidationFailed
from app.imports import jobs
from app.imports.models import ImportJob, JobStatus
from app.insights.models import Channel, Insight
from app.people.models import Person
from tests.browser import Browser
from tests.imports.test_import import REVIEW_MAP, review_rows, write_csv, xlsx_bytes


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    import csv

    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def uploaded(db: Session, actor: Person, rows: list[list[str]], name: str = "reviews.csv") -> ImportJob:
    return jobs.upload(db, actor=actor, file_name=name, source=io.BytesIO(csv_bytes(rows)))


def start(db: Session, actor: Person, job: ImportJob, *, dry_run: bool, **mapping: str) -> ImportJob:
    assert job.id is not None
    request = jobs.StartRequest(
        mapping=mapping or REVIEW_MAP, channel=Channel.review, skip_empty=False, dry_run=dry_run
    )
    return jobs.start(db, actor=actor, job_id=job.id, request=request)


def run_queued(db: Session) -> ImportJob:
    job_id = jobs.claim_next(db)
    assert job_id is not None
    jobs.process(job_id, reader_session=db, writer=db)
    job = db.get(ImportJob, job_id)
    assert job is not None
    db.refresh(job)
    return job


def insight_count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Insight)).one()


# --- services ----------------------------------------------------------------------------------------


def test_an_upload_is_inspected_counted_and_its_columns_guessed(db: Session, cx: Person) -> None:
    job = uploaded(db, cx, review_rows(40))
    assert job.status == JobStatus.mapping
    assert (job.file_format, job.encoding, job.delimiter, job.rows_total) == ("csv", "utf-8", ",", 40)
    assert job.mapping["quote"] == "Review Text"
    assert job.mapping["title"] == "Title"
    assert job.mapping["score"] == "Rating"
    assert "department" not in job.mapping  # "Department Name" holds product lines, not our departments
    preview = jobs.preview(job)
    assert len(preview) == 5 and all(len(row) == len(job.columns) for row in preview)
    assert jobs.stored_path(job).exists()


def test_a_file_we_cannot_read_opens_no_job_and_leaves_no_file(db: Session, cx: Person) -> None:
    before = set(jobs.folder().iterdir())
    with pytest.raises(ValidationFailed, match="empty"):
        jobs.upload(db, actor=cx, file_name="empty.csv", source=io.BytesIO(b"   \n"))
    assert set(jobs.folder().iterdir()) == before
    assert db.exec(select(func.count()).select_from(ImportJob)).one() == 0


def test_a_dry_run_counts_without_writing_and_then_the_import_writes_every_row(
    db: Session, cx: Person
) -> None:
    job = uploaded(db, cx, review_rows(120))
    start(db, cx, job, dry_run=True)
    checked = run_queued(db)
    assert (checked.status, checked.dry_run, checked.rows_read, checked.imported) == (
        JobStatus.done,
        True,
        120,
        120,
    )
    assert insight_count(db) == 0
    assert jobs.can_start(checked)  # the file waits for the real import

    start(db, cx, checked, dry_run=False)
    done = run_queued(db)
    assert (done.status, done.imported, done.skipped_duplicates, done.error_count) == (
        JobStatus.done,
        120,
        0,
        0,
    )
    assert insight_count(db) == 120
    assert not jobs.stored_path(done).exists()  # the customers' words are no longer kept twice
    assert not jobs.can_start(done)
    with pytest.raises(ValidationFailed, match="already run"):
        start(db, cx, done, dry_run=False)


def test_bad_rows_fail_the_job_name_each_row_and_import_nothing(db: Session, cx: Person) -> None:
    rows = review_rows(30)
    rows[5][5] = "eleven"  # Rating, on spreadsheet row 6
    rows[9][5] = "12"
    job = uploaded(db, cx, rows)
    start(db, cx, job, dry_run=False)
    failed = run_queued(db)
    assert failed.status == JobStatus.failed
    assert failed.error_count == 2 and failed.imported == 0
    assert [e["row"] for e in failed.errors] == [6, 10]
    assert "eleven" in failed.errors[0]["message"]
    assert "nothing was imported" in failed.message
    assert insight_count(db) == 0
    assert jobs.can_start(failed)  # a new mapping may fix it: here, leaving the score out
    mapping = {k: v for k, v in REVIEW_MAP.items() if k != "score"}
    start(db, cx, failed, dry_run=False, **mapping)
    assert run_queued(db).imported == 30


def test_a_re_import_of_the_same_channel_skips_what_is_there(db: Session, cx: Person) -> None:
    rows = review_rows(25)
    start(db, cx, uploaded(db, cx, rows), dry_run=False)
    run_queued(db)
    start(db, cx, uploaded(db, cx, review_rows(40)), dry_run=False)
    again = run_queued(db)
    assert (again.imported, again.skipped_duplicates) == (15, 25)
    assert insight_count(db) == 40


def test_only_the_uploader_or_an_admin_starts_a_job_and_only_cx_see_them(
    db: Session, cx: Person, admin: Person, employee: Person, leader: Person
) -> None:
    from tests import factories

    other_cx = factories.person(db, name="Cleo Cx", email="cleo@example.test", role=cx.role)
    job = uploaded(db, cx, review_rows(10))
    with pytest.raises(PermissionDenied):
        start(db, other_cx, job, dry_run=True)
    assert jobs.get(db, actor=other_cx, job_id=job.id or 0).id == job.id  # seen, for shared work
    for outsider in (employee, leader):
        with pytest.raises(PermissionDenied):
            jobs.list_jobs(db, actor=outsider)
    assert start(db, admin, job, dry_run=True).status == JobStatus.queued


def test_a_job_is_claimed_once_and_a_stale_one_is_queued_again(db: Session, cx: Person) -> None:
    job = uploaded(db, cx, review_rows(5))
    start(db, cx, job, dry_run=True)
    assert jobs.claim_next(db) == job.id
    assert jobs.claim_next(db) is None  # another runner finds nothing to take
    db.refresh(job)
    assert job.status == JobStatus.checking
    job.updated_at = job.updated_at - jobs.STALE_AFTER - timedelta(minutes=1)
    db.add(job)
    db.commit()
    jobs.tidy(db)
    db.refresh(job)
    assert job.status == JobStatus.queued


def test_a_bad_mapping_is_refused_before_the_job_is_queued(db: Session, cx: Person) -> None:
    job = uploaded(db, cx, review_rows(5))
    with pytest.raises(ValidationFailed) as refused:
        start(db, cx, job, dry_run=True, title="Title")  # no column for the customer's words
    assert "quote" in refused.value.errors
    db.refresh(job)
    assert job.status == JobStatus.mapping


# --- pages -------------------------------------------------------------------------------------------


def test_cx_upload_map_and_watch_the_import_on_the_pages(
    browser: Browser, db: Session, cx: Person, tmp_path: Path
) -> None:
    browser.sign_in_as(cx)
    assert "No imports yet" in browser.get("/imports").text
    path = write_csv(tmp_path / "reviews.csv", review_rows(60))
    with path.open("rb") as f:
        response = browser.post("/imports", files={"file": ("reviews.csv", f, "text/csv")})
    assert response.status_code == 303
    job_url = response.headers["location"]
    page = browser.get(job_url).text
    assert "Map the columns" in page and "The first rows" in page
    assert "<option selected>Review Text</option>" in page

    form = {f"map_{k}": v for k, v in REVIEW_MAP.items()} | {"channel": "review", "action": "import"}
    assert browser.post(f"{job_url}/start", form).status_code == 303
    polling = browser.get(f"{job_url}/progress", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 1s"' in polling and "Waiting for the import runner" in polling
    assert "<html" not in polling  # a fragment, not a page

    run_queued(db)
    finished = browser.get(f"{job_url}/progress", headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in finished  # polling stops
    assert "Imported 60 pieces of review feedback" in finished
    assert insight_count(db) == 60
    assert "Imported" in browser.get("/imports").text


def test_the_upload_page_says_what_is_wrong_with_a_file(browser: Browser, cx: Person) -> None:
    browser.sign_in_as(cx)
    response = browser.post("/imports", files={"file": ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 600, "x")})
    assert response.status_code == 422
    assert "old Excel (.xls)" in response.text


def test_a_mapping_error_is_shown_on_the_mapping_form(browser: Browser, db: Session, cx: Person) -> None:
    job = uploaded(db, cx, review_rows(5))
    browser.sign_in_as(cx)
    response = browser.post(f"/imports/{job.id}/start", {"map_title": "Title", "action": "check"})
    assert response.status_code == 422
    assert "Choose the column that holds the customer" in response.text
    db.refresh(job)
    assert job.status == JobStatus.mapping and job.mapping.get("quote") == "Review Text"  # unchanged


def test_employees_cannot_reach_the_import_pages(browser: Browser, employee: Person) -> None:
    browser.sign_in_as(employee)
    assert browser.get("/imports").status_code == 403


def test_the_upload_page_takes_files_up_to_the_import_limit_not_the_attachment_limit(
    browser: Browser, db: Session, cx: Person, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import get_settings

    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    monkeypatch.setenv("PORTAL_MAX_IMPORT_MB", "3")
    get_settings.cache_clear()
    rows = review_rows(12_000)  # about 2 MB
    body = csv_bytes(rows)
    assert 1024 * 1024 < len(body) < 3 * 1024 * 1024
    browser.sign_in_as(cx)
    accepted = browser.post("/imports", files={"file": ("big.csv", body, "text/csv")})
    assert accepted.status_code == 303
    too_big = browser.post("/imports", files={"file": ("huge.csv", body * 4, "text/csv")})
    assert too_big.status_code == 413 and "at most 3 MB" in too_big.text


def test_an_xlsx_upload_is_counted_and_previewed(db: Session, cx: Person) -> None:
    content = xlsx_bytes(review_rows(12))
    job = jobs.upload(db, actor=cx, file_name="reviews.xlsx", source=io.BytesIO(content))
    assert (job.file_format, job.rows_total, job.mapping["quote"]) == ("xlsx", 12, "Review Text")
    assert len(jobs.preview(job)) == 5


def test_the_audit_log_names_the_file_as_the_person_uploaded_it(db: Session, cx: Person) -> None:
    job = uploaded(db, cx, review_rows(6), name="Q3 reviews (shop).csv")
    start(db, cx, job, dry_run=False)
    run_queued(db)
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert "from Q3 reviews (shop).csv" in audit.summary
    assert jobs.stored_path(job).name not in audit.summary


def test_without_javascript_a_running_import_page_reloads_itself(
    browser: Browser, db: Session, cx: Person
) -> None:
    job = start(db, cx, uploaded(db, cx, review_rows(5)), dry_run=True)
    running = browser.sign_in_as(cx).get(f"/imports/{job.id}").text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in running
    run_queued(db)
    assert "http-equiv" not in browser.get(f"/imports/{job.id}").text


def test_a_dry_run_says_how_many_look_already_imported_and_suggests_the_reference(
    browser: Browser, db: Session, cx: Person
) -> None:
    no_reference = {k: v for k, v in REVIEW_MAP.items() if k != "external_id"}
    start(db, cx, uploaded(db, cx, review_rows(8)), dry_run=False, **no_reference)
    run_queued(db)
    job = start(db, cx, uploaded(db, cx, review_rows(8)), dry_run=True, **no_reference)
    checked = run_queued(db)
    assert (checked.imported, checked.skipped_duplicates) == (0, 8)
    page = browser.sign_in_as(cx).get(f"/imports/{job.id}").text
    assert "8 rows look already imported" in page and "map it as the reference" in page


def test_a_job_that_finds_the_disk_full_fails_with_the_reason(
    db: Session, cx: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = start(db, cx, uploaded(db, cx, review_rows(30)), dry_run=False)

    def no_room(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jobs.import_service, "check", no_room)
    failed = run_queued(db)
    assert failed.id == job.id and failed.status == JobStatus.failed
    assert "no room left" in failed.message and failed.imported == 0
    assert insight_count(db) == 0
