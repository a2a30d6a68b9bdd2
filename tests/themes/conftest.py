"""A small fictional library of feedback in three topics the themes should find."""

from __future__ import annotations

import random

import pytest
from sqlmodel import Session

from app.insights.models import Insight
from app.people.models import Person
from tests import factories

TOPICS = {
    "delivery": (
        ["parcel", "delivery", "courier van", "package"],
        [
            "arrived three days late",
            "missed the delivery window",
            "never showed up at the door",
            "came late again",
        ],
        [
            "Tracking said out for delivery all day.",
            "Nobody called before the courier left.",
            "The delivery slot means nothing.",
        ],
    ),
    "refund": (
        ["refund", "money back", "credit note", "return refund"],
        [
            "still not paid after weeks",
            "was promised twice and never came",
            "takes far too long",
            "lost by customer service",
        ],
        [
            "I returned the chair a month ago.",
            "Support keeps saying the refund is processing.",
            "Nobody answers about my money.",
        ],
    ),
    "app": (
        ["app", "mobile app", "phone app", "checkout screen"],
        ["crashes when I pay", "freezes at login", "keeps logging me out", "shows a blank screen"],
        [
            "I had to reinstall the app twice.",
            "The app update made it worse.",
            "Paying in the app is impossible.",
        ],
    ),
}


def library(db: Session, by: Person, per_topic: int = 24, **fields: object) -> dict[str, list[Insight]]:
    """`per_topic` pieces of feedback for each topic, the same words every time (seeded)."""
    dice = random.Random(7)
    made: dict[str, list[Insight]] = {}
    for topic, (subjects, complaints, extras) in TOPICS.items():
        made[topic] = []
        for _ in range(per_topic):
            subject, complaint, extra = dice.choice(subjects), dice.choice(complaints), dice.choice(extras)
            made[topic].append(
                factories.published(
                    db,
                    by=by,
                    title=f"{subject.capitalize()} {complaint}",
                    quote=f"My {subject} {complaint}. {extra}",
                    sentiment="negative",
                    channel="review",
                    **fields,
                )
            )
    return made


@pytest.fixture
def feedback(db: Session, cx: Person) -> dict[str, list[Insight]]:
    return library(db, cx)
