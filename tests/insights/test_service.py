"""Insight rules, tested without HTTP: kinds, validation, permissions, links, stages, archive."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.insights import journey
from app.insights import schemas as insight_schemas
from app.insights import service as insight_service
from app.insights import stages as stage_service
from app.insights import tags as tag_service
from app.insights.models import Insight, Kind, Status
from app.insights.schemas import InsightCreate, InsightUpdate, StageIn
from app.people.models import Person
from tests import factories


def feedback(**extra: object) -> InsightCreate:
    fields = {
        "kind": Kind.feedback,
        "title": "Late parcel",
        "quote": "It came two days late.",
        "channel": "support_ticket",
        **extra,
    }
    return InsightCreate.model_validate(fields)


def test_cx_publishes_feedback_with_normalised_tags_and_an_audit_event(db: Session, cx: Person) -> None:
    insight = insight_service.create(
        db, actor=cx, data=feedback(tags=["Late Delivery", "late-delivery", " Tracking "])
    )
    read = insight_service.to_read(db, insight)
    assert read.tags == ["late-delivery", "tracking"]
    assert read.url == f"/insights/{insight.id}" and read.author == cx.name
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "insight.publish")).one()
    assert event.entity_id == insight.id and event.actor_id == cx.id


@pytest.mark.parametrize("role", ["employee", "leader"])
def test_only_cx_staff_and_admins_publish(db: Session, personas: dict[str, Person], role: str) -> None:
    with pytest.raises(PermissionDenied):
        insight_service.create(db, actor=personas[role], data=feedback())
    assert db.exec(select(Insight)).all() == []


def test_admin_can_publish(db: Session, admin: Person) -> None:
    assert insight_service.create(db, actor=admin, data=feedback()).id is not None


def test_feedback_needs_the_customers_words_and_a_channel(db: Session, cx: Person) -> None:
    with pytest.raises(ValidationFailed) as exc:
        insight_service.create(db, actor=cx, data=InsightCreate(kind=Kind.feedback, title="Empty"))
    assert {"quote", "channel"} <= set(exc.value.errors)


def test_rating_must_be_one_to_five_and_nps_zero_to_ten(db: Session, cx: Person) -> None:
    with pytest.raises(ValidationFailed) as exc:
        insight_service.create(db, actor=cx, data=feedback(score=7, score_scale="rating"))
    assert "score" in exc.value.errors
    assert insight_service.create(db, actor=cx, data=feedback(score=7)).score_scale == "nps"
    assert insight_service.create(db, actor=cx, data=feedback(score=4)).score_scale == "rating"


def test_customer_reference_is_unique_per_channel(db: Session, cx: Person) -> None:
    insight_service.create(db, actor=cx, data=feedback(external_id="T-1"))
    with pytest.raises(ValidationFailed) as exc:
        insight_service.create(db, actor=cx, data=feedback(external_id="T-1"))
    assert "external_id" in exc.value.errors
    other_channel = insight_service.create(db, actor=cx, data=feedback(external_id="T-1", channel="survey"))
    assert other_channel.id is not None


def test_pain_point_links_feedback_as_evidence_and_counts_it(db: Session, cx: Person) -> None:
    one = insight_service.create(db, actor=cx, data=feedback())
    two = insight_service.create(db, actor=cx, data=feedback(title="Another"))
    pain = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(
            kind=Kind.pain_point,
            title="Deliveries are late",
            severity=3,
            evidence_ids=[one.id or 0, two.id or 0],
        ),
    )
    assert insight_service.to_read(db, pain).evidence_ids == sorted([one.id, two.id])
    assert insight_service.evidence_counts(db, [pain.id or 0]) == {pain.id: 2}
    info = insight_service.detail(db, actor=cx, insight_id=one.id or 0)
    assert [p.id for p in info.cited_by] == [pain.id]


def test_evidence_must_be_feedback(db: Session, cx: Person) -> None:
    persona = factories.insight(db, kind=Kind.persona, segment="Families")
    with pytest.raises(ValidationFailed) as exc:
        insight_service.create(
            db,
            actor=cx,
            data=InsightCreate(
                kind=Kind.pain_point, title="x", severity=2, evidence_ids=[persona.id or 0, 999999]
            ),
        )
    assert "evidence_ids" in exc.value.errors


def test_pain_point_needs_a_severity(db: Session, cx: Person) -> None:
    with pytest.raises(ValidationFailed) as exc:
        insight_service.create(db, actor=cx, data=InsightCreate(kind=Kind.pain_point, title="x"))
    assert "severity" in exc.value.errors


def test_success_story_credits_existing_teams_only(db: Session, cx: Person) -> None:
    team = factories.team(db, name="Last Mile")
    story = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(kind=Kind.success_story, title="Call-ahead works", teams=["Last Mile"]),
    )
    assert insight_service.to_read(db, story).teams == ["Last Mile"]
    assert [t.id for t in insight_service.detail(db, actor=cx, insight_id=story.id or 0).teams] == [team.id]
    with pytest.raises(ValidationFailed) as exc:
        insight_service.create(
            db, actor=cx, data=InsightCreate(kind=Kind.success_story, title="x", teams=["No Such Team"])
        )
    assert "teams" in exc.value.errors


def test_persona_needs_a_segment_and_keeps_its_quotes(db: Session, cx: Person) -> None:
    with pytest.raises(ValidationFailed):
        insight_service.create(db, actor=cx, data=InsightCreate(kind=Kind.persona, title="Maya"))
    persona = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(
            kind=Kind.persona, title="Maya", segment="First-time buyers", quotes=["One", " ", "Two"]
        ),
    )
    assert persona.quotes == ["One", "Two"]


def test_fields_of_other_kinds_are_not_stored(db: Session, cx: Person) -> None:
    insight = insight_service.create(db, actor=cx, data=feedback(severity=4, persona="x", goals="y"))
    assert (insight.severity, insight.persona, insight.goals) == (None, "", "")


def test_archived_insight_is_hidden_from_employees_but_not_from_cx(
    db: Session, cx: Person, employee: Person, leader: Person
) -> None:
    insight = insight_service.create(db, actor=cx, data=feedback())
    assert insight.id is not None
    insight_service.set_status(db, actor=cx, insight_id=insight.id, status=Status.archived)
    for person in (employee, leader):
        with pytest.raises(NotFound):
            insight_service.get_visible(db, actor=person, insight_id=insight.id)
        total, _ = insight_service.list_insights(
            db, actor=person, filters=insight_schemas.ListFilters(status=Status.archived)
        )
        assert total == 0
    assert insight_service.get_visible(db, actor=cx, insight_id=insight.id).status == Status.archived
    total, _ = insight_service.list_insights(
        db, actor=cx, filters=insight_schemas.ListFilters(status=Status.archived)
    )
    assert total == 1
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "insight.archive")).first() is not None


def test_employee_cannot_archive_or_edit(db: Session, cx: Person, employee: Person) -> None:
    insight = insight_service.create(db, actor=cx, data=feedback())
    assert insight.id is not None
    with pytest.raises(PermissionDenied):
        insight_service.set_status(db, actor=employee, insight_id=insight.id, status=Status.archived)
    with pytest.raises(PermissionDenied):
        insight_service.update(db, actor=employee, insight_id=insight.id, data=InsightUpdate(title="Hacked"))
    db.refresh(insight)
    assert (insight.status, insight.title) == (Status.published, "Late parcel")


def test_patch_changes_only_the_fields_sent(db: Session, cx: Person) -> None:
    insight = insight_service.create(db, actor=cx, data=feedback(tags=["a"], score=2))
    assert insight.id is not None
    insight_service.update(db, actor=cx, insight_id=insight.id, data=InsightUpdate(title="Renamed"))
    read = insight_service.to_read(db, insight)
    assert (read.title, read.tags, read.score, read.quote) == ("Renamed", ["a"], 2, "It came two days late.")


def test_list_filters_combine(db: Session, cx: Person) -> None:
    dept = factories.department(db, name="Logistics")
    insight_service.create(
        db, actor=cx, data=feedback(tags=["late"], department_id=dept.id, sentiment="negative")
    )
    insight_service.create(db, actor=cx, data=feedback(tags=["late"], sentiment="positive"))
    insight_service.create(
        db, actor=cx, data=InsightCreate(kind=Kind.pain_point, title="p", severity=1, tags=["late"])
    )
    filters = insight_schemas.ListFilters(kind=Kind.feedback, tag="late", sentiment="negative")
    total, items = insight_service.list_insights(db, actor=cx, filters=filters)
    assert total == 1 and items[0].department_id == dept.id
    total, _ = insight_service.list_insights(db, actor=cx, filters=insight_schemas.ListFilters(tag="LATE"))
    assert total == 3


def test_stages_are_added_moved_and_removed_in_order(db: Session, cx: Person) -> None:
    journey_map = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(
            kind=Kind.journey_map, title="Order journey", stages=[StageIn(name="A"), StageIn(name="B")]
        ),
    )
    jid = journey_map.id or 0
    added = stage_service.add_stage(db, actor=cx, journey_id=jid, stage=StageIn(name="C", emotion=-2))
    names = lambda: [s.name for s in stage_service.stages_of(db, jid)]  # noqa: E731
    assert names() == ["A", "B", "C"]
    stage_service.move_stage(db, actor=cx, journey_id=jid, stage_id=added.id or 0, offset=-1)
    assert names() == ["A", "C", "B"]
    first = stage_service.stages_of(db, jid)[0]
    pain = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(kind=Kind.pain_point, title="p", severity=2, journey_stage_id=first.id),
    )
    stage_service.remove_stage(db, actor=cx, journey_id=jid, stage_id=first.id or 0)
    assert names() == ["C", "B"]
    assert [s.position for s in stage_service.stages_of(db, jid)] == [0, 1]
    db.refresh(pain)
    assert pain.journey_stage_id is None


def test_stage_import_from_csv_and_json(db: Session, cx: Person) -> None:
    csv_file = b"name,goal,emotion\nDiscover,Find a sofa,1\nPay,Pay safely,-1\n"
    assert [s.name for s in journey.parse_stages("stages.csv", csv_file)] == ["Discover", "Pay"]
    json_file = b'{"stages": [{"name": "Wait", "emotion": -2, "thoughts": "When?"}]}'
    parsed = journey.parse_stages("stages.json", json_file)
    assert (parsed[0].name, parsed[0].emotion, parsed[0].thoughts) == ("Wait", -2, "When?")


def test_stage_import_with_a_bad_row_names_it_and_imports_nothing(db: Session, cx: Person) -> None:
    journey_map = insight_service.create(db, actor=cx, data=InsightCreate(kind=Kind.journey_map, title="J"))
    bad = b"name,emotion\nDiscover,1\n,0\nPay,7\n"
    with pytest.raises(journey.StageImportFailed) as exc:
        stage_service.append_stages(
            db, actor=cx, journey_id=journey_map.id or 0, stages=journey.parse_stages("s.csv", bad)
        )
    assert [n for n, _ in exc.value.rows] == [3, 4]
    assert stage_service.stages_of(db, journey_map.id or 0) == []


def test_stage_import_refuses_unknown_columns_and_non_utf8(db: Session) -> None:
    with pytest.raises(ValidationFailed, match="Unknown columns"):
        journey.parse_stages("s.csv", b"name,colour\nA,red\n")
    with pytest.raises(ValidationFailed, match="UTF-8"):
        journey.parse_stages("s.csv", "name\nCafé\n".encode("latin-1"))


def test_emotion_curve_puts_plus_two_on_top() -> None:
    stages = [StageIn(name="up", emotion=2), StageIn(name="down", emotion=-2)]
    curve = journey.emotion_curve(stages)
    assert curve.points[0].y < curve.baseline < curve.points[1].y
    assert curve.path.startswith("M") and " L" in curve.path


def test_tag_suggestions_match_word_starts(db: Session, cx: Person) -> None:
    insight_service.create(db, actor=cx, data=feedback(tags=["late-delivery", "delivery-window", "price"]))
    assert set(tag_service.suggest_tags(db, actor=cx, prefix="deliv")) == {
        "late-delivery",
        "delivery-window",
    }
    assert tag_service.suggest_tags(db, actor=cx, prefix="%") == []
