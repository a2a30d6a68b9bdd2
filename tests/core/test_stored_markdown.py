"""The HTML of a record's Markdown is stored with the record when it is written (sanitised, as when
it is shown), made again when the Markdown changes, and shown by the pages without rendering it;
a record without it (the importer's bulk rows, rows from before) or with HTML of an older version
of the rules is rendered from its Markdown when shown."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlmodel import Session

from app.comments import service as comment_service
from app.core import markdown
from app.people.models import Person
from tests import factories
from tests.browser import Browser


def _stored(record: object) -> dict[str, str]:
    value = json.loads(record.rendered or "{}")  # type: ignore[attr-defined]
    assert value.pop("v") == markdown.RENDERED_VERSION
    return value


def test_a_comment_stores_its_sanitised_html_and_an_edit_or_a_deletion_replaces_it(
    db: Session, employee: Person
) -> None:
    proposal = factories.proposal(db)
    comment = factories.posted_comment(
        db,
        by=employee,
        on=("proposal", proposal.id or 0),
        body="**Late** again <script>x()</script> [see](javascript:alert(1))",
    )
    html = _stored(comment)["body"]
    assert "<strong>Late</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html
    assert html == str(markdown.render(comment.body))

    comment_service.edit(db, actor=employee, comment_id=comment.id or 0, body="Now *on time*")
    assert _stored(comment)["body"] == "<p>Now <em>on time</em></p>\n"

    # A comment with replies stays, as "deleted", with its words and their HTML gone.
    factories.posted_comment(
        db, by=employee, on=("proposal", proposal.id or 0), body="Agreed", parent_id=comment.id
    )
    comment_service.delete(db, actor=employee, comment_id=comment.id or 0)
    assert _stored(comment) == {"body": ""}


def test_insights_and_proposals_store_each_markdown_field(db: Session, cx: Person) -> None:
    persona = factories.insight(
        db, kind="persona", body="About *her*", goals="- fast\n- clear", frustrations=""
    )
    assert _stored(persona) == {
        "body": "<p>About <em>her</em></p>\n",
        "goals": "<ul>\n<li>fast</li>\n<li>clear</li>\n</ul>\n",
        "frustrations": "",
    }
    proposal = factories.proposal(db, impact="Fewer **calls**")
    assert _stored(proposal)["impact"] == "<p>Fewer <strong>calls</strong></p>\n"
    proposal.title = "A new title"  # a write that leaves the Markdown as it was keeps its HTML
    db.add(proposal)
    db.commit()
    assert _stored(proposal)["impact"] == "<p>Fewer <strong>calls</strong></p>\n"


def test_pages_show_the_stored_html(db: Session, browser: Browser, employee: Person) -> None:
    insight = factories.insight(db, body="The words as written")
    # What the page shows comes from the stored HTML, not from rendering the body again.
    stored = {
        "v": markdown.RENDERED_VERSION,
        "body": "<p>The stored rendering</p>",
        "goals": "",
        "frustrations": "",
    }
    db.execute(
        text("UPDATE insight SET rendered = :r WHERE id = :id"), {"r": json.dumps(stored), "id": insight.id}
    )
    db.commit()
    db.expire_all()
    page = browser.sign_in_as(employee).get(f"/insights/{insight.id}")
    assert "The stored rendering" in page.text
    assert "The words as written" not in page.text


def test_without_current_html_the_markdown_is_rendered_when_shown_and_stored_at_the_next_write(
    db: Session, browser: Browser, employee: Person
) -> None:
    insight = factories.insight(db, body="Rendered **now**")
    older = {"v": markdown.RENDERED_VERSION - 1, "body": "<p>Made by older rules</p>"}
    for rendered in (None, json.dumps(older), "not json"):
        db.execute(text("UPDATE insight SET rendered = :r WHERE id = :id"), {"r": rendered, "id": insight.id})
        db.commit()
        db.expire_all()
        page = browser.sign_in_as(employee).get(f"/insights/{insight.id}")
        assert "Rendered <strong>now</strong>" in page.text
        assert "older rules" not in page.text
    insight.title = "Retitled"
    db.add(insight)
    db.commit()
    assert _stored(insight)["body"] == "<p>Rendered <strong>now</strong></p>\n"
