"""Uploaded files on insights: checked by their content, images re-encoded, stored under random names
outside the web root, served with safe headers (security.md E1-E7)."""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import filetype
from PIL import Image, UnidentifiedImageError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import db
from app.core.config import get_settings
from app.core.db import owns_transaction
from app.core.errors import DomainError, NotFound, StorageFull, ValidationFailed, is_disk_full
from app.insights import permissions
from app.insights.models import Attachment, Insight
from app.limits import service as write_limits
from app.people.models import Person

MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit
MIN_FREE_AFTER_UPLOAD = 10 * 1024 * 1024  # keep room for the database and the index
MAX_FILES_PER_INSIGHT = 20
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "PNG"}
_BIDI_AND_CONTROL = {"Cc", "Cf"}


class UnsupportedFile(
    DomainError, status=415, message="Only images (PNG, JPEG, WebP, GIF), PDF and CSV files can be attached."
):
    """The content is not one of the kinds we keep (checked by content, not by name)."""


class FileTooLarge(DomainError, status=413):
    """Larger than PORTAL_MAX_UPLOAD_MB."""


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None


def clean_filename(name: str) -> str:
    """The original name, kept as metadata only: no path, no control or bidi characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _BIDI_AND_CONTROL)
    name = name.strip().strip(".") or "file"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:8]) if dot else name[:120]
    return name


def check_content(data: bytes) -> CheckedFile:
    """Decide what the bytes really are; refuse everything not on the allow-list."""
    limit = get_settings().max_upload_bytes
    if len(data) > limit:
        raise FileTooLarge(f"The file is too large: at most {get_settings().max_upload_mb} MB is accepted.")
    if not data:
        raise ValidationFailed({"file": "The file is empty."})
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime in IMAGE_TYPES:
        return _reencode_image(data, mime)
    if mime == "application/pdf" and data.startswith(b"%PDF-"):
        return CheckedFile(content=data, content_type="application/pdf")
    if mime is None and _looks_like_csv(data):
        return CheckedFile(content=data, content_type="text/csv")
    raise UnsupportedFile()


def _looks_like_csv(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    head = text[:4096].lstrip().lower()
    if head.startswith(("<", "{", "[")) or "<script" in head or "<html" in head:
        return False
    try:
        rows = list(csv.reader(io.StringIO(text[:65536])))
    except csv.Error:
        return False
    return bool(rows) and any(len(row) > 1 for row in rows[:5])


def _reencode_image(data: bytes, mime: str) -> CheckedFile:
    """Open, verify, reopen and save a fresh copy: no EXIF, no trailing bytes, bounded size."""
    try:
        with warnings.catch_warnings():
            # We apply our own, lower pixel cap right below; Pillow's bomb warning would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
        with probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationFailed(
                    {"file": f"The image is too large ({width}×{height} pixels); at most 40 megapixels."}
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            target = IMAGE_TYPES[mime]
            image: Image.Image = opened
            if target == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            elif target == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, format=target, **({"quality": 90} if target in ("JPEG", "WEBP") else {}))
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed({"file": "The image is damaged or incomplete."}) from exc
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[target]
    return CheckedFile(content=out.getvalue(), content_type=content_type, width=width, height=height)


def _upload_root() -> Path:
    root = get_settings().uploads_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


@owns_transaction
def store(session: Session, *, actor: Person, insight_id: int, filename: str, data: bytes) -> Attachment:
    insight = permissions.get_checked(session, actor, "attach", insight_id)
    write_limits.check(session, person=actor, action="upload")
    count = len(session.exec(select(Attachment.id).where(Attachment.insight_id == insight_id)).all())
    if count >= MAX_FILES_PER_INSIGHT:
        raise ValidationFailed({"file": f"An insight has at most {MAX_FILES_PER_INSIGHT} attachments."})
    checked = check_content(data)
    stored_name = secrets.token_hex(16)
    root = _upload_root()
    target = root / stored_name
    temporary = root / f".{stored_name}.part"
    # Refuse early when the disk is nearly full, rather than fail half-way through the write.
    if shutil.disk_usage(root).free < len(checked.content) + MIN_FREE_AFTER_UPLOAD:
        raise StorageFull()
    # Write to a temporary file, flush to disk, then rename: a crash never leaves half a file.
    try:
        with temporary.open("xb") as fh:
            fh.write(checked.content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise StorageFull() from exc
        raise DomainError("The file could not be saved. Please try again later.") from exc
    attachment = Attachment(
        insight_id=insight_id,
        uploader_id=actor.id or 0,
        original_name=clean_filename(filename),
        stored_name=stored_name,
        content_type=checked.content_type,
        size=len(checked.content),
        width=checked.width,
        height=checked.height,
    )
    session.add(attachment)
    audit_service.record(session, actor, "attachment.upload", insight, summary=attachment.original_name)
    try:
        db.commit(session)
    except Exception:
        target.unlink(missing_ok=True)  # the database said no: leave no file behind
        raise
    return attachment


def for_download(session: Session, *, actor: Person, attachment_id: int) -> tuple[Attachment, Path]:
    attachment = session.get(Attachment, attachment_id)
    insight = session.get(Insight, attachment.insight_id) if attachment else None
    if attachment is None or insight is None or not permissions.can(actor, "view", insight):
        raise NotFound("There is no such file.")
    path = (_upload_root() / attachment.stored_name).resolve()
    if not path.is_relative_to(_upload_root()) or not path.exists():
        raise NotFound("There is no such file.")
    return attachment, path


def remove(session: Session, *, actor: Person, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    insight = session.get(Insight, attachment.insight_id) if attachment else None
    if attachment is None or insight is None:
        raise NotFound("There is no such file.")
    permissions.check(actor, "attach", insight)
    session.delete(attachment)
    audit_service.record(session, actor, "attachment.delete", insight, summary=attachment.original_name)
    db.commit(session)
    (_upload_root() / attachment.stored_name).unlink(missing_ok=True)
    return attachment


def download_headers(attachment: Attachment) -> dict[str, str]:
    """Headers that make a stored file inert in the browser (security.md E7)."""
    name = attachment.original_name
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name)
    disposition = (
        "inline" if attachment.content_type in ("image/png", "image/jpeg", "image/webp") else "attachment"
    )
    return {
        "Content-Type": attachment.content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
        "Cache-Control": "private, no-store",
    }


def artefact(attachments: list[Attachment]) -> Attachment | None:
    """A journey map's original artefact: its first image or PDF."""
    return next((a for a in attachments if a.is_image or a.content_type == "application/pdf"), None)


def list_for(session: Session, insight_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.insight_id == insight_id).order_by(col(Attachment.id))
        ).all()
    )
