"""Exports of insights and proposals, as CSV or JSON: the same rows the lists show the person,
with the same rules (what they may see; no author for an anonymous proposal), streamed in batches
of 1,000 so a large export never sits in memory, and audited (who exported what, not what was in it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import db
from app.core.access import EXPORTERS
from app.core.csvexport import to_csv
from app.core.errors import PermissionDenied
from app.insights import schemas as insight_schemas
from app.insights import service as insight_service
from app.insights import tags as tag_service
from app.insights.kinds import EXPORTED_KIND_FIELDS
from app.insights.models import Insight
from app.people.models import Department, Person, Team
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from app.proposals.models import Proposal, ProposalDepartment, ProposalResponse

Format = Literal["csv", "json"]
BATCH = 1000

# The shared columns, then each kind's own (app/insights/kinds.py), then who, where and when.
INSIGHT_COLUMNS = (
    "id", "url", "kind", "status", "title", *EXPORTED_KIND_FIELDS, "body", "product_area", "segment",
    "department", "tags", "author", "created_at",
)  # fmt: skip
PROPOSAL_COLUMNS = (
    "id", "url", "title", "problem", "change", "impact", "status", "support_count", "anonymous",
    "author", "departments", "owner_team", "duplicate_of", "latest_response", "responded_at",
    "created_at",
)  # fmt: skip


def _plain(value: Any) -> Any:
    """A field as an export carries it: a choice by its value, everything else as it is."""
    return value.value if isinstance(value, Enum) else value


def check_may_export(actor: Person) -> None:
    """CX staff, leaders and admins take data out of the portal; everyone reads it inside."""
    if actor.role not in EXPORTERS:
        raise PermissionDenied("Exports are for CX staff, leaders and admins.")


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(model.id, model.name).where(col(model.id).in_(ids))).all())


def _batches(session: Session, model: Any, condition: Sequence[Any]) -> Iterator[list[Any]]:
    """Every matching row by ascending id, 1,000 at a time (keyset paging: no OFFSET scans)."""
    last = 0
    while True:
        rows = list(
            session.exec(
                select(model).where(*condition, col(model.id) > last).order_by(col(model.id)).limit(BATCH)
            ).all()
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id


def insight_rows(
    session: Session, *, actor: Person, filters: insight_schemas.ListFilters
) -> Iterator[list[dict[str, Any]]]:
    check_may_export(actor)
    for batch in _batches(session, Insight, insight_service.list_conditions(actor, filters)):
        ids = [i.id for i in batch]
        tags = tag_service.tags_by_insight(session, ids)
        authors = _names(session, Person, {i.author_id for i in batch})
        departments = _names(session, Department, {i.department_id for i in batch if i.department_id})
        yield [
            {
                "id": i.id,
                "url": f"/insights/{i.id}",
                "kind": i.kind.value,
                "status": i.status.value,
                "title": i.title,
                **{name: _plain(getattr(i, name)) for name in EXPORTED_KIND_FIELDS},
                "body": i.body,
                "product_area": i.product_area,
                "segment": i.segment,
                "department": departments.get(i.department_id) if i.department_id else None,
                "tags": tags.get(i.id or 0, []),
                "author": authors.get(i.author_id),
                "created_at": i.created_at,
            }
            for i in batch
        ]


def proposal_rows(
    session: Session, *, actor: Person, filters: proposal_schemas.ListFilters
) -> Iterator[list[dict[str, Any]]]:
    check_may_export(actor)
    for batch in _batches(session, Proposal, proposal_service.list_conditions(filters)):
        ids = [p.id for p in batch]
        # Never even looked up for an anonymous proposal: the export cannot carry who wrote it.
        authors = _names(session, Person, {p.author_id for p in batch if not p.is_anonymous})
        teams = _names(session, Team, {p.owner_team_id for p in batch if p.owner_team_id})
        departments: dict[int, list[str]] = {}
        for proposal_id, name in session.exec(
            select(ProposalDepartment.proposal_id, Department.name)
            .join(Department, col(Department.id) == ProposalDepartment.department_id)
            .where(col(ProposalDepartment.proposal_id).in_(ids))
            .order_by(Department.name)
        ):
            departments.setdefault(proposal_id, []).append(name)
        latest: dict[int, ProposalResponse] = {}
        for response in session.exec(
            select(ProposalResponse)
            .where(col(ProposalResponse.proposal_id).in_(ids))
            .order_by(col(ProposalResponse.id))
        ):
            latest[response.proposal_id] = response
        yield [
            {
                "id": p.id,
                "url": f"/proposals/{p.id}",
                "title": p.title,
                "problem": p.problem,
                "change": p.change,
                "impact": p.impact,
                "status": p.status.value,
                "support_count": p.support_count,
                "anonymous": p.is_anonymous,
                "author": None if p.is_anonymous else authors.get(p.author_id),
                "departments": departments.get(p.id or 0, []),
                "owner_team": teams.get(p.owner_team_id) if p.owner_team_id else None,
                "duplicate_of": p.duplicate_of_id,
                "latest_response": latest[p.id].body if p.id in latest else None,
                "responded_at": latest[p.id].created_at if p.id in latest else None,
                "created_at": p.created_at,
            }
            for p in batch
        ]


def record(session: Session, *, actor: Person, what: str, file_format: Format, filters: str) -> None:
    """One audit row per export, committed before the first byte goes out."""
    check_may_export(actor)
    audit_service.record(
        session,
        actor,
        "export",
        entity_type=what,
        summary=f"Exported {what} as {file_format.upper()}" + (f" ({filters})" if filters else ""),
        details={"format": file_format, "filters": filters},
    )
    db.commit(session)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def encode(
    batches: Iterator[list[dict[str, Any]]], *, columns: Sequence[str], file_format: Format
) -> Iterator[str]:
    """The export's text, a batch at a time: CSV with a header row (formula cells neutralised), or
    one JSON array of objects."""
    if file_format == "csv":
        yield to_csv([columns])
        for batch in batches:
            yield to_csv([[_cell(row[c]) for c in columns] for row in batch])
        return
    yield "["
    first = True
    for batch in batches:
        for row in batch:
            yield ("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False, default=_json_default)
            first = False
    yield "\n]\n"
