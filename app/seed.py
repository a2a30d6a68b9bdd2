"""Loads the demo company from seed_data/ through the services, once."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from app.core import db
from app.core.credentials import hash_password
from app.core.db import one_transaction
from app.core.models import utcnow
from app.insights import service as insight_service
from app.insights import stages as stage_service
from app.insights.models import Insight, Kind
from app.insights.schemas import InsightCreate, StageIn
from app.limits import service as write_limits
from app.people import service as people_service
from app.people.models import Department, Person, Role, Team
from app.people.schemas import PersonCreate

SEED_DIR = Path(__file__).resolve().parents[1] / "seed_data"


def _read(name: str) -> dict[str, Any]:
    with (SEED_DIR / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def read_company() -> dict[str, Any]:
    return _read("company.yaml")


def load_demo(session: Session) -> str:
    """Create the demo company; a database that has people already is left alone."""
    if people_service.count_people(session) > 0:
        return "The database already has people; the demo data was not loaded."
    company = read_company()
    # Everyone in the demo shares one password, so hash it once (argon2 is slow on purpose).
    password_hash = hash_password(company["demo_password"])
    with one_transaction(session):  # the people service's commits wait: one transaction
        people, teams = _load_people(session, company["departments"], password_hash)
    with one_transaction(session):  # the insight service's commits wait: one transaction
        insights = _load_insights(session)
    with write_limits.bypass():  # a trusted loader: many comments and supports per person at once
        proposals = _load_participation(session)
    pulse_rounds = _load_pulse(session)
    from app.themes import service as theme_service

    themes = theme_service.refresh(
        session
    ).themes  # the worker would within a minute; the demo shows them at once
    return (
        f"Loaded the demo company {company['company']}: {len(company['departments'])} departments, "
        f"{teams} teams, {people} people, {insights} insights, {proposals} proposals, "
        f"{pulse_rounds} closed pulse rounds, {themes} themes. Sign in with any demo e-mail and the password "
        f"{company['demo_password']!r}."
    )


def _load_people(session: Session, departments: list[dict[str, Any]], password_hash: str) -> tuple[int, int]:
    """The departments, their teams and their people; returns (people, teams)."""
    people = teams = 0
    for dept_spec in departments:
        department = people_service.get_or_create_department(session, name=dept_spec["name"])
        for team_spec in dept_spec["teams"]:
            team = people_service.get_or_create_team(session, name=team_spec["name"], department=department)
            teams += 1
            for spec in team_spec["people"]:
                role = Role(spec["role"])
                data = PersonCreate(email=spec["email"], name=spec["name"], role=role, team_id=team.id)
                person = people_service.create(session, actor=None, data=data)
                person.password_hash = password_hash
                session.add(person)
                people += 1
    return people, teams


def _load_insights(session: Session) -> int:
    """Every kind of insight, published by the demo's CX staff through the insight service."""
    feedback_data = _read("insights_feedback.yaml")["feedback"]
    other = _read("insights_other.yaml")
    departments = {d.name: d.id for d in session.exec(select(Department)).all()}
    cx_staff = list(session.exec(select(Person).where(Person.role == Role.cx).order_by(col(Person.id))).all())
    authors = cycle(cx_staff)
    created: list[Insight] = []

    def publish(kind: Kind, spec: dict[str, Any], **fields: Any) -> Insight:
        area = spec.get("a", "")
        data = InsightCreate(
            kind=kind,
            title=spec["t"] if "t" in spec else spec["title"],
            body=spec.get("body", "").strip(),
            tags=spec.get("tags", []),
            product_area=area,
            segment=spec.get("seg", ""),
            department_id=departments.get(other["areas"].get(area, "")),
            **fields,
        )
        insight = insight_service.create(session, actor=next(authors), data=data)
        created.append(insight)
        return insight

    for n, spec in enumerate(feedback_data, start=1):
        publish(
            Kind.feedback,
            spec,
            quote=spec["q"],
            channel=spec["ch"],
            sentiment=spec.get("s"),
            score=spec.get("sc"),
            score_scale=spec.get("sk"),
            external_id=f"BW-{10000 + n}",
            received_at=date.today() - timedelta(days=(n * 7) % 120 + 1),
        )
    feedback_ids = [i.id for i in created]
    stage_ids: dict[tuple[str, str], int] = {}
    for spec in other["journeys"]:
        journey = publish(
            Kind.journey_map,
            spec,
            persona=spec["persona"],
            stages=[StageIn(**stage) for stage in spec["stages"]],
        )
        assert journey.id is not None
        for stage in stage_service.stages_of(session, journey.id):
            stage_ids[(spec["key"], stage.name)] = stage.id or 0
    for spec in other["pain_points"]:
        publish(
            Kind.pain_point,
            spec,
            severity=spec["sev"],
            customers_affected=spec["n"],
            journey_stage_id=stage_ids.get((spec.get("journey", ""), spec.get("stage", ""))),
            evidence_ids=[feedback_ids[n - 1] for n in spec.get("evidence", [])],
        )
    for spec in other["personas"]:
        publish(
            Kind.persona, spec, goals=spec["goals"], frustrations=spec["frustrations"], quotes=spec["quotes"]
        )
    for spec in other["success_stories"]:
        publish(Kind.success_story, spec, quote=spec["quote"], teams=spec["teams"])
    # Spread the demo over the last four months, newest last, so lists and "what is new" look lived-in.
    now = utcnow()
    for position, insight in enumerate(reversed(created)):
        insight.created_at = insight.updated_at = now - timedelta(hours=position * 19 + position % 7)
        session.add(insight)
    return len(created)


def _load_participation(session: Session) -> int:
    """Proposals, support and comments, through the services (so they are indexed and notify)."""
    from app.comments import schemas as comment_schemas
    from app.comments import service as comment_service
    from app.proposals import decisions
    from app.proposals import schemas as proposal_schemas
    from app.proposals import service as proposal_service

    data = _read("participation.yaml")
    by_email = {p.email: p for p in session.exec(select(Person)).all()}
    by_title = {i.title: i.id for i in session.exec(select(Insight)).all()}
    departments = {d.name: d.id for d in session.exec(select(Department)).all()}
    for spec in data["proposals"]:
        proposal = proposal_service.create(
            session,
            actor=by_email[spec["by"]],
            data=proposal_schemas.ProposalCreate(
                title=spec["title"],
                problem=spec["problem"],
                change=spec["change"],
                impact=spec.get("impact", ""),
                insight_ids=[by_title[t] for t in spec.get("insights", [])],
                department_ids=[departments[d] for d in spec.get("departments", [])],
                anonymous=spec.get("anonymous", False),
            ),
        )
        assert proposal.id is not None
        for email in spec.get("supporters", []):
            proposal_service.support(session, actor=by_email[email], proposal_id=proposal.id)
        for decision in spec.get("decisions", []):
            decisions.decide(
                session,
                actor=by_email[decision["by"]],
                proposal_id=proposal.id,
                decision=proposal_schemas.Decision(
                    status=decision["status"],
                    response=decision["response"],
                    owner_team=decision.get("owner_team"),
                ),
            )
        parent_id = None
        for comment in spec.get("comments", []):
            added = comment_service.add(
                session,
                actor=by_email[comment["by"]],
                target_type="proposal",
                target_id=proposal.id,
                data=comment_schemas.CommentIn(
                    body=comment["body"], parent_id=parent_id if comment.get("reply") else None
                ),
            )
            parent_id = parent_id or added.id
    return len(data["proposals"])


def _load_pulse(session: Session) -> int:
    """Closed pulse rounds through the pulse service (answers generated around each team's tone)."""
    import random

    from app.pulse import schemas as pulse_schemas
    from app.pulse import service as pulse_service
    from app.pulse.models import PulseAction, PulseRound, PulseSchedule
    from app.pulse.schedules import add_months

    data = _read("pulse.yaml")
    opener = people_service.get_by_email(session, email=data["opened_by"])
    assert opener is not None
    team_names = {t.id: t.name for t in session.exec(select(Team)).all()}
    dice = random.Random(2026)  # the same demo on every fresh start
    now = utcnow()
    first_of_next_month = add_months(now.date().replace(day=1), 1)
    schedule = PulseSchedule(**data["schedule"], next_opens_on=first_of_next_month, created_by_id=opener.id)
    session.add(schedule)
    db.commit(session)
    seeded: list[PulseRound] = []
    for spec in data["rounds"]:
        opened = pulse_service.open_round(
            session,
            actor=opener,
            data=pulse_schemas.RoundCreate(title=spec["title"], closes_on=now.date() + timedelta(days=1)),
        )
        assert opened.id is not None
        round_items = pulse_service.items(session, round_id=opened.id)
        for person in session.exec(select(Person).where(Person.is_active).order_by(Person.email)).all():
            if person.email in spec.get("silent", []) or person.team_id is None:
                continue
            tone = {**data["default_tone"], **data["teams"].get(team_names.get(person.team_id, ""), {})}
            answers = {
                item.id or 0: max(1, min(5, round(dice.gauss(tone[item.domain] + spec.get("shift", 0), 0.7))))
                for item in round_items
            }
            pulse_service.answer(
                session, actor=person, round_id=opened.id, data=pulse_schemas.AnswersIn(answers=answers)
            )
        pulse_service.close(session, actor=opener, round_id=opened.id)
        # Move the round back in time, so the demo reads like a history of rounds.
        stored = session.get(PulseRound, opened.id)
        assert stored is not None
        closed_at = now - timedelta(days=spec["closed_days_ago"])
        stored.opened_at = closed_at - timedelta(days=14)
        stored.closes_on = closed_at.date()
        stored.closed_at = closed_at
        stored.schedule_id = schedule.id
        session.add(stored)
        db.commit(session)
        seeded.append(stored)
    teams = {t.name: t for t in session.exec(select(Team)).all()}
    for team_name, email in data["leads"].items():
        lead = people_service.get_by_email(session, email=email)
        teams[team_name].lead_id = lead.id if lead else None
        session.add(teams[team_name])
    for spec in data["actions"]:
        round_ = seeded[spec["round"]]
        session.add(
            PulseAction(
                round_id=round_.id or 0,
                team_id=teams[spec["team"]].id or 0,
                quality=spec["quality"],
                title=spec["title"],
                due_on=now.date() + timedelta(days=spec["due_days"]),
                created_by_id=teams[spec["team"]].lead_id,
                created_at=round_.closed_at or now,
                done_at=(now - timedelta(days=-spec["due_days"])) if spec["done"] else None,
            )
        )
    db.commit(session)
    return len(data["rounds"])
