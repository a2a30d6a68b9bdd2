"""Insight pages: browse, read, publish, edit, archive; journey stages; attachments; tag suggestions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError

from app.core.config import get_settings
from app.core.errors import ValidationFailed, field_errors
from app.core.forms import FormState
from app.core.htmx import fragment_or_redirect, see_other
from app.core.templating import render
from app.core.types import PathId, parse_id
from app.flows import finding, outcomes, pages
from app.insights import attachments as attachment_service
from app.insights import journey
from app.insights import service as insight_service
from app.insights import stages as stage_service
from app.insights import tags as tag_service
from app.insights.forms import fields_from_form
from app.insights.kinds import style_sheet
from app.insights.models import Insight, Kind, Status
from app.insights.schemas import InsightCreate, InsightUpdate, StageIn
from app.themes import service as theme_service
from app.web.deps import CurrentPerson, FormDep, SessionDep
from app.web.filters import InsightFiltersDep

router = APIRouter()
KIND_STYLES = style_sheet()
UploadedFile = Annotated[UploadFile, File()]


def _kind(value: str) -> Kind | None:
    return Kind(value) if value in Kind.__members__ else None


@router.get("/kinds.css", name="insights:kind_styles")
def kind_styles() -> Response:
    """The kinds' colours, from their declarations (app/insights/kinds.py)."""
    return Response(KIND_STYLES, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/insights", name="insights:list", response_class=HTMLResponse)
def list_page(
    request: Request, session: SessionDep, me: CurrentPerson, filters: InsightFiltersDep
) -> Response:
    return render(request, "insights/list.html", pages.insight_list(session, me, filters), block="results")


def _form(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    kind: Kind,
    form: FormState,
    insight: Insight | None = None,
) -> Response:
    """The insight form, new (insight None) or for editing; with errors it answers 422."""
    context = pages.insight_form(session, me, kind, form, insight)
    return render(request, "insights/form.html", context, status_code=form.status_code)


@router.get("/insights/new", name="insights:new_form", response_class=HTMLResponse)
def new_form(
    request: Request, session: SessionDep, me: CurrentPerson, kind: str = "", theme: str = ""
) -> Response:
    chosen = _kind(kind)
    if chosen is None:
        return render(request, "insights/choose_kind.html", {"kinds": list(Kind)})
    values: dict[str, Any] = {"tags": [], "department_id": None}
    theme_id = parse_id(theme) if theme else None
    if chosen == Kind.pain_point and theme_id is not None:
        # "Make a pain point" on a theme: its label, summary and feedback, to edit before publishing.
        view = theme_service.theme(session, actor=me, theme_id=theme_id)
        values = {**values, **theme_service.pain_point_data(session, view).model_dump(exclude={"kind"})}
    return _form(request, session, me, chosen, FormState(values))


@router.post("/insights/new", name="insights:create", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, me: CurrentPerson, form: FormDep) -> Response:
    kind = _kind(str(form.get("kind", "")))
    if kind is None:
        return see_other("/insights/new")
    values = fields_from_form(kind, form)
    try:
        insight = outcomes.create_insight(session, actor=me, data=InsightCreate(kind=kind, **values))
    except (ValidationError, ValidationFailed) as exc:
        errors = insight_service.form_errors(session, kind, values, exc)
        return _form(request, session, me, kind, FormState(values, errors))
    if kind == Kind.journey_map:
        return see_other(f"/insights/{insight.id}/stages", flash="Journey map published. Now add its stages.")
    return see_other(f"/insights/{insight.id}", flash=f"{kind.label} published.")


@router.get("/insights/pick", name="insights:pick", response_class=HTMLResponse)
def pick(
    request: Request, session: SessionDep, me: CurrentPerson, q: str = "", kind: str = "feedback"
) -> Response:
    """Evidence picker: feedback matching the typed words, as checkboxes for the pain point form."""
    found = finding.find_insights(session, actor=me, text=q, kind=_kind(kind) or Kind.feedback)
    return render(request, "insights/_pick.html", {"found": found, "q": q})


@router.get("/tags/suggest", name="tags:suggest", response_class=HTMLResponse)
def suggest_tags(
    request: Request, session: SessionDep, me: CurrentPerson, tags: str = "", q: str = ""
) -> Response:
    typed = (q or tags).split(",")[-1]
    return render(
        request,
        "insights/_tag_suggestions.html",
        {"suggestions": tag_service.suggest_tags(session, actor=me, prefix=typed[:50])},
    )


@router.get("/insights/{insight_id}", name="insights:detail", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId) -> Response:
    return _detail_page(request, session, me, insight_id)


def _detail_page(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    insight_id: int,
    *,
    upload_error: str = "",
    status_code: int = 200,
) -> Response:
    context = pages.insight_page(session, me, insight_id)
    context.update(upload_error=upload_error, max_upload_mb=get_settings().max_upload_mb)
    return render(request, "insights/detail.html", context, status_code=status_code)


@router.get("/insights/{insight_id}/edit", name="insights:edit_form", response_class=HTMLResponse)
def edit_form(request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId) -> Response:
    insight = insight_service.get_visible(session, actor=me, insight_id=insight_id)
    values = outcomes.read(session, insight).model_dump()
    return _form(request, session, me, insight.kind, FormState(values), insight)


@router.post("/insights/{insight_id}/edit", name="insights:update", response_class=HTMLResponse)
def update(
    request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId, form: FormDep
) -> Response:
    insight = insight_service.get_visible(session, actor=me, insight_id=insight_id)
    values = fields_from_form(insight.kind, form)
    try:
        outcomes.update_insight(session, actor=me, insight_id=insight_id, data=InsightUpdate(**values))
    except (ValidationError, ValidationFailed) as exc:
        errors = insight_service.form_errors(session, insight.kind, values, exc, insight_id)
        return _form(request, session, me, insight.kind, FormState(values, errors), insight)
    return see_other(f"/insights/{insight_id}", flash="Changes saved.")


@router.post("/insights/{insight_id}/archive", name="insights:archive")
def archive(session: SessionDep, me: CurrentPerson, insight_id: PathId) -> Response:
    insight = insight_service.set_status(session, actor=me, insight_id=insight_id, status=Status.archived)
    return see_other(
        f"/insights/{insight_id}", flash=f"“{insight.title}” is archived: only CX staff see it now."
    )


@router.post("/insights/{insight_id}/restore", name="insights:restore")
def restore(session: SessionDep, me: CurrentPerson, insight_id: PathId) -> Response:
    insight_service.set_status(session, actor=me, insight_id=insight_id, status=Status.published)
    return see_other(f"/insights/{insight_id}", flash="Published again: everyone can see it.")


# --- journey stages ------------------------------------------------------------------------------


def _stages_page(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    insight_id: int,
    form: FormState | None = None,
    import_rows: list[tuple[int, str]] | None = None,
) -> Response:
    """The stages editor; a refused stage form or file comes back with its errors (422)."""
    form = form or FormState()
    info = insight_service.detail(session, actor=me, insight_id=insight_id)
    context = {
        "insight": info.insight,
        "stages": info.stages,
        "curve": journey.emotion_curve(info.stages),
        "errors": form.errors,
        "values": form.values,
        "import_rows": import_rows or [],
        "emotion_labels": journey.EMOTION_LABELS,
        "columns": journey.STAGE_COLUMNS,
    }
    return render(request, "insights/stages.html", context, block="stages", status_code=form.status_code)


def _stage_from_form(form: FormDep) -> tuple[StageIn | None, dict[str, Any], dict[str, str]]:
    values = {k: str(form.get(k, "")).strip() for k in journey.STAGE_COLUMNS}
    try:
        return StageIn.model_validate({**values, "emotion": values["emotion"] or 0}), values, {}
    except ValidationError as exc:
        return None, values, field_errors(exc)


def _save_stage(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    insight_id: int,
    form: FormDep,
    save: Callable[[StageIn], None],
    *,
    done: str,
    stage_id: int | None = None,
) -> Response:
    """Add a stage (stage_id None) or save one from its form. Errors go back to the stages page: an
    edited stage's errors are keyed by its id, a new stage's keep what was typed in the add form."""
    stage, values, errors = _stage_from_form(form)
    if stage is not None:
        try:
            save(stage)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return _after_stage_change(request, session, me, insight_id, f"Stage “{stage.name}” {done}.")
    prefix = "" if stage_id is None else f"{stage_id}:"
    refused = FormState(values if stage_id is None else {}, {f"{prefix}{k}": v for k, v in errors.items()})
    return _stages_page(request, session, me, insight_id, refused)


def _after_stage_change(
    request: Request, session: SessionDep, me: CurrentPerson, insight_id: int, message: str
) -> Response:
    return fragment_or_redirect(
        request,
        lambda: _stages_page(request, session, me, insight_id),
        f"/insights/{insight_id}/stages",
        flash=message,
    )


@router.get("/insights/{insight_id}/stages", name="insights:stages", response_class=HTMLResponse)
def stages(request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId) -> Response:
    insight = insight_service.get_visible(session, actor=me, insight_id=insight_id)
    if insight.kind != Kind.journey_map:
        return see_other(f"/insights/{insight_id}")
    return _stages_page(request, session, me, insight_id)


@router.post("/insights/{insight_id}/stages", name="insights:stage_add", response_class=HTMLResponse)
def stage_add(
    request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId, form: FormDep
) -> Response:
    def add(stage: StageIn) -> None:
        stage_service.add_stage(session, actor=me, journey_id=insight_id, stage=stage)

    return _save_stage(request, session, me, insight_id, form, add, done="added")


@router.post(
    "/insights/{insight_id}/stages/import", name="insights:stage_import", response_class=HTMLResponse
)
def stage_import(
    request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId, file: UploadedFile
) -> Response:
    data = file.file.read()
    try:
        count = stage_service.import_file(
            session, actor=me, journey_id=insight_id, filename=file.filename or "", data=data
        )
    except journey.StageImportFailed as exc:
        nothing = FormState(errors={"file": "Nothing was imported."})
        return _stages_page(request, session, me, insight_id, nothing, import_rows=exc.rows)
    except ValidationFailed as exc:
        return _stages_page(request, session, me, insight_id, FormState(errors=exc.errors))
    return _after_stage_change(request, session, me, insight_id, f"{count} stages imported.")


@router.post(
    "/insights/{insight_id}/stages/{stage_id}", name="insights:stage_update", response_class=HTMLResponse
)
def stage_update(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    insight_id: PathId,
    stage_id: PathId,
    form: FormDep,
) -> Response:
    def save(stage: StageIn) -> None:
        stage_service.update_stage(session, actor=me, journey_id=insight_id, stage_id=stage_id, stage=stage)

    return _save_stage(request, session, me, insight_id, form, save, done="saved", stage_id=stage_id)


@router.post(
    "/insights/{insight_id}/stages/{stage_id}/move", name="insights:stage_move", response_class=HTMLResponse
)
def stage_move(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    insight_id: PathId,
    stage_id: PathId,
    direction: Annotated[str, Form(max_length=10)] = "down",
) -> Response:
    offset = -1 if direction == "up" else 1
    stage_service.move_stage(session, actor=me, journey_id=insight_id, stage_id=stage_id, offset=offset)
    return _after_stage_change(request, session, me, insight_id, "Stage moved.")


@router.post(
    "/insights/{insight_id}/stages/{stage_id}/delete",
    name="insights:stage_remove",
    response_class=HTMLResponse,
)
def stage_remove(
    request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId, stage_id: PathId
) -> Response:
    stage_service.remove_stage(session, actor=me, journey_id=insight_id, stage_id=stage_id)
    return _after_stage_change(request, session, me, insight_id, "Stage removed.")


# --- attachments -------------------------------------------------------------------------------------


@router.post("/insights/{insight_id}/attachments", name="insights:attach", response_class=HTMLResponse)
def attach(
    request: Request, session: SessionDep, me: CurrentPerson, insight_id: PathId, file: UploadedFile
) -> Response:
    data = file.file.read(get_settings().max_upload_bytes + 1)
    try:
        attachment = attachment_service.store(
            session, actor=me, insight_id=insight_id, filename=file.filename or "file", data=data
        )
    except (ValidationFailed, attachment_service.UnsupportedFile, attachment_service.FileTooLarge) as exc:
        message = exc.errors.get("file", exc.message) if isinstance(exc, ValidationFailed) else exc.message
        return _detail_page(
            request, session, me, insight_id, upload_error=message, status_code=exc.status_code
        )
    return see_other(f"/insights/{insight_id}#attachments", flash=f"Attached “{attachment.original_name}”.")


@router.get("/attachments/{attachment_id}", name="attachments:download")
def download(session: SessionDep, me: CurrentPerson, attachment_id: PathId) -> Response:
    attachment, path = attachment_service.for_download(session, actor=me, attachment_id=attachment_id)
    return FileResponse(path, headers=attachment_service.download_headers(attachment))


@router.post("/attachments/{attachment_id}/delete", name="attachments:remove")
def remove_attachment(session: SessionDep, me: CurrentPerson, attachment_id: PathId) -> Response:
    attachment = attachment_service.remove(session, actor=me, attachment_id=attachment_id)
    return see_other(f"/insights/{attachment.insight_id}#attachments", flash="Attachment removed.")
