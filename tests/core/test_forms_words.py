"""Forms say what is wrong in plain words, never in the validator's own (issue 20)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from app.core.errors import field_errors
from app.people.models import Person
from tests.browser import Browser


class Sample(BaseModel):
    title: str = Field(min_length=5, max_length=10)
    score: int = Field(ge=0, le=10)
    when: str = Field(default="")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"title": "abc", "score": 1}, "title", "Write at least 5 characters."),
        ({"title": "a" * 11, "score": 1}, "title", "Keep it to 10 characters or fewer."),
        ({"title": "", "score": 1}, "title", "Write at least 5 characters."),
        ({"title": "right", "score": 11}, "score", "Use a number no higher than 10."),
        ({"title": "right", "score": -1}, "score", "Use a number of at least 0."),
        ({"title": "right", "score": "eleven"}, "score", "Use a whole number."),
        ({"score": 1}, "title", "Please fill this in."),
    ],
)
def test_each_refusal_reads_as_a_person_would_say_it(data: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Sample.model_validate(data)
    assert field_errors(refused.value)[field] == words


def test_a_page_form_never_shows_validator_text(browser: Browser, db: Session, employee: Person) -> None:
    browser.sign_in_as(employee)
    refused = browser.post("/proposals/new", {"title": "Hey", "problem": "p", "change": "c"})
    assert refused.status_code == 422
    assert "Write at least 5 characters." in refused.text
    assert "String should" not in refused.text and "Input should" not in refused.text


def test_the_feedback_form_names_every_problem_at_once(browser: Browser, db: Session, cx: Person) -> None:
    refused = browser.sign_in_as(cx).post(
        "/insights/new", {"kind": "feedback", "title": "A call", "score": "eleven", "quote": ""}
    )
    assert refused.status_code == 422
    assert "Use a whole number." in refused.text  # the score, refused by the form's model
    assert "Feedback needs the customer&#39;s words." in refused.text  # the quote, by the kind's rules
    assert "Say where the feedback came from." in refused.text


def test_the_pulse_form_names_a_short_title_and_a_past_date_at_once(
    browser: Browser, db: Session, leader: Person
) -> None:
    refused = browser.sign_in_as(leader).post("/pulse/new", {"title": "Q", "closes_on": "2020-01-01"})
    assert refused.status_code == 422
    assert (
        "Write at least 3 characters." in refused.text
        and "Choose a closing date after today." in refused.text
    )
