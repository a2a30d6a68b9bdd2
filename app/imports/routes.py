"""Import pages: upload a file, map its columns with a preview, check or import it in the
background, and watch the counters move (htmx polls the job while it runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.core.forms import checked
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PathId
from app.imports import jobs
from app.imports import service as import_service
from app.imports.models import ImportJob
from app.insights.models import Channel
from app.people.models import Person
from app.web.deps import CurrentPerson, FormDep, SessionDep

router = APIRouter()

CHANNEL_LABELS = {
    Channel.survey: "Survey",
    Channel.support_ticket: "Support ticket",
    Channel.interview: "Interview",
    Channel.review: "Review",
    Channel.social: "Social media",
    Channel.sales_call: "Sales call",
    Channel.other: "Other",
}


@router.get("/imports", name="imports:list", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return _list_page(request, session, me)


def _list_page(
    request: Request, session: SessionDep, me: Person, *, error: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "imports/list.html",
        {
            "jobs": jobs.list_jobs(session, actor=me),
            "error": error,
            "people": jobs.uploaders(session),
            "max_import_mb": get_settings().max_import_mb,
        },
        status_code=status_code,
    )


@router.post("/imports", name="imports:upload", response_class=HTMLResponse)
def upload(
    request: Request, session: SessionDep, me: CurrentPerson, file: Annotated[UploadFile, File()]
) -> Response:
    try:
        job = jobs.upload(session, actor=me, file_name=file.filename or "upload", source=file.file)
    except ValidationFailed as exc:
        return _list_page(request, session, me, error=exc.errors.get("file", exc.message), status_code=422)
    return see_other(f"/imports/{job.id}", flash=f"Uploaded “{job.file_name}”: now map its columns.")


def _detail(
    request: Request,
    session: SessionDep,
    me: Person,
    job: ImportJob,
    *,
    errors: dict[str, str] | None = None,
    chosen: jobs.StartRequest | None = None,
    block: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "job": job,
        "fields": import_service.FIELDS,
        "channels": [(c.value, CHANNEL_LABELS[c]) for c in Channel],
        "channel_label": CHANNEL_LABELS.get(Channel(job.channel), job.channel),
        "preview": jobs.preview(job) if jobs.can_start(job) else [],
        "can_start": jobs.can_start(job),
        "errors": errors or {},
        # what the mapping form shows: the person's last choice, or what the job holds
        "chosen": chosen
        or jobs.StartRequest(dict(job.mapping), Channel(job.channel), job.skip_empty, job.dry_run),
        "author": jobs.uploaders(session).get(job.created_by_id, ""),
    }
    return render(request, "imports/detail.html", context, block=block, status_code=status_code)


@router.get("/imports/{job_id}", name="imports:detail", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, me: CurrentPerson, job_id: PathId) -> Response:
    return _detail(request, session, me, jobs.get(session, actor=me, job_id=job_id))


@router.get("/imports/{job_id}/progress", name="imports:progress", response_class=HTMLResponse)
def progress(request: Request, session: SessionDep, me: CurrentPerson, job_id: PathId) -> Response:
    return _detail(request, session, me, jobs.get(session, actor=me, job_id=job_id), block="status")


@router.post("/imports/{job_id}/start", name="imports:start", response_class=HTMLResponse)
def start(
    request: Request, session: SessionDep, me: CurrentPerson, job_id: PathId, form: FormDep
) -> Response:
    channel = str(form.get("channel", "other"))
    start_request = jobs.StartRequest(
        mapping={name: str(form.get(f"map_{name}", "")) for name in import_service.FIELDS},
        channel=Channel(channel) if channel in Channel.__members__ else Channel.other,
        skip_empty=checked(form.get("skip_empty")),
        dry_run=form.get("action") != "import",
    )
    try:
        job = jobs.start(session, actor=me, job_id=job_id, request=start_request)
    except ValidationFailed as exc:
        job = jobs.get(session, actor=me, job_id=job_id)
        return _detail(request, session, me, job, errors=exc.errors, chosen=start_request, status_code=422)
    what = "Checking every row (nothing is imported yet)" if job.dry_run else "Importing"
    return see_other(f"/imports/{job.id}", flash=f"{what}: this page shows how far it got.")
