"""The insight API: /api/v1/insights and attachments, with tokens, per role."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.core.config import get_settings
from app.insights.models import Attachment, Insight, Kind, Status
from app.people.models import Person
from tests import factories
from tests.browser import Browser, bearer


def token_for(db: Session, person: Person) -> dict[str, str]:
    return bearer(auth_service.create_token(db, actor=person, owner=person).token)


def png_bytes(size: tuple[int, int] = (40, 30), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0)}  # GPS latitude
        data[0x010F] = "SpyCam"  # camera make
        image.save(out, format="JPEG", exif=data.tobytes())
    else:
        image.save(out, format="PNG")
    return out.getvalue()


EVERY_FEEDBACK_FIELD = {
    "kind": "feedback",
    "title": "Late",
    "body": "b",
    "tags": ["Late Delivery"],
    "product_area": "Delivery",
    "segment": "Families",
    "quote": "Two days late",
    "channel": "survey",
    "score": 3,
    "sentiment": "negative",
    "external_id": "S-1",
    "received_at": "2026-11-01",
}


def test_create_and_read_an_insight_of_every_kind(browser: Browser, db: Session, cx: Person) -> None:
    headers = token_for(db, cx)
    factories.team(db, name="Last Mile")

    def publish(body: dict[str, object]) -> httpx.Response:
        return browser.client.post("/api/v1/insights", headers=headers, json=body)

    fb = publish(EVERY_FEEDBACK_FIELD)
    assert fb.status_code == 201, fb.text
    body = fb.json()
    assert (
        body["url"] == f"/insights/{body['id']}"
        and body["author"] == cx.name
        and body["tags"] == ["late-delivery"]
    )
    assert body["score_scale"] == "rating" and body["attachments"] == [] and body["proposal_ids"] == []
    pain_point = {"kind": "pain_point", "title": "Late deliveries", "severity": 4, "customers_affected": 1200}
    pain = publish({**pain_point, "evidence_ids": [body["id"]]}).json()
    assert pain["evidence_ids"] == [body["id"]]
    stages = [{"name": "Discover", "emotion": 1}, {"name": "Wait", "emotion": -2, "thoughts": "When?"}]
    journey = publish({"kind": "journey_map", "title": "Order", "persona": "Maya", "stages": stages}).json()
    assert [(s["name"], s["emotion"]) for s in journey["stages"]] == [("Discover", 1), ("Wait", -2)]
    story = publish(
        {"kind": "success_story", "title": "Call-ahead", "teams": ["Last Mile"], "quote": "Great"}
    )
    assert story.json()["teams"] == ["Last Mile"]
    persona = {"kind": "persona", "title": "Maya", "segment": "First-time buyers", "quotes": ["q1", "q2"]}
    assert publish({**persona, "goals": "g", "frustrations": "f"}).json()["quotes"] == ["q1", "q2"]
    listing = browser.client.get("/api/v1/insights?kind=feedback", headers=headers).json()
    assert listing["total"] == 1 and listing["page"] == 1 and listing["items"][0]["id"] == body["id"]


def test_unknown_fields_and_bad_values_are_refused_with_422(
    browser: Browser, db: Session, cx: Person
) -> None:
    headers = token_for(db, cx)
    unknown = browser.client.post(
        "/api/v1/insights", headers=headers, json={"kind": "feedback", "title": "x", "author_id": 1}
    )
    assert unknown.status_code == 422
    missing = browser.client.post(
        "/api/v1/insights", headers=headers, json={"kind": "feedback", "title": "x"}
    )
    assert missing.status_code == 422
    assert {e["loc"][-1] for e in missing.json()["detail"]} >= {"quote", "channel"}
    assert db.exec(select(Insight)).all() == []


def test_employee_token_can_read_but_not_write(browser: Browser, db: Session, employee: Person) -> None:
    insight = factories.insight(db, title="Readable")
    headers = token_for(db, employee)
    assert browser.client.get(f"/api/v1/insights/{insight.id}", headers=headers).status_code == 200
    assert (
        browser.client.post(
            "/api/v1/insights", headers=headers, json={"kind": "feedback", "title": "x"}
        ).status_code
        == 403
    )
    assert (
        browser.client.patch(
            f"/api/v1/insights/{insight.id}", headers=headers, json={"title": "Hacked"}
        ).status_code
        == 403
    )
    assert browser.client.delete(f"/api/v1/insights/{insight.id}", headers=headers).status_code == 403
    db.refresh(insight)
    assert insight.title == "Readable" and insight.status == Status.published


def test_patch_and_delete_archive(browser: Browser, db: Session, cx: Person, employee: Person) -> None:
    insight = factories.insight(db, title="Before")
    headers = token_for(db, cx)
    patched = browser.client.patch(f"/api/v1/insights/{insight.id}", headers=headers, json={"title": "After"})
    assert patched.status_code == 200 and patched.json()["title"] == "After"
    assert browser.client.delete(f"/api/v1/insights/{insight.id}", headers=headers).status_code == 204
    assert (
        browser.client.get(f"/api/v1/insights/{insight.id}", headers=headers).json()["status"] == "archived"
    )
    employee_headers = token_for(db, employee)
    assert browser.client.get(f"/api/v1/insights/{insight.id}", headers=employee_headers).status_code == 404
    assert browser.client.get("/api/v1/insights", headers=employee_headers).json()["total"] == 0


def _upload(
    browser: Browser,
    headers: dict[str, str],
    insight_id: int,
    name: str,
    data: bytes,
    ctype: str = "application/octet-stream",
):  # type: ignore[no-untyped-def]
    return browser.client.post(
        f"/api/v1/insights/{insight_id}/attachments", headers=headers, files={"file": (name, data, ctype)}
    )


def _stored_files() -> list[Path]:
    root = get_settings().uploads_dir
    return [p for p in root.iterdir() if not p.name.startswith(".")] if root.exists() else []


def test_image_upload_is_reencoded_without_exif_and_served_safely(
    browser: Browser, db: Session, cx: Person, employee: Person
) -> None:
    insight = factories.insight(db, kind=Kind.journey_map, title="Map")
    headers = token_for(db, cx)
    response = _upload(browser, headers, insight.id or 0, "../../etc/map\u202egpj.jpg", png_bytes(exif=True))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/jpeg" and "/" not in body["name"] and "\u202e" not in body["name"]
    record = db.get(Attachment, body["id"])
    assert record is not None and len(record.stored_name) == 32
    stored = get_settings().uploads_dir / record.stored_name
    assert stored.resolve().is_relative_to(get_settings().uploads_dir.resolve())
    assert b"SpyCam" not in stored.read_bytes() and Image.open(stored).getexif().get(0x8825) is None
    download = browser.sign_in_as(employee).get(body["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert download.headers["content-disposition"].startswith("inline; filename=")


def test_html_dressed_as_png_is_refused_with_415_and_leaves_no_file(
    browser: Browser, db: Session, cx: Person
) -> None:
    insight = factories.insight(db)
    before = _stored_files()
    response = _upload(
        browser,
        token_for(db, cx),
        insight.id or 0,
        "photo.png",
        b"<html><script>alert(1)</script></html>",
        "image/png",
    )
    assert response.status_code == 415
    assert _stored_files() == before and db.exec(select(Attachment)).all() == []


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (png_bytes()[:60], "damaged"),
    ],
)
def test_broken_files_are_refused_with_422(
    browser: Browser, db: Session, cx: Person, data: bytes, message: str
) -> None:
    insight = factories.insight(db)
    response = _upload(browser, token_for(db, cx), insight.id or 0, "x.png", data)
    assert response.status_code == 422 and message in str(response.json()["detail"])


def test_pixel_bomb_is_refused(browser: Browser, db: Session, cx: Person) -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 MP, a few KB
    insight = factories.insight(db)
    response = _upload(browser, token_for(db, cx), insight.id or 0, "bomb.png", out.getvalue())
    assert response.status_code == 422 and "megapixels" in str(response.json()["detail"])


def test_oversized_upload_is_refused_with_413(
    browser: Browser, db: Session, cx: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    insight = factories.insight(db)
    response = _upload(
        browser, token_for(db, cx), insight.id or 0, "big.pdf", b"%PDF-1.4\n" + b"0" * (2 << 20)
    )
    assert response.status_code == 413 and "at most 1 MB" in response.json()["detail"]
    assert db.exec(select(Attachment)).all() == []


def test_pdf_and_csv_are_accepted_and_downloaded_as_attachments(
    browser: Browser, db: Session, cx: Person
) -> None:
    insight = factories.insight(db)
    headers = token_for(db, cx)
    pdf = _upload(browser, headers, insight.id or 0, "Reise ü;map.pdf", b"%PDF-1.4\n%%EOF\n")
    csv = _upload(browser, headers, insight.id or 0, "scores.csv", b"week,nps\n1,31\n2,35\n")
    assert pdf.status_code == 201 and csv.status_code == 201
    assert csv.json()["content_type"] == "text/csv"
    download = browser.sign_in_as(cx).get(pdf.json()["url"])
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and 'filename="Reise __map.pdf"' in disposition
    assert "filename*=UTF-8''Reise%20%C3%BC%3Bmap.pdf" in disposition


def test_employee_cannot_upload_and_cannot_download_from_archived_insight(
    browser: Browser, db: Session, cx: Person, employee: Person
) -> None:
    insight = factories.insight(db)
    assert (
        _upload(browser, token_for(db, employee), insight.id or 0, "a.pdf", b"%PDF-1.4\n").status_code == 403
    )
    uploaded = _upload(browser, token_for(db, cx), insight.id or 0, "a.pdf", b"%PDF-1.4\n").json()
    insight.status = Status.archived
    db.add(insight)
    db.commit()
    assert browser.sign_in_as(employee).get(uploaded["url"]).status_code == 404
    assert browser.sign_in_as(cx).get(uploaded["url"]).status_code == 200


def test_upload_form_shows_a_clear_message_for_a_wrong_type(
    browser: Browser, db: Session, cx: Person
) -> None:
    insight = factories.insight(db)
    browser.sign_in_as(cx)
    response = browser.post(
        f"/insights/{insight.id}/attachments",
        files={"file": ("x.png", b"<html>hi</html>", "image/png")},
    )
    assert response.status_code == 415
    assert "Only images (PNG, JPEG, WebP, GIF), PDF and CSV files can be attached." in response.text
