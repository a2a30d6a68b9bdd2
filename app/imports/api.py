"""POST /api/v1/imports/feedback and /people: a whole file in one request, all rows or none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from app.core.errors import ValidationFailed
from app.imports import people as people_import
from app.imports import service as import_service
from app.imports.schemas import ImportResult, PeopleImportResult, RowError
from app.imports.uploads import kept_upload
from app.insights.models import Channel
from app.web.deps import CurrentPerson, ReadSessionDep, SessionDep

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


@router.post(
    "/feedback",
    name="api:imports_feedback",
    response_model=ImportResult,
    responses={422: {"description": "Bad rows (listed in `errors`) or a bad mapping; nothing imported."}},
)
def import_feedback(
    session: SessionDep,
    reading: ReadSessionDep,
    me: CurrentPerson,
    file: Annotated[UploadFile, File(description="A CSV (any encoding, , ; tab or | separated) or XLSX.")],
    mapping: Annotated[str, Form(description='JSON {field: column}, e.g. {"quote": "Review Text"}.')],
    channel: Annotated[Channel, Form()] = Channel.other,
    skip_empty: Annotated[bool, Form(description="Skip rows without the customer's words.")] = False,
    dry_run: Annotated[bool, Form(description="Check every row and report; import nothing.")] = False,
) -> Any:
    try:
        fields = json.loads(mapping)
    except json.JSONDecodeError:
        fields = None
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise ValidationFailed({"mapping": 'Send the mapping as JSON: {"quote": "Review Text", ...}.'})
    try:
        with kept_upload(file.file) as path:
            name = Path(file.filename or "").name
            plan = import_service.plan(path, fields, channel=channel, skip_empty=skip_empty, file_name=name)
            outcome = import_service.import_file(
                session, actor=me, plan=plan, dry_run=dry_run, reading=reading
            )
    except import_service.ImportRejected as exc:
        body = {"detail": exc.message, **_result(exc.outcome).model_dump()}
        return JSONResponse(status_code=422, content=body)
    return _result(outcome)


def _result(outcome: import_service.Outcome) -> ImportResult:
    return ImportResult(
        imported=0 if outcome.error_count else outcome.imported,
        skipped_duplicates=outcome.skipped_duplicates,
        skipped_empty=outcome.skipped_empty,
        rows_read=outcome.rows_read,
        dry_run=outcome.dry_run,
        errors=[RowError(**e) for e in outcome.errors],
    )


@router.post(
    "/people",
    name="api:imports_people",
    response_model=PeopleImportResult,
    responses={
        422: {"description": "Bad rows (listed in `errors`, numbered as in a spreadsheet); nothing changed."}
    },
)
def import_people(
    session: SessionDep,
    me: CurrentPerson,
    file: Annotated[
        UploadFile, File(description="CSV or XLSX: email, name, department, team, role, manager_email.")
    ],
    dry_run: Annotated[bool, Form(description="Check every row and report; change nothing.")] = False,
) -> Any:
    try:
        with kept_upload(file.file, suffix="people") as path:
            outcome = people_import.import_people(session, actor=me, path=path, dry_run=dry_run)
    except people_import.PeopleImportRejected as exc:
        body = {"detail": exc.message, **_people_result(exc.outcome).model_dump()}
        return JSONResponse(status_code=422, content=body)
    return _people_result(outcome)


def _people_result(outcome: people_import.PeopleOutcome) -> PeopleImportResult:
    return PeopleImportResult(
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        dry_run=outcome.dry_run,
        errors=[RowError(row=int(str(e["row"])), message=str(e["message"])) for e in outcome.errors],
    )
