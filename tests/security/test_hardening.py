"""Hardening found by trying the demo as an attacker would (issue 9): each test failed before its fix."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, func, select

from app.auth import service as auth_service
from app.core.config import get_settings
from app.core.csvexport import safe_cell
from app.core.types import MAX_ID
from app.insights.models import Insight, Kind, Status
from app.people.models import Person
from app.proposals.models import Proposal
from tests import factories
from tests.browser import Browser, bearer

TOO_BIG = MAX_ID + 1  # 2**63: one more than a database id can hold


def token(db: Session, person: Person) -> dict[str, str]:
    return bearer(auth_service.create_token(db, actor=person, owner=person).token)


# --- comments: the edit form checks ownership and visibility like saving does ------------------------


def test_edit_form_of_another_persons_comment_is_refused(
    browser: Browser, db: Session, employee: Person
) -> None:
    proposal = factories.proposal(db)
    theirs = factories.comment(db, on=proposal, body="Not yours to edit")
    response = browser.sign_in_as(employee).get(f"/comments/{theirs.id}/edit", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "Not yours to edit" not in response.text and "<textarea" not in response.text


def test_edit_form_on_an_archived_insight_is_not_found(
    browser: Browser, db: Session, employee: Person
) -> None:
    archived = factories.insight(db, status=Status.archived, title="Hidden away")
    own = factories.comment(db, on=archived, author=employee, body="My old words")
    response = browser.sign_in_as(employee).get(f"/comments/{own.id}/edit")
    assert response.status_code == 404 and "My old words" not in response.text


def test_edit_form_of_own_comment_opens(browser: Browser, db: Session, employee: Person) -> None:
    proposal = factories.proposal(db)
    own = factories.comment(db, on=proposal, author=employee, body="Typo herre")
    response = browser.sign_in_as(employee).get(f"/comments/{own.id}/edit", headers={"HX-Request": "true"})
    assert response.status_code == 200 and f'id="edit-{own.id}"' in response.text


# --- CSV: every user-written cell is neutralised -------------------------------------------------------


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"])
def test_formula_cells_get_an_apostrophe(hostile: str) -> None:
    assert safe_cell(hostile) == "'" + hostile
    assert safe_cell("Delivery") == "Delivery" and safe_cell(-2) == "-2"


def test_dashboard_csv_neutralises_journey_and_stage_titles(
    browser: Browser, db: Session, leader: Person
) -> None:
    journey = factories.insight(db, kind=Kind.journey_map, title="=cmd|' /C calc'!A0")
    factories.stage(db, journey=journey, name="@SUM(1+1)", emotion=-2)
    response = browser.sign_in_as(leader).get("/dashboard.csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    journey_rows = [r for r in rows if r[0] == "journey"]
    assert journey_rows and all(r[1].startswith("'=") for r in journey_rows)
    assert ["journey", "'=cmd|' /C calc'!A0 / @SUM(1+1)", "emotion", "-2"] in rows
    for row in rows:
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row), row


# --- ids beyond 64 bits are 422, never 500 --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/proposals/{TOO_BIG}",
        f"/insights/{TOO_BIG}",
        f"/attachments/{TOO_BIG}",
        f"/comments/{TOO_BIG}/edit",
        f"/insights?department={TOO_BIG}",
        f"/proposals?department={TOO_BIG}",
        f"/proposals/new?insight={TOO_BIG}",
        f"/insights?page={TOO_BIG}",
        f"/search?q=late&page={TOO_BIG}",
    ],
)
def test_pages_with_huge_ids_never_fail(browser: Browser, employee: Person, url: str) -> None:
    """A huge id finds nothing (404), is refused (422), or, as an ignored list filter, lists all (200)."""
    response = browser.sign_in_as(employee).get(url)
    assert response.status_code in (200, 404, 422), (url, response.status_code)
    assert "Something went wrong" not in response.text


@pytest.mark.parametrize(
    "method,url,body",
    [
        ("GET", f"/api/v1/insights/{TOO_BIG}", None),
        ("GET", f"/api/v1/proposals/{TOO_BIG}", None),
        ("POST", f"/api/v1/proposals/{TOO_BIG}/support", None),
        ("GET", f"/api/v1/insights/{TOO_BIG}/comments", None),
        (
            "POST",
            "/api/v1/proposals",
            {"title": "Bigger ids", "problem": "p", "change": "c", "insight_ids": [TOO_BIG]},
        ),
        ("POST", "/api/v1/insights", {"kind": "pain_point", "title": "t", "evidence_ids": [TOO_BIG]}),
        ("POST", "/api/v1/insights", {"kind": "feedback", "title": "t", "department_id": TOO_BIG}),
    ],
)
def test_api_with_huge_ids_answers_422(
    browser: Browser, db: Session, admin: Person, method: str, url: str, body: object
) -> None:
    response = browser.client.request(method, url, json=body, headers=token(db, admin))
    assert response.status_code == 422, response.text


def test_huge_ids_in_comment_and_decision_bodies_answer_422(
    browser: Browser, db: Session, admin: Person
) -> None:
    proposal = factories.proposal(db)
    headers = token(db, admin)
    reply = browser.client.post(
        f"/api/v1/proposals/{proposal.id}/comments",
        json={"body": "hi", "parent_id": TOO_BIG},
        headers=headers,
    )
    assert reply.status_code == 422
    for decision in ({"owner_team": TOO_BIG}, {"duplicate_of": TOO_BIG}):
        response = browser.client.post(
            f"/api/v1/proposals/{proposal.id}/decision",
            json={"status": "accepted", "response": "Yes", **decision},
            headers=headers,
        )
        assert response.status_code == 422, response.text
    form = browser.sign_in_as(admin).post(
        "/comments", {"target_type": "proposal", "target_id": str(TOO_BIG), "body": "hi"}
    )
    assert form.status_code == 422


@pytest.mark.parametrize("field", ["quotes", "tags", "stages", "teams", "evidence_ids", "title"])
def test_patch_with_null_for_a_list_or_text_is_422_and_changes_nothing(
    browser: Browser, db: Session, cx: Person, field: str
) -> None:
    insight = factories.insight(db, kind=Kind.persona, title="Busy parent", author=cx)
    response = browser.client.patch(
        f"/api/v1/insights/{insight.id}", json={field: None}, headers=token(db, cx)
    )
    assert response.status_code == 422 and field in response.text
    db.refresh(insight)
    assert insight.title == "Busy parent"


def test_patch_with_null_for_an_optional_value_clears_it(browser: Browser, db: Session, cx: Person) -> None:
    insight = factories.insight(db, author=cx, sentiment="negative")
    response = browser.client.patch(
        f"/api/v1/insights/{insight.id}", json={"sentiment": None}, headers=token(db, cx)
    )
    assert response.status_code == 200 and response.json()["sentiment"] is None


# --- control characters in titles -------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Late\x00 parcels", "Bell\x07 ring", "Two\nlines", "Esc\x1b[31m red"])
def test_titles_with_control_characters_are_refused(
    browser: Browser, db: Session, cx: Person, title: str
) -> None:
    headers = token(db, cx)
    before = db.exec(select(func.count()).select_from(Insight)).one()
    proposals_before = db.exec(select(func.count()).select_from(Proposal)).one()
    body = {"kind": "feedback", "title": title, "quote": "q", "channel": "survey"}
    insight = browser.client.post("/api/v1/insights", json=body, headers=headers)
    proposal = browser.client.post(
        "/api/v1/proposals", json={"title": title + " more", "problem": "p", "change": "c"}, headers=headers
    )
    assert insight.status_code == 422 and proposal.status_code == 422
    assert "control characters" in insight.text
    assert db.exec(select(func.count()).select_from(Insight)).one() == before
    assert db.exec(select(func.count()).select_from(Proposal)).one() == proposals_before


def test_unicode_titles_still_round_trip(browser: Browser, db: Session, cx: Person) -> None:
    title = "Café 👩‍👩‍👧 مرحبا — שלום"
    body = {"kind": "feedback", "title": title, "quote": "Ça marche", "channel": "survey"}
    response = browser.client.post("/api/v1/insights", json=body, headers=token(db, cx))
    assert response.status_code == 201, response.text
    assert response.json()["title"] == title


# --- tags of archived insights stay hidden ---------------------------------------------------------------


def test_tag_suggestions_skip_tags_only_on_archived_insights(
    browser: Browser, db: Session, employee: Person, cx: Person
) -> None:
    factories.insight(db, status=Status.archived, tags=["secret-merger"])
    factories.insight(db, tags=["service-desk"])
    seen = browser.sign_in_as(employee).get("/tags/suggest?q=se").text
    assert "service-desk" in seen and "secret-merger" not in seen
    assert "secret-merger" in browser.sign_in_as(cx).get("/tags/suggest?q=se").text


# --- forwarded headers are believed only from configured proxies -----------------------------------------


def test_loopback_is_not_a_trusted_proxy_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES", raising=False)
    get_settings.cache_clear()
    assert get_settings().trusted_proxy_networks == []
    from starlette.requests import Request

    from app.core.websecurity import client_ip

    scope = {
        "type": "http",
        "client": ("127.0.0.1", 5000),
        "headers": [(b"x-forwarded-for", b"203.0.113.9")],
    }
    assert client_ip(Request(scope)) == "127.0.0.1"
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "127.0.0.1")
    get_settings.cache_clear()
    assert client_ip(Request(scope)) == "203.0.113.9"


# --- a chunked upload over the limit is 413, as one with a length is --------------------------------------


def test_chunked_oversize_upload_gets_413(
    browser: Browser, db: Session, cx: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    insight = factories.insight(db, author=cx)
    boundary = "----portal-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    def body() -> object:
        yield head
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB, sent without a Content-Length
            yield b"\0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = browser.client.post(
        f"/api/v1/insights/{insight.id}/attachments",
        content=body(),
        headers={**token(db, cx), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413 and "at most 1 MB" in response.json()["detail"]
