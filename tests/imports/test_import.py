"""Feedback import: the service's rules, the API (POST /api/v1/imports/feedback) and the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import PermissionDenied, ValidationFailed
from app.core.models import aware, utcnow
from app.imports import service as import_service
from app.insights.models import Channel, Insight, InsightTag, Kind, ScoreScale, Sentiment, Status
from app.people.models import Person
from app.search.models import SearchOutbox
from tests import factories
from tests.browser import Browser, bearer
from tests.reviews import review_rows

REVIEW_MAP = {
    "quote": "Review Text",
    "title": "Title",
    "score": "Rating",
    "product_area": "Department Name",
    "tags": "Class Name",
    "external_id": "Column 1",
}


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """A one-sheet workbook holding `rows`."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def feedback_count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Insight)).one()


def run(
    db: Session, actor: Person, path: Path, mapping: dict[str, str], **kw: object
) -> import_service.Outcome:
    dry_run = bool(kw.pop("dry_run", False))
    plan = import_service.plan(path, mapping, channel=Channel.review, **kw)  # type: ignore[arg-type]
    return import_service.import_file(db, actor=actor, plan=plan, dry_run=dry_run)


def test_a_review_export_imports_with_tags_scores_and_an_outbox_row_each(
    db: Session, cx: Person, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "reviews.csv", review_rows(300))
    outcome = run(db, cx, path, REVIEW_MAP)
    assert (outcome.imported, outcome.skipped_duplicates, outcome.error_count) == (300, 0, 0)
    assert outcome.score_scale == ScoreScale.rating
    imported = db.exec(select(Insight).where(Insight.channel == Channel.review)).all()
    assert len(imported) == 300
    first = next(i for i in imported if i.external_id == "0")
    assert first.quote == review_rows(1)[1][4]
    assert first.quote.startswith("The frying pan arrived two days early")
    # No title in the file: derived from the words (their start, cut at a word).
    assert first.title.endswith("…") and first.quote.startswith(first.title[:-1])
    assert (first.score, first.score_scale, first.sentiment) == (4, ScoreScale.rating, Sentiment.positive)
    assert first.product_area == "Kitchen"
    # Written as plain tuples by app/core/bulk.py: the model's defaults and types read back intact.
    assert (first.kind, first.status, first.channel, first.quotes, first.persona) == (
        Kind.feedback, Status.published, Channel.review, [], ""
    )  # fmt: skip
    assert abs((aware(first.created_at) - utcnow()).total_seconds()) < 60
    tagged = db.exec(select(func.count()).select_from(InsightTag)).one()
    assert tagged == 300  # one Class Name each
    queued = db.exec(
        select(func.count())
        .select_from(SearchOutbox)
        .where(col(SearchOutbox.entity_id).in_([i.id for i in imported]))
    ).one()
    assert queued == 300
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert "Imported 300 review feedback" in audit.summary


def test_a_second_import_skips_what_is_there_and_says_how_many(
    db: Session, cx: Person, tmp_path: Path
) -> None:
    rows = review_rows(40)
    run(db, cx, write_csv(tmp_path / "a.csv", rows[:21]), REVIEW_MAP)
    outcome = run(db, cx, write_csv(tmp_path / "b.csv", rows), REVIEW_MAP)
    assert (outcome.imported, outcome.skipped_duplicates) == (20, 20)
    assert feedback_count(db) == 40


def test_one_bad_row_imports_nothing_and_names_the_row(db: Session, cx: Person, tmp_path: Path) -> None:
    rows = review_rows(30)
    rows[12][5] = "eleven"  # Rating on spreadsheet row 13
    rows[20][4] = ""  # no words on row 21
    with pytest.raises(import_service.ImportRejected) as raised:
        run(db, cx, write_csv(tmp_path / "bad.csv", rows), REVIEW_MAP)
    assert raised.value.outcome.errors == [
        {"row": 13, "message": "score “eleven” is not a number"},
        {"row": 21, "message": "the customer's words are empty"},
    ]
    assert feedback_count(db) == 0


def test_rows_without_words_can_be_skipped_on_request(db: Session, cx: Person, tmp_path: Path) -> None:
    rows = review_rows(10) + review_rows(3, with_text=False)[1:]
    outcome = run(db, cx, write_csv(tmp_path / "r.csv", rows), REVIEW_MAP, skip_empty=True)
    assert (outcome.imported, outcome.skipped_empty) == (10, 3)


def test_a_dry_run_reports_and_writes_nothing(db: Session, cx: Person, tmp_path: Path) -> None:
    outcome = run(db, cx, write_csv(tmp_path / "r.csv", review_rows(25)), REVIEW_MAP, dry_run=True)
    assert (outcome.imported, outcome.dry_run) == (25, True)
    assert feedback_count(db) == 0


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1252", ";"), ("utf-16", "\t"), ("utf-8-sig", "|")])
def test_encodings_and_delimiters_are_detected(
    db: Session, cx: Person, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    rows = [
        ["Ticket", "Comment", "NPS"],
        ["T-1", "Der Kundenservice war großartig, très bien", "9"],
        ["T-2", "Zu spät geliefert", "3"],
    ]
    path = write_csv(tmp_path / "t.csv", rows, encoding=encoding, delimiter=delimiter)
    table = import_service.reader.inspect(path)
    assert (table.delimiter, table.columns) == (delimiter, ["Ticket", "Comment", "NPS"])
    outcome = run(db, cx, path, {"external_id": "Ticket", "quote": "Comment", "score": "NPS"})
    assert outcome.imported == 2 and outcome.score_scale == ScoreScale.nps
    late = db.exec(select(Insight).where(Insight.external_id == "T-2")).one()
    assert late.quote == "Zu spät geliefert" and late.sentiment == Sentiment.negative


@pytest.mark.parametrize(
    ("encoding", "words"),
    [
        # mostly English: several Windows code pages fit equally; the Western one must be chosen
        ("cp1252", "Delivered à la carte, but the box was crushed"),
        # Polish: only the Central European code page fits
        ("cp1250", "Zażółć gęślą jaźń, dostawa była spóźniona"),
    ],
)
def test_a_windows_export_keeps_its_accents(
    db: Session, cx: Person, tmp_path: Path, encoding: str, words: str
) -> None:
    plain = [[f"R-{n}", "The parcel arrived on time and the driver was friendly"] for n in range(300)]
    rows = [["Ref", "Comment"], *plain, ["R-x", words]]
    path = write_csv(tmp_path / "windows.csv", rows, encoding=encoding)
    assert import_service.reader.inspect(path).encoding == encoding
    run(db, cx, path, {"external_id": "Ref", "quote": "Comment"})
    assert db.exec(select(Insight).where(Insight.external_id == "R-x")).one().quote == words


def test_xlsx_with_dates_and_departments(db: Session, cx: Person, tmp_path: Path) -> None:
    import datetime as dt

    factories.department(db, name="Logistics")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Id", "Answer", "When", "Team"])
    sheet.append([101, "The parcel came two days late", dt.datetime(2026, 3, 31), "logistics"])
    path = tmp_path / "survey.xlsx"
    book.save(path)
    run(db, cx, path, {"external_id": "Id", "quote": "Answer", "received_at": "When", "department": "Team"})
    row = db.exec(select(Insight).where(Insight.external_id == "101")).one()
    assert row.received_at == dt.date(2026, 3, 31) and row.department_id is not None
    sheet.append([102, "Again late", "soon", "Sales"])
    book.save(path)
    with pytest.raises(import_service.ImportRejected) as raised:
        run(
            db,
            cx,
            path,
            {"external_id": "Id", "quote": "Answer", "received_at": "When", "department": "Team"},
        )
    assert [e["row"] for e in raised.value.outcome.errors] == [3]
    assert "soon" in raised.value.outcome.errors[0]["message"]


def test_a_reference_twice_in_one_file_is_a_bad_row(db: Session, cx: Person, tmp_path: Path) -> None:
    rows = [["Id", "Text"], ["7", "first"], ["7", "second"]]
    with pytest.raises(import_service.ImportRejected) as raised:
        run(db, cx, write_csv(tmp_path / "d.csv", rows), {"external_id": "Id", "quote": "Text"})
    assert raised.value.outcome.errors == [{"row": 3, "message": "reference “7” is also on row 2"}]


def test_mapping_errors_name_the_field(db: Session, cx: Person, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", review_rows(2))
    with pytest.raises(ValidationFailed) as raised:
        import_service.plan(path, {"title": "Headline", "colour": "Title"}, channel=Channel.review)
    assert set(raised.value.errors) == {"mapping", "title", "quote"}


def test_employees_cannot_import(db: Session, employee: Person, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        run(db, employee, write_csv(tmp_path / "e.csv", review_rows(2)), REVIEW_MAP)


def _post(
    browser: Browser, db: Session, person: Person, content: bytes, mapping: dict[str, str], **form: str
):  # type: ignore[no-untyped-def]
    token = auth_service.create_token(db, actor=person, owner=person).token
    return browser.client.post(
        "/api/v1/imports/feedback",
        headers=bearer(token),
        files={"file": ("export.csv", content, "text/csv")},
        data={"mapping": json.dumps(mapping), "channel": "review", **form},
    )


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_api_imports_then_skips_duplicates(browser: Browser, db: Session, cx: Person) -> None:
    content = _csv_bytes(review_rows(15))
    first = _post(browser, db, cx, content, REVIEW_MAP)
    assert first.status_code == 200, first.text
    assert (first.json()["imported"], first.json()["skipped_duplicates"], first.json()["errors"]) == (
        15,
        0,
        [],
    )
    again = _post(browser, db, cx, content, REVIEW_MAP)
    assert (again.json()["imported"], again.json()["skipped_duplicates"]) == (0, 15)


def test_api_imports_an_xlsx_upload(browser: Browser, db: Session, cx: Person) -> None:
    # Uploads are kept under a name of our own, not *.xlsx: read by content.
    content = xlsx_bytes(review_rows(7))
    response = _post(browser, db, cx, content, REVIEW_MAP)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 7 and feedback_count(db) == 7


def test_api_bad_rows_answer_422_and_import_nothing(browser: Browser, db: Session, cx: Person) -> None:
    rows = review_rows(8)
    rows[3][5] = "99"
    response = _post(browser, db, cx, _csv_bytes(rows), REVIEW_MAP)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 4, "message": "score 99 must be a whole number from 0 to 10"}
    ]
    assert response.json()["imported"] == 0 and feedback_count(db) == 0


def test_api_refuses_employees_and_bad_mappings(
    browser: Browser, db: Session, cx: Person, employee: Person
) -> None:
    content = _csv_bytes(review_rows(3))
    assert _post(browser, db, employee, content, REVIEW_MAP).status_code == 403
    bad = _post(browser, db, cx, content, {"quote": "Nope"})
    assert bad.status_code == 422 and "Nope" in bad.text
    assert _post(browser, db, cx, b"\x00\x01\x02binary", REVIEW_MAP).status_code == 422
    assert feedback_count(db) == 0


def test_api_is_in_openapi(browser: Browser, db: Session, cx: Person) -> None:
    browser.sign_in_as(cx)
    schema = browser.client.get("/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/imports/feedback"]


def test_cli_imports_and_reports(tmp_path: Path) -> None:
    from tests.databases import drop_database
    from tests.live import migrated_database

    db_url = migrated_database("cli_import", tmp_path)
    try:
        _run_cli(tmp_path, db_url)
    finally:
        drop_database(db_url)


def _run_cli(tmp_path: Path, db_url: str) -> None:
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_SECRET_KEY": "x" * 40}
    env["PORTAL_DATABASE_URL"] = db_url
    portal = [sys.executable, "-m", "app.cli"]
    subprocess.run(
        [*portal, "users", "create", "--email", "cx@example.com", "--name", "Cee", "--role", "cx"],
        env=env,
        check=True,
        capture_output=True,
    )
    path = write_csv(tmp_path / "r.csv", review_rows(50))
    maps = [arg for field, column in REVIEW_MAP.items() for arg in ("--map", f"{field}={column}")]
    command = [*portal, "import-feedback", str(path), "--channel", "review", "--as", "cx@example.com", *maps]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Imported 50 feedback; skipped 0 already there" in done.stdout
    assert "Checked 50 rows" in done.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True)
    assert "Imported 0 feedback; skipped 50 already there" in again.stdout


def test_insights_created_after_an_import_get_fresh_ids(db: Session, cx: Person, tmp_path: Path) -> None:
    from app.insights import service as insight_service
    from app.insights.schemas import InsightCreate

    factories.insight(db, author=cx)
    run(db, cx, write_csv(tmp_path / "r.csv", review_rows(5)), REVIEW_MAP)
    after = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(kind="feedback", title="Typed in", quote="By hand", channel="review"),  # type: ignore[arg-type]
    )
    ids = sorted(i.id for i in db.exec(select(Insight)).all() if i.id is not None)
    assert len(ids) == len(set(ids)) == 7
    assert after.id == max(ids)


# --- a file imported again without a reference column ---------------------------------------------

NO_REFERENCE = {k: v for k, v in REVIEW_MAP.items() if k != "external_id"}


def test_the_same_file_again_without_a_reference_is_recognised_not_doubled(
    db: Session, cx: Person, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", review_rows(30))
    first = run(db, cx, path, NO_REFERENCE)
    assert (first.imported, first.skipped_duplicates) == (30, 0)
    looked = run(db, cx, path, NO_REFERENCE, dry_run=True)
    assert (looked.imported, looked.skipped_duplicates) == (0, 30)
    again = run(db, cx, path, NO_REFERENCE)
    assert (again.imported, again.skipped_duplicates) == (0, 30)
    assert feedback_count(db) == 30


def test_a_repeated_text_counts_as_often_as_the_portal_holds_it(
    db: Session, cx: Person, tmp_path: Path
) -> None:
    header, row = review_rows(1)
    run(db, cx, write_csv(tmp_path / "two.csv", [header, row, row]), NO_REFERENCE)
    three = run(db, cx, write_csv(tmp_path / "three.csv", [header, row, row, row]), NO_REFERENCE)
    assert (three.imported, three.skipped_duplicates) == (1, 2)
    assert feedback_count(db) == 3


def test_the_same_words_on_another_channel_are_new(db: Session, cx: Person, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", review_rows(5))
    run(db, cx, path, NO_REFERENCE)
    plan = import_service.plan(path, NO_REFERENCE, channel=Channel.survey)
    assert import_service.import_file(db, actor=cx, plan=plan).imported == 5


def test_a_long_complaint_narrative_is_imported_whole(db: Session, cx: Person, tmp_path: Path) -> None:
    header, row = review_rows(1)
    story = " ".join(f"Day {n}: I called again and nobody knew where the parcel was." for n in range(200))
    assert len(story) > 10_000
    row[4] = story
    outcome = run(db, cx, write_csv(tmp_path / "long.csv", [header, row]), REVIEW_MAP)
    assert outcome.imported == 1
    imported = db.exec(select(Insight).where(Insight.channel == Channel.review)).one()
    assert imported.quote == story and imported.title.endswith("…")
