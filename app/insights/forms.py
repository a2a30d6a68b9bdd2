"""Turning the insight forms (flat strings) into the API's structured fields."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from app.core.types import parse_ids
from app.insights.kinds import KINDS
from app.insights.models import Kind
from app.insights.tags import parse_tags

_INT_FIELDS = {"score", "severity", "customers_affected", "journey_stage_id", "department_id"}
_OPTIONAL_CHOICES = {"channel", "score_scale", "sentiment", "received_at", "external_id"}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int_or_raw(value: str) -> int | str | None:
    if value == "":
        return None
    return int(value) if re.fullmatch(r"-?\d{1,10}", value) else value  # the raw text fails validation


def fields_from_form(kind: Kind, form: FormData) -> dict[str, Any]:
    """Only the shared fields and this kind's own fields; empty optional inputs become None."""
    values: dict[str, Any] = {
        "title": _text(form, "title"),
        "body": _text(form, "body"),
        "tags": parse_tags(_text(form, "tags")),
        "product_area": _text(form, "product_area"),
        "segment": _text(form, "segment"),
        "department_id": _int_or_raw(_text(form, "department_id")),
    }
    for name in KINDS[kind].fields:
        if name == "quotes":
            values[name] = [line.strip() for line in _text(form, name).splitlines() if line.strip()]
        elif name in _INT_FIELDS:
            values[name] = _int_or_raw(_text(form, name))
        elif name in _OPTIONAL_CHOICES:
            values[name] = _text(form, name) or None
        else:
            values[name] = _text(form, name)
    if kind == Kind.pain_point:
        typed = re.split(r"[\s,;]+", _text(form, "evidence_ids_text"))
        values["evidence_ids"] = parse_ids([*form.getlist("evidence_ids"), *typed])
    if kind == Kind.success_story:
        values["teams"] = [v for v in form.getlist("teams") if isinstance(v, str) and v]
        values["proposal_ids"] = parse_ids(form.getlist("proposal_ids"))
    return values
