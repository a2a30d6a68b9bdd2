"""Files built to hurt the server (issue 21): a zip bomb dressed as a workbook, a workbook whose
stored size lies, a CSV with thousands of columns. Each is refused with a clear message, or read
correctly, and nothing is imported by a refusal."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from app.core.errors import ValidationFailed
from app.imports import reader
from app.imports import service as import_service
from app.insights.models import Channel
from app.people.models import Person
from tests.browser import Browser
from tests.imports.test_import import REVIEW_MAP, _post, feedback_count, run, xlsx_bytes
from tests.reviews import review_rows


def _with_entry(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one more part inside (deflated, as every part of an .xlsx is)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(
    browser: Browser, db: Session, cx: Person
) -> None:
    # 64 MB of one repeated string deflates to about 64 KB: far denser than any real sheet.
    bomb = _with_entry(xlsx_bytes(review_rows(3)), "xl/sharedStrings.xml", b"<si><t>x</t></si>" * 4_000_000)
    assert len(bomb) < 1024 * 1024
    response = _post(browser, db, cx, bomb, REVIEW_MAP)
    assert response.status_code == 422
    assert "unpacks to far more than a spreadsheet export holds" in response.text
    assert feedback_count(db) == 0


def test_a_workbook_whose_parts_add_up_past_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "XLSX_MAX_UNCOMPRESSED", 20_000)
    path = tmp_path / "big.xlsx"
    path.write_bytes(xlsx_bytes(review_rows(60)))
    with pytest.raises(ValidationFailed) as refused:
        reader.inspect(path)
    assert "unpacks to far more" in refused.value.errors["file"]


def test_a_workbook_of_thousands_of_parts_is_refused(tmp_path: Path) -> None:
    content = xlsx_bytes(review_rows(2))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        for n in range(reader.XLSX_MAX_ENTRIES + 1):
            target.writestr(f"junk/{n}.xml", b"")
    path = tmp_path / "parts.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(ValidationFailed) as refused:
        reader.inspect(path)
    assert "parts" in refused.value.errors["file"]


def test_a_workbook_whose_stored_dimension_lies_imports_every_row(
    db: Session, cx: Person, tmp_path: Path
) -> None:
    honest = xlsx_bytes(review_rows(5))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(honest)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, changed = re.subn(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:K3"', data)
                assert changed == 1
            target.writestr(item, data)
    path = tmp_path / "lying.xlsx"
    path.write_bytes(out.getvalue())
    plan = import_service.plan(path, REVIEW_MAP, channel=Channel.review)
    assert reader.count_rows(path, plan.table) == 5
    outcome = run(db, cx, path, REVIEW_MAP)
    assert (outcome.imported, outcome.errors) == (5, [])
    assert feedback_count(db) == 5


def test_thousands_of_identical_column_names_are_refused_with_the_count(
    browser: Browser, db: Session, cx: Person
) -> None:
    content = (",".join(["Comment"] * 3000) + "\n" + ",".join(["x"] * 3000) + "\n").encode()
    response = _post(browser, db, cx, content, {"quote": "Comment"})
    assert response.status_code == 422
    assert "3,000 columns; at most 500" in response.text
    assert feedback_count(db) == 0


def test_repeated_column_names_get_numbered_suffixes_up_to_the_limit() -> None:
    header = ["Comment"] * reader.MAX_COLUMNS
    columns = reader._columns(header)
    assert columns[:3] == ["Comment", "Comment (2)", "Comment (3)"]
    assert columns[-1] == f"Comment ({reader.MAX_COLUMNS})"
    assert len(set(columns)) == reader.MAX_COLUMNS
    # A name that looks like a suffix already is not given twice.
    assert reader._columns(["A", "A (2)", "A"]) == ["A", "A (2)", "A (3)"]
