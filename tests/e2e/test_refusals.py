"""Forms a service refuses, on the live portal (its own request sessions, as in production): each
answers with its own status and message on a page that still shows who is signed in, never 500.

Over plain HTTP: what matters here is the server's answer, and the page's words."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session

from app.comments import schemas as comment_schemas
from app.comments import service as comment_service
from app.people import service as people_service
from app.people.models import Person, Role
from app.people.schemas import PersonCreate
from app.pulse import service as pulse_service
from tests import factories
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.live import SignedIn

pytestmark = pytest.mark.e2e


def newcomer(session: Session, name: str, role: Role = Role.employee, team_id: int | None = None) -> Person:
    email = f"{name.lower().replace(' ', '.')}@e2e.test"
    found = people_service.get_by_email(session, email=email)
    if found is not None:
        return found
    data = PersonCreate(email=email, name=name, role=role, team_id=team_id, password=PASSWORD)
    return people_service.create(session, actor=None, data=data)


def pain_point(session: Session, title: str) -> int:
    cx = newcomer(session, "Ines Insight", Role.cx)
    insight = factories.published(
        session, by=cx, kind="pain_point", title=title, severity=3, body="They say so."
    )
    assert insight.id is not None
    return insight.id


@pytest.fixture
def setup(live_server: LiveServer) -> Iterator[Session]:
    with live_server.session() as session:
        yield session


def assert_refused_on_a_page(response: httpx.Response, status: int, words: str, name: str) -> None:
    assert response.status_code == status, response.text[:500]
    assert words in response.text
    assert name in response.text  # the header still says who is signed in


def test_the_eleventh_proposal_in_an_hour_is_429_with_its_message(
    live_server: LiveServer, setup: Session
) -> None:
    person = newcomer(setup, "Rita Ratelimit")
    visitor = SignedIn(live_server.url, person.email, PASSWORD)
    form = {"problem": "p", "change": "c"}
    for n in range(10):
        assert visitor.post("/proposals/new", {**form, "title": f"Idea of the hour {n}"}).status_code == 303
    refused = visitor.post("/proposals/new", {**form, "title": "One idea too many"})
    assert_refused_on_a_page(refused, 429, "limit of 10 proposals per hour", "Rita Ratelimit")
    assert "Retry-After" in refused.headers


def test_the_seventh_comment_in_a_minute_is_429(live_server: LiveServer, setup: Session) -> None:
    person = newcomer(setup, "Carl Commenter")
    insight_id = pain_point(setup, "A thing customers say")
    visitor = SignedIn(live_server.url, person.email, PASSWORD)
    target = {"target_type": "insight", "target_id": str(insight_id)}
    for n in range(6):
        assert visitor.post("/comments", {**target, "body": f"Thought {n}"}).status_code == 303
    refused = visitor.post("/comments", {**target, "body": "One thought too many"})
    assert_refused_on_a_page(refused, 429, "per minute", "Carl Commenter")


def test_editing_another_persons_comment_is_403(live_server: LiveServer, setup: Session) -> None:
    author = newcomer(setup, "Olga Owner")
    insight_id = pain_point(setup, "Another thing customers say")
    comment = comment_service.add(
        setup,
        actor=author,
        target_type="insight",
        target_id=insight_id,
        data=comment_schemas.CommentIn(body="Mine"),
    )
    visitor = SignedIn(live_server.url, newcomer(setup, "Eve Editor").email, PASSWORD)
    refused = visitor.post(f"/comments/{comment.id}/edit", {"body": "Not yours"})
    assert_refused_on_a_page(refused, 403, "You can only change your own comments.", "Eve Editor")


def test_a_second_pulse_answer_is_409_and_answering_uninvited_is_403(
    live_server: LiveServer, setup: Session
) -> None:
    team = factories.team(setup, name="Refusal Crew")
    crew = [newcomer(setup, f"Crew Member {n}", team_id=team.id) for n in range(5)]
    opener = newcomer(setup, "Lena Leader", Role.leader)
    round_ = factories.opened_pulse(setup, by=opener, teams=[team], title="Refusals pulse")
    answers = {f"item-{i.id}": "4" for i in pulse_service.items(setup, round_id=round_.id or 0)}

    visitor = SignedIn(live_server.url, crew[0].email, PASSWORD)
    assert visitor.post(f"/pulse/{round_.id}/answers", answers).status_code == 303
    again = visitor.post(f"/pulse/{round_.id}/answers", answers)  # Back, then submit
    assert_refused_on_a_page(again, 409, "already answered", "Crew Member 0")

    outsider = SignedIn(live_server.url, newcomer(setup, "Oscar Outsider").email, PASSWORD)
    uninvited = outsider.post(f"/pulse/{round_.id}/answers", answers)
    assert_refused_on_a_page(uninvited, 403, "not sent to your team", "Oscar Outsider")


def test_starting_another_persons_import_is_403(live_server: LiveServer, setup: Session) -> None:
    import io

    from app.imports import jobs
    from tests.reviews import review_rows

    owner = newcomer(setup, "Una Uploader", Role.cx)
    body = "\n".join(",".join(f'"{cell}"' for cell in row) for row in review_rows(3)).encode()
    job = jobs.upload(setup, actor=owner, file_name="reviews.csv", source=io.BytesIO(body))
    other = SignedIn(live_server.url, newcomer(setup, "Otto Other", Role.cx).email, PASSWORD)
    refused = other.post(f"/imports/{job.id}/start", {"map_quote": "Review Text", "action": "check"})
    assert_refused_on_a_page(refused, 403, "Only the person who uploaded this file", "Otto Other")
