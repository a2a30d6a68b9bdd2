"""Comments, mentions, follows and notifications: services and routes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.comments import service as comment_service
from app.comments.models import Comment
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.insights.models import Status
from app.notifications import service as notification_service
from app.notifications.models import Notification
from app.people.models import Person
from tests import factories
from tests.browser import Browser, bearer
from tests.conftest import SearchIndex


def texts(db: Session, person: Person) -> list[str]:
    return [n.text for n in db.exec(select(Notification).where(Notification.person_id == person.id)).all()]


def test_mention_notifies_the_person_and_followers_hear_of_comments(
    db: Session, employee: Person, cx: Person, leader: Person
) -> None:
    insight = factories.insight(db, title="Late parcel")
    notification_service.follow(db, person=leader, target_type="insight", target_key=str(insight.id))
    db.commit()
    question = f"@{cx.handle} have we seen this before?"
    factories.posted_comment(db, by=employee, on=("insight", insight.id or 0), body=question)
    assert texts(db, cx) == ["Erin Employee mentioned you in a comment on “Late parcel”."]
    assert texts(db, leader) == ["Erin Employee commented on “Late parcel”."]
    assert texts(db, employee) == []  # never told of your own comment
    assert notification_service.is_following(
        db, person=employee, target_type="insight", target_key=str(insight.id)
    )


def test_replies_are_one_level_deep(db: Session, employee: Person, cx: Person) -> None:
    proposal = factories.proposal(db)
    top = factories.posted_comment(db, by=employee, on=("proposal", proposal.id or 0), body="First")
    reply = factories.posted_comment(
        db, by=cx, on=("proposal", proposal.id or 0), body="Reply", parent_id=top.id
    )
    nested = factories.posted_comment(
        db, by=employee, on=("proposal", proposal.id or 0), body="Reply to reply", parent_id=reply.id
    )
    assert nested.parent_id == top.id
    threads = comment_service.threads(db, target_type="proposal", target_id=proposal.id or 0)
    assert [(t.comment.body, [r.body for r, _ in t.replies]) for t in threads] == [
        ("First", ["Reply", "Reply to reply"])
    ]


def test_only_the_author_edits_and_deleting_with_replies_leaves_a_marker(
    db: Session, employee: Person, cx: Person
) -> None:
    proposal = factories.proposal(db)
    top = factories.posted_comment(db, by=employee, on=("proposal", proposal.id or 0), body="Original")
    with pytest.raises(PermissionDenied):
        comment_service.edit(db, actor=cx, comment_id=top.id or 0, body="Hijacked")
    comment_service.edit(db, actor=employee, comment_id=top.id or 0, body="Edited")
    factories.posted_comment(db, by=cx, on=("proposal", proposal.id or 0), body="Reply", parent_id=top.id)
    comment_service.delete(db, actor=employee, comment_id=top.id or 0)
    kept = db.get(Comment, top.id)
    assert kept is not None and kept.deleted_at is not None and kept.body == ""
    lonely = factories.posted_comment(db, by=employee, on=("proposal", proposal.id or 0), body="Alone")
    comment_service.delete(db, actor=employee, comment_id=lonely.id or 0)
    assert db.get(Comment, lonely.id) is None


def test_comments_on_archived_insights_are_not_for_employees(db: Session, employee: Person) -> None:
    insight = factories.insight(db, status=Status.archived)
    with pytest.raises(NotFound):
        factories.posted_comment(db, by=employee, on=("insight", insight.id or 0), body="hello")


def test_reply_to_a_comment_elsewhere_is_refused(db: Session, employee: Person) -> None:
    one, two = factories.proposal(db), factories.proposal(db)
    other = factories.posted_comment(db, by=employee, on=("proposal", one.id or 0), body="x")
    with pytest.raises(ValidationFailed):
        factories.posted_comment(db, by=employee, on=("proposal", two.id or 0), body="y", parent_id=other.id)


def test_comment_posted_in_place_with_htmx_and_without_js(
    browser: Browser, db: Session, employee: Person
) -> None:
    insight = factories.insight(db, title="Mirror cracked")
    browser.sign_in_as(employee)
    fragment = browser.post(
        "/comments",
        {"target_type": "insight", "target_id": str(insight.id), "body": "We saw **three** of these"},
        headers={"HX-Request": "true"},
    )
    assert (
        fragment.status_code == 200
        and "<html" not in fragment.text
        and "<strong>three</strong>" in fragment.text
    )
    plain = browser.post(
        "/comments", {"target_type": "insight", "target_id": str(insight.id), "body": "Again"}
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/insights/{insight.id}#comments"
    empty = browser.post(
        "/comments",
        {"target_type": "insight", "target_id": str(insight.id), "body": "  "},
        headers={"HX-Request": "true"},
    )
    assert empty.status_code == 422 and "Write something first" in empty.text
    assert len(db.exec(select(Comment)).all()) == 2


def test_hostile_comment_is_inert(browser: Browser, db: Session, employee: Person) -> None:
    insight = factories.insight(db)
    browser.sign_in_as(employee)
    browser.post(
        "/comments",
        {
            "target_type": "insight",
            "target_id": str(insight.id),
            "body": "<script>alert(1)</script> [x](javascript:alert(1))",
        },
    )
    page = browser.get(f"/insights/{insight.id}")
    assert "<script>alert(1)</script>" not in page.text and 'href="javascript' not in page.text


def test_notifications_page_badge_and_api(
    browser: Browser, db: Session, employee: Person, cx: Person
) -> None:
    proposal = factories.proposal(db, title="Evening slots")
    browser.sign_in_as(employee)
    browser.post(
        "/comments",
        {
            "target_type": "proposal",
            "target_id": str(proposal.id),
            "body": f"What do you think, @{cx.handle}?",
        },
    )
    browser.sign_in_as(cx)
    badge = browser.get("/notifications/badge", headers={"HX-Request": "true"})
    assert 'aria-label="1 unread"' in badge.text
    page = browser.get("/notifications")
    assert "Erin Employee mentioned you in a comment on “Evening slots”." in page.text
    token = auth_service.create_token(db, actor=cx, owner=cx).token
    api = browser.client.get("/api/v1/me/notifications", headers=bearer(token)).json()
    assert api["unread"] == 1 and api["items"][0]["url"].startswith(f"/proposals/{proposal.id}#comment-")
    assert api["items"][0]["read"] is False
    browser.post("/notifications/read-all")
    assert "unread" not in browser.get("/notifications/badge").text


def test_mention_suggestions(browser: Browser, db: Session, employee: Person, cx: Person) -> None:
    fragment = browser.sign_in_as(employee).get("/people/mentions?body=Hello%20%40ca")
    assert 'data-mention="cass"' in fragment.text


def test_comment_api(browser: Browser, db: Session, employee: Person) -> None:
    insight = factories.insight(db)
    headers = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    created = browser.client.post(
        f"/api/v1/insights/{insight.id}/comments", headers=headers, json={"body": "Hi"}
    )
    assert created.status_code == 201 and created.json()["author"] == employee.name
    listed = browser.client.get(f"/api/v1/insights/{insight.id}/comments", headers=headers).json()
    assert [c["body"] for c in listed] == ["Hi"]
    assert (
        browser.client.post(
            f"/api/v1/insights/{insight.id}/comments", headers=headers, json={"body": ""}
        ).status_code
        == 422
    )


def test_comments_are_searchable(db: Session, employee: Person, search_index: SearchIndex) -> None:
    from app.search import service as search_service

    proposal = factories.proposal(db, title="Evening slots")
    idea = "The couriers could start later"
    factories.posted_comment(db, by=employee, on=("proposal", proposal.id or 0), body=idea)
    search_index.sync()
    page = search_service.search(db, actor=employee, text="couriers")
    assert [(h.kind, h.url.split("#")[0]) for h in page.hits] == [("comment", f"/proposals/{proposal.id}")]


def test_followers_of_a_tag_and_of_a_saved_search_hear_of_new_insights(
    browser: Browser, db: Session, cx: Person, employee: Person, leader: Person, search_index: SearchIndex
) -> None:

    browser.sign_in_as(employee)
    assert (
        browser.post(
            "/follows", {"target_type": "tag", "target_key": "Late Delivery", "next": "/"}
        ).status_code
        == 303
    )
    browser.sign_in_as(leader)
    browser.post("/follows", {"target_type": "search", "target_key": "evening courier", "next": "/search"})
    me_page = browser.get("/me")
    assert "“evening courier”" in me_page.text
    factories.published(
        db,
        by=cx,
        kind="feedback",
        title="No evening courier",
        quote="Only morning slots",
        channel="survey",
        tags=["late-delivery"],
    )
    assert texts(db, employee) == ["New feedback tagged #late-delivery: “No evening courier”."]
    assert texts(db, leader) == []  # the saved search is checked once the index has the insight
    search_index.sync()
    assert texts(db, leader) == ["New insight for your saved search “evening courier”: “No evening courier”."]


def test_author_sees_their_anonymous_proposal_on_their_own_page(
    browser: Browser, db: Session, employee: Person
) -> None:
    browser.sign_in_as(employee)
    browser.post(
        "/proposals/new", {"title": "Quiet anonymous idea", "problem": "p", "change": "c", "anonymous": "1"}
    )
    page = browser.get("/me")
    assert "Quiet anonymous idea" in page.text and "anonymous — only you see it here" in page.text
