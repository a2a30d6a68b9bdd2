"""CSV the portal writes: every cell a spreadsheet could take for a formula is neutralised.

A cell that begins with = + - @, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets (OWASP "CSV injection"); a journey titled `=HYPERLINK(...)` would become a link in
a leader's spreadsheet. Such cells get a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text  # our own numbers (a negative emotion score) stay numbers
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
