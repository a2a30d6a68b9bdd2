"""Reading survey, ticket and review exports: CSV in any common encoding and delimiter, or XLSX.

Both are streamed row by row (csv.reader over the open file, openpyxl in read-only mode), so a
100,000-row file never sits in memory. Row numbers are the ones a spreadsheet shows: the header is
row 1, the first answer row 2 (a CSV cell with line breaks in it still counts as one row).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from app.core.errors import ValidationFailed

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
# csv refuses fields over 128 KiB by default; a long interview transcript may be bigger.
csv.field_size_limit(16 * 1024 * 1024)
# A spreadsheet is a zip of XML files; openpyxl holds its shared strings in memory whole. These
# bounds keep a hostile workbook from taking the server's memory (a 1 MB zip bomb took 2.3 GB
# before), while leaving room for a real 100,000-row export (about 60 MB of XML, ratio 5-15).
XLSX_MAX_UNCOMPRESSED = 400 * 1024 * 1024
XLSX_MAX_ENTRIES = 2_000
XLSX_MAX_RATIO = 200  # uncompressed / compressed, per entry above 1 MB
# More columns than any real export has; the mapping page shows each one.
MAX_COLUMNS = 500


@dataclass(frozen=True)
class Table:
    """What we found out about a file: its format, how to decode it, and its column names."""

    file_format: str  # csv | xlsx
    encoding: str
    delimiter: str
    columns: list[str]


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


def inspect(path: Path) -> Table:
    """Detects the format, encoding and delimiter, and reads the header row."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if not sample.strip():
        raise _refuse("The file is empty.")
    if sample.startswith(OLE_MAGIC):
        raise _refuse("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload that.")
    if sample.startswith(ZIP_MAGIC):
        _check_zip(path)
        return Table("xlsx", "", "", _columns(next(_xlsx_rows(path), (1, []))[1]))
    encoding = _encoding(sample, complete=len(sample) < SAMPLE_BYTES)
    text = sample.decode(encoding, errors="ignore")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","  # one column only
    table = Table("csv", encoding, delimiter, [])
    header = next(_csv_rows(path, table), (1, []))[1]
    return Table("csv", encoding, delimiter, _columns(header))


def _encoding(sample: bytes, *, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise _refuse("This is not a CSV or Excel file (it holds binary data).")
    try:
        # The sample may end inside a multi-byte character; only the end of a whole file must be exact.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        return "cp1252"  # exports from Windows tools are mostly cp1252, where every byte is a character
    # Mostly-English text fits several code pages equally well, and the guess among them is
    # arbitrary (cp1250 was seen: it turns à into ŕ). On a tie, the one that reads the most of the
    # non-ASCII bytes as letters wins (ż, ł, ś in cp1250 are ¿, ³, œ in cp1252), then cp1252.
    tied = [
        m.encoding
        for m in matches
        if m.percent_chaos == best.percent_chaos and m.percent_coherence == best.percent_coherence
    ]
    extended = bytes(b for b in sample if b >= 0x80)
    return max(tied, key=lambda e: (_letters(extended, e), e == "cp1252", e == best.encoding))


def _letters(extended: bytes, encoding: str) -> int:
    try:
        return sum(ch.isalpha() for ch in extended.decode(encoding))
    except (UnicodeDecodeError, LookupError):
        return -1


def _check_zip(path: Path) -> None:
    """Refuses a workbook whose contents would unpack far beyond its size (a zip bomb) before
    openpyxl opens it. The sizes checked are the ones the zip declares; zipfile never unpacks
    more than an entry declares, so a lie about them cannot get past this either."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse("This file is not an Excel workbook we can read. Save it as .xlsx or CSV.") from exc
    if len(entries) > XLSX_MAX_ENTRIES:
        raise _refuse(f"This workbook holds {len(entries):,} parts; a spreadsheet export has far fewer.")
    unpacked = sum(e.file_size for e in entries)
    too_dense = any(
        e.file_size > 1024 * 1024 and e.file_size > XLSX_MAX_RATIO * max(e.compress_size, 1) for e in entries
    )
    if unpacked > XLSX_MAX_UNCOMPRESSED or too_dense:
        raise _refuse(
            "This workbook unpacks to far more than a spreadsheet export holds, so it was not opened. "
            "Save the sheet as CSV and upload that."
        )


def _columns(header: list[str]) -> list[str]:
    """Column names as shown to people: blank ones get a number, repeated ones a suffix.
    Linear in the number of columns: each name remembers the last suffix it was given."""
    if len(header) > MAX_COLUMNS:
        raise _refuse(
            f"The file has {len(header):,} columns; at most {MAX_COLUMNS} can be imported. "
            "Remove the columns you do not need and upload it again."
        )
    if not any(header):
        raise _refuse("The first row must name the columns (for example: Comment, Rating, Date).")
    columns: list[str] = []
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    for number, raw in enumerate(header, start=1):
        name = " ".join(raw.split()) or f"Column {number}"
        base = name
        while name in taken:
            next_suffix[base] = next_suffix.get(base, 1) + 1
            name = f"{base} ({next_suffix[base]})"
        taken.add(name)
        columns.append(name)
    return columns


def rows(path: Path, table: Table) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every row after the header; rows with nothing in them are left out."""
    source = _xlsx_rows(path) if table.file_format == "xlsx" else _csv_rows(path, table)
    next(source, None)  # the header
    for number, cells in source:
        if any(cells):
            yield number, cells


def _csv_rows(path: Path, table: Table) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding=table.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=table.delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, [c.strip() for c in cells]
        except UnicodeDecodeError as exc:
            raise _refuse(
                f"Row {number + 1} is not valid {table.encoding} text. Save the file as UTF-8 and try again."
            ) from exc
        except csv.Error as exc:
            raise _refuse(f"Row {number + 1} could not be read as CSV: {exc}.") from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    # Opened as a file, not a path: openpyxl refuses a path whose name does not end in .xlsx, and
    # uploads are kept under names of our own.
    with path.open("rb") as f:
        try:
            workbook = load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001  openpyxl raises many kinds for a damaged file
            raise _refuse("This file is not an Excel workbook we can read. Save it as .xlsx or CSV.") from exc
        try:
            sheet = workbook.worksheets[0]
            # The sheet's stored <dimension> may be wrong (tools write it carelessly; a hostile file
            # lies): read every row there is, not the rows it claims.
            sheet.reset_dimensions()
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell_text(v) for v in values]
        finally:
            workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def count_rows(path: Path, table: Table) -> int:
    """How many rows `rows` will give, for a progress bar: counted, not taken from the sheet's
    stored dimension, which may be wrong (a fast pass for CSV, about 0.3 s per 100,000 rows)."""
    return sum(1 for _ in rows(path, table))


def preview(path: Path, table: Table, limit: int = 5) -> list[list[str]]:
    """The first rows, as many cells as there are columns, for the mapping page."""
    shown: list[list[str]] = []
    for _number, cells in rows(path, table):
        shown.append((cells + [""] * len(table.columns))[: len(table.columns)])
        if len(shown) >= limit:
            break
    return shown
