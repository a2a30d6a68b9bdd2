"""Journey maps: importing stages from a file, and the geometry of the emotion curve."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.core.errors import ValidationFailed
from app.insights.schemas import StageIn

STAGE_COLUMNS = ("name", "goal", "actions", "touchpoints", "thoughts", "emotion", "opportunities")
EMOTION_LABELS = {-2: "very negative", -1: "negative", 0: "neutral", 1: "positive", 2: "very positive"}


class StageImportFailed(ValidationFailed):
    """Bad rows: `rows` lists (row number, message); nothing was imported."""

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        self.rows = rows
        summary = "; ".join(f"row {n}: {m}" for n, m in rows[:10])
        super().__init__({"file": f"Nothing was imported. {summary}"})


def parse_stages(filename: str, data: bytes) -> list[StageIn]:
    """Stages from a CSV (header row with the column names) or a JSON list; all rows or none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"file": "The file is not UTF-8 text."}) from exc
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        try:
            loaded: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                {"file": f"The JSON is not valid: {exc.msg} (line {exc.lineno})."}
            ) from exc
        if isinstance(loaded, dict):
            loaded = loaded.get("stages")
        if not isinstance(loaded, list):
            raise ValidationFailed({"file": 'The JSON must be a list of stages, or {"stages": [...]}.'})
        records = [(n, r) for n, r in enumerate(loaded, start=1)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if "name" not in header:
            raise ValidationFailed(
                {
                    "file": "The CSV needs a header row with at least a 'name' column "
                    f"(columns: {', '.join(STAGE_COLUMNS)})."
                }
            )
        unknown = [h for h in header if h and h not in STAGE_COLUMNS]
        if unknown:
            raise ValidationFailed({"file": f"Unknown columns: {', '.join(unknown)}."})
        reader.fieldnames = header
        records = [(n, row) for n, row in enumerate(reader, start=2)]  # row 1 is the header
    stages: list[StageIn] = []
    problems: list[tuple[int, str]] = []
    for number, record in records:
        if not isinstance(record, dict):
            problems.append((number, "each stage must be an object with a name"))
            continue
        values = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items() if k}
        if values.get("emotion") in ("", None):
            values.pop("emotion", None)
        try:
            stages.append(StageIn.model_validate(values))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "row"
            problems.append((number, f"{where}: {first['msg']}"))
    if problems:
        raise StageImportFailed(problems)
    if not stages:
        raise ValidationFailed({"file": "The file has no stages."})
    return stages


@dataclass(frozen=True)
class CurvePoint:
    x: float
    y: float
    emotion: int
    name: str


@dataclass(frozen=True)
class Curve:
    width: int
    height: int
    points: list[CurvePoint]
    path: str
    baseline: float
    step: int
    label_width: int = 140  # the journey table's first column (row names): the curve starts after it


def emotion_curve(stages: list[Any], *, step: int = 200, height: int = 160) -> Curve:
    """Points for an SVG line: one per stage, +2 at the top and -2 at the bottom, each at the middle
    of its stage's column (`step` wide) in the journey table; the bottom 24 px hold the stage names."""
    pad = 24
    height_for_points = height - 20  # room below for the stage names
    usable = height_for_points - 2 * pad
    points = [
        CurvePoint(
            x=step * i + step / 2, y=pad + (2 - s.emotion) * usable / 4, emotion=s.emotion, name=s.name
        )
        for i, s in enumerate(stages)
    ]
    path = " ".join(("M" if i == 0 else "L") + f"{p.x:.1f},{p.y:.1f}" for i, p in enumerate(points))
    return Curve(
        width=max(step * len(stages), step),
        height=height,
        points=points,
        path=path,
        baseline=pad + usable / 2,
        step=step,
    )
